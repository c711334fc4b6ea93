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

export function tempDir(prefix = 'telltale-guard-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** `config` is YAML; `{{DB}}` is replaced with the audit database path. */
export async function startGuardProcess(config: string, extraArgs: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<GuardProcess> {
  requireBuild();
  const dir = tempDir();
  const dbPath = join(dir, 'audit.db');
  const cfgPath = join(dir, 'telltale.yaml');
  writeFileSync(cfgPath, config.replaceAll('{{DB}}', dbPath));
  const proc = spawn(NODE, [CLI, 'guard', '--config', cfgPath, '--listen', '127.0.0.1:0', ...extraArgs], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const port = await new Promise<number>((resolvePort, reject) => {
    const timer = setTimeout(() => reject(new Error(`guard did not start: ${err}`)), 15_000);
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
      return exited;
    },
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      proc.kill(signal);
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
    timeout: options.timeoutMs ?? 60_000,
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
