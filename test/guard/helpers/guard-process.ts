/**
 * Runs the real, built `telltale` CLI (dist/) as a child process: `guard` with a config
 * written to a temporary directory, and one-shot commands such as `audit`. The tests
 * talk to it over real sockets on 127.0.0.1. Run `npm run build` first.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SqliteAuditStore } from '../../../src/audit/sqlite-store.js';
import type { AuditRecord } from '../../../src/audit/record.js';

export const ROOT = resolve(import.meta.dirname, '../../..');
export const NODE = join(ROOT, 'node_modules/.bin/node');
export const CLI = join(ROOT, 'dist/cli/bin.js');

export function requireBuild(): void {
  if (!existsSync(join(ROOT, 'dist/guard/server.js'))) throw new Error('dist/ is missing: run `npm run build` before these tests');
}

export interface GuardProcess {
  url: string;
  port: number;
  dir: string;
  dbPath: string;
  proc: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  stop(): Promise<number | null>;
  kill(signal?: NodeJS.Signals): Promise<void>;
  records(): AuditRecord[];
  cleanup(): void;
}

/** Process groups started by these helpers; `killSpawned()` ends whatever is still running. */
const live = new Set<ChildProcess>();

function killGroup(proc: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): void {
  if (proc.pid === undefined || proc.exitCode !== null || proc.signalCode !== null) {
    // The leader is gone, but an agent it started may still run in its group.
    if (proc.pid !== undefined) {
      try {
        process.kill(-proc.pid, signal);
      } catch {
        // No such group: everything has exited.
      }
    }
    return;
  }
  try {
    process.kill(-proc.pid, signal);
  } catch {
    proc.kill(signal);
  }
}

// Last resort when a test file ends without its afterAll (the worker exits normally).
process.once('exit', () => killSpawned());

/** Kills every process group these helpers started (call from afterAll/afterEach). */
export function killSpawned(): void {
  for (const proc of live) killGroup(proc);
  live.clear();
}

/** Spawns `node dist/cli/bin.js …` as the leader of its own process group, tracked for cleanup. */
function spawnCli(args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; stdin?: 'ignore' | 'pipe' }): ChildProcess {
  const proc = spawn(NODE, [CLI, ...args], { cwd: options.cwd, env: options.env, stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe'], detached: true });
  // Kept until the test cleans up: grandchildren (an agent) may outlive the leader.
  live.add(proc);
  return proc;
}

export function tempDir(prefix = 'telltale-guard-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface CliResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/**
 * Runs the CLI without blocking the test's event loop (a fake upstream in this process
 * must keep answering), in its own process group; on timeout the whole group is killed.
 */
export function runCliAsync(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CliResult> {
  requireBuild();
  const proc = spawnCli(args, { cwd: options.cwd ?? ROOT, env: options.env ?? process.env, stdin: 'pipe' });
  // Agents such as Claude Code read a piped stdin to its end: give them an empty one.
  proc.stdin!.end();
  let stdout = '';
  let stderr = '';
  proc.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolvePromise) => {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(proc);
    }, options.timeoutMs ?? 60_000);
    proc.once('close', (status, signal) => {
      clearTimeout(timer);
      // Sweep anything the command left behind in its group.
      killGroup(proc);
      live.delete(proc);
      resolvePromise({ status, signal, stdout, stderr, timedOut });
    });
  });
}

/** `config` is YAML; `{{DB}}` is replaced with the audit database path. */
export async function startGuardProcess(config: string, extraArgs: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<GuardProcess> {
  requireBuild();
  const dir = tempDir();
  const dbPath = join(dir, 'audit.db');
  const cfgPath = join(dir, 'telltale.yaml');
  writeFileSync(cfgPath, config.replaceAll('{{DB}}', dbPath));
  const proc = spawnCli(['guard', '--config', cfgPath, '--listen', '127.0.0.1:0', ...extraArgs], { cwd: dir, env: { ...process.env, ...env } });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const port = await new Promise<number>((resolvePort, reject) => {
    const timer = setTimeout(() => {
      killGroup(proc);
      reject(new Error(`guard did not start: ${err}`));
    }, 15_000);
    const check = () => {
      const m = /"port":(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolvePort(Number(m[1]));
      }
    };
    proc.stdout!.on('data', check);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`guard exited with ${code}: ${err}`));
    });
  });
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    dir,
    dbPath,
    proc,
    stdout: () => out,
    stderr: () => err,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      // Bounded: a guard that does not stop in time is killed with its group.
      const timer = setTimeout(() => killGroup(proc), 10_000);
      const code = await exited;
      clearTimeout(timer);
      live.delete(proc);
      return code;
    },
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      if (proc.exitCode === null && proc.signalCode === null) killGroup(proc, signal);
      await exited;
    },
    records() {
      const store = new SqliteAuditStore(dbPath, { body: { mode: 'redacted', maxFieldChars: 65536 }, fsync: 'normal', readOnly: true });
      try {
        return store.list({ order: 'asc' });
      } finally {
        store.close();
      }
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function runCli(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {}): { status: number | null; stdout: string; stderr: string } {
  requireBuild();
  const r = spawnSync(NODE, [CLI, ...args], {
    cwd: options.cwd ?? ROOT,
    env: options.env ?? process.env,
    // Agents such as Claude Code read a piped stdin to its end: give them an empty one.
    input: options.input ?? '',
    encoding: 'utf8',
    // Only for commands that need nothing from this process (config errors, audit):
    // anything that talks to a fake upstream here must use runCliAsync.
    timeout: options.timeoutMs ?? 30_000,
    killSignal: 'SIGKILL',
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function routesYaml(upstreamUrl: string, extra = ''): string {
  return `
routes:
  - prefix: /
    upstream: ${upstreamUrl}
    api: anthropic
  - prefix: /openai
    upstream: ${upstreamUrl}
    api: openai
audit:
  store: sqlite:{{DB}}
${extra}`;
}

/** Waits until `check` passes or the time is up. */
export async function eventually<T>(check: () => T | undefined | null | false, timeoutMs = 5_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
