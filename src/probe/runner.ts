/**
 * One run of the agent: a fresh throwaway HOME and working directory, a minimal
 * environment built from the matrix, a capture server of its own, the sandbox
 * (or the Node preload fallback), a timeout; exit code, output and every
 * captured request are kept.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, chown, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startCaptureServer } from '../capture/server.js';
import type { TlsAuthority } from '../capture/tls-authority.js';
import type { Matrix } from './matrix.js';
import { assignmentOf, describeChanges, type PlannedRun } from './plan.js';
import { initScriptPath, type Isolation } from './sandbox/isolation.js';
import { preloadSource } from './sandbox/preload.js';
import type { SandboxConfig } from './sandbox/init.js';
import type { RunRecord } from './types.js';

export interface RunContext {
  /** Absolute path of the agent's executable, and its arguments (paths made absolute). */
  command: string;
  args: string[];
  isolation: Isolation;
  /** The probe's temporary directory (one subdirectory per run). */
  baseDir: string;
  authority: TlsAuthority;
  /** CA certificate file on the host (fallback mode). */
  caFile: string;
  timeoutMs: number;
  /** PATH given to the agent. */
  path: string;
  /** Extra variables for every run (from --env / --pass-env). */
  extraEnv: Record<string, string>;
  /** Run the agent as this uid/gid (when we are root and can drop). */
  runAs?: number;
  /** Directories masked inside the sandbox, and credential paths hidden. */
  mask: string[];
  hide: string[];
  /** Ports relayed to the capture server inside the sandbox. */
  ports: number[];
  /** Where HOME is bound inside the sandbox (null: the host path is used). */
  homeTarget: string | null;
  /** System CA bundle path inside the sandbox (null when the system has none). */
  systemBundle: string | null;
  replyText?: string;
}

const OUTPUT_LIMIT = 16 * 1024;
const SECRET_VAR = /KEY|TOKEN|SECRET|PASSWORD|CREDENTIAL|AUTH/i;

function keepHeadTail(text: string): string {
  if (text.length <= OUTPUT_LIMIT) return text;
  const half = OUTPUT_LIMIT / 2;
  return `${text.slice(0, half)}\n… (${text.length - OUTPUT_LIMIT} characters cut) …\n${text.slice(-half)}`;
}

function redactEnv(env: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, SECRET_VAR.test(k) ? `<redacted ${v.length} chars>` : v]));
}

/** URL-valued variables that name an API endpoint (not proxies). */
export function apiBasesOf(env: Record<string, string>): string[] {
  return Object.entries(env)
    .filter(([k, v]) => /(?:BASE_URL|API_BASE|API_URL|ENDPOINT|_HOST)$/i.test(k) && !/PROXY/i.test(k) && /^https?:\/\//i.test(v))
    .map(([, v]) => v);
}

/** The environment of one run: minimal base, matrix constants, then every factor's value. */
export function composeEnv(
  matrix: Matrix,
  changes: Record<string, string>,
  base: Record<string, string>,
): { env: Record<string, string>; hostname: string } {
  const env: Record<string, string> = { ...base, ...matrix.env };
  let hostname = 'devbox';
  for (const factor of matrix.factors) {
    const label = changes[factor.name];
    const value = label === undefined ? factor.baseline : factor.values.find((v) => v.label === label) ?? factor.baseline;
    for (const [k, v] of Object.entries(value.env)) {
      if (v === null) delete env[k];
      else env[k] = v;
    }
    if (value.hostname) hostname = value.hostname;
  }
  return { env, hostname };
}

/** Process groups of the runs in progress: ended by `killActiveRuns` when the probe itself is stopped. */
const active = new Set<number>();

export function killActiveRuns(): void {
  for (const pid of active) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  active.clear();
}

export async function executeRun(ctx: RunContext, matrix: Matrix, planned: PlannedRun): Promise<RunRecord> {
  const runDir = join(ctx.baseDir, planned.id);
  const hostHome = join(runDir, 'home');
  const ipcDir = join(runDir, 'ipc');
  await mkdir(join(hostHome, 'project'), { recursive: true });
  await mkdir(ipcDir, { recursive: true });
  await chmod(runDir, 0o711);
  if (ctx.runAs !== undefined) {
    await chown(hostHome, ctx.runAs, ctx.runAs);
    await chown(join(hostHome, 'project'), ctx.runAs, ctx.runAs);
  }
  const sandboxed = ctx.isolation.mode === 'namespaces';
  const home = sandboxed && ctx.homeTarget ? ctx.homeTarget : hostHome;
  const cwd = join(home, 'project');
  const base: Record<string, string> = {
    PATH: ctx.path,
    HOME: home,
    PWD: cwd,
    USER: 'dev',
    LOGNAME: 'dev',
    SHELL: '/bin/bash',
    TERM: 'dumb',
    ...ctx.extraEnv,
  };
  const { env, hostname } = composeEnv(matrix, planned.changes, base);
  const capture = await startCaptureServer({
    tcp: !sandboxed,
    ...(sandboxed ? { unixSocket: join(ipcDir, 'capture.sock') } : {}),
    tls: ctx.authority,
    connect: 'intercept',
    ...(ctx.replyText !== undefined ? { replyText: ctx.replyText } : {}),
  });
  const artifacts = [runDir, ctx.baseDir];
  if (sandboxed) {
    const bundle = ctx.systemBundle ?? '/run/telltale/ca.pem';
    if (!ctx.systemBundle) await writeFile(join(ipcDir, 'ca.pem'), ctx.authority.caCertPem);
    env.NODE_EXTRA_CA_CERTS = bundle;
    env.SSL_CERT_FILE = bundle;
  } else {
    const preload = join(runDir, 'preload.mjs');
    await writeFile(preload, preloadSource(capture.port!), { mode: 0o644 });
    env.NODE_EXTRA_CA_CERTS = ctx.caFile;
    env.NODE_OPTIONS = `--import=${pathToFileURL(preload).href}${env.NODE_OPTIONS ? ` ${env.NODE_OPTIONS}` : ''}`;
    env.HOSTNAME ??= hostname;
    artifacts.push(`127.0.0.1:${capture.port}`, `localhost:${capture.port}`);
  }

  const started = Date.now();
  const problems: string[] = [];
  const dnsLookups: string[] = [];
  let stdout = '';
  let stderr = '';
  let exit: { code: number | null; signal: string | null } | null = null;
  let child: ChildProcess;
  if (sandboxed) {
    const config: SandboxConfig = {
      command: ctx.command,
      args: ctx.args,
      env,
      cwd,
      ...(ctx.runAs !== undefined ? { uid: ctx.runAs, gid: ctx.runAs } : {}),
      hostname,
      socketDir: ipcDir,
      socketName: 'capture.sock',
      ports: ctx.ports,
      resolvConf: 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n',
      hosts: `127.0.0.1\tlocalhost\n::1\tlocalhost\n127.0.1.1\t${hostname}\n`,
      caPem: ctx.authority.caCertPem,
      mask: ctx.mask,
      hide: ctx.hide,
      ...(ctx.homeTarget ? { home: { source: hostHome, target: ctx.homeTarget } } : {}),
    };
    const configPath = join(runDir, 'sandbox.json');
    await writeFile(configPath, JSON.stringify(config), { mode: 0o600 });
    const { path, args } = ctx.isolation.unshare!;
    child = spawn(path, [...args, '--', process.execPath, initScriptPath(), '--run', configPath], {
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
      detached: true,
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
    });
    let pending = '';
    (child.stdio[3] as NodeJS.ReadableStream | null)?.on('data', (d: Buffer) => {
      pending += d.toString();
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        try {
          const msg = JSON.parse(line) as { type: string; name?: string; code?: number | string | null; signal?: string | null; message?: string };
          if (msg.type === 'dns' && msg.name && dnsLookups.length < 1000) dnsLookups.push(msg.name);
          else if (msg.type === 'exit') exit = { code: typeof msg.code === 'number' ? msg.code : null, signal: msg.signal ?? null };
          else if (msg.type === 'spawn-error') {
            problems.push(msg.code === 'ENOENT' ? `the agent command was not found inside the sandbox (${ctx.command})` : `the agent could not be started: ${msg.message}`);
          } else if (msg.type === 'setup-error') problems.push(`sandbox setup failed: ${msg.message}`);
        } catch {
          // not a message
        }
      }
    });
  } else {
    child = spawn(ctx.command, ctx.args, {
      cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
      ...(ctx.runAs !== undefined ? { uid: ctx.runAs, gid: ctx.runAs } : {}),
    });
  }
  child.stdout?.on('data', (d: Buffer) => {
    if (stdout.length < 4 * OUTPUT_LIMIT) stdout += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    if (stderr.length < 4 * OUTPUT_LIMIT) stderr += d.toString();
  });
  if (child.pid) active.add(child.pid);
  const killGroup = (): void => {
    try {
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  let timedOut = false;
  const outcome = await new Promise<{ code: number | null; signal: string | null; error?: string }>((resolve) => {
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, ctx.timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ code: null, signal: null, error: (error as NodeJS.ErrnoException).code ?? error.message });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
  killGroup(); // whatever the agent left running
  if (child.pid) active.delete(child.pid);
  const durationMs = Date.now() - started;
  await new Promise((r) => setTimeout(r, 20));
  await capture.close();

  const finalExit = exit ?? { code: outcome.code, signal: outcome.signal };
  if (outcome.error) problems.push(outcome.error === 'ENOENT' ? `the agent command was not found (${ctx.command})` : `the agent could not be started: ${outcome.error}`);
  if (timedOut) problems.push(`timed out after ${Math.round(ctx.timeoutMs / 1000)} s (killed; requests made until then are kept)`);
  const requests = [...capture.requests];
  if (requests.length === 0 && !timedOut && problems.length === 0) {
    problems.push(
      durationMs < 2000 && finalExit.code !== 0
        ? `the agent exited immediately (code ${finalExit.code ?? finalExit.signal}) without a request`
        : `the agent made no request (exit code ${finalExit.code ?? finalExit.signal})`,
    );
  }
  return {
    id: planned.id,
    phase: planned.phase,
    repeat: planned.repeat,
    label: describeChanges(planned.changes),
    changes: planned.changes,
    assignment: assignmentOf(matrix, planned.changes),
    env: redactEnv(env),
    hostname,
    isolation: ctx.isolation.mode,
    ...(ctx.runAs !== undefined ? { uid: ctx.runAs } : {}),
    exitCode: finalExit.code,
    signal: finalExit.signal,
    timedOut,
    durationMs,
    stdout: keepHeadTail(stdout),
    stderr: keepHeadTail(stderr),
    requests,
    dnsLookups,
    problems,
    apiBases: apiBasesOf(env),
    artifacts,
  };
}
