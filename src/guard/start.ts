/**
 * Starts a guard from a configuration: opens the audit store on its writer thread,
 * binds the proxy, and returns a handle to stop both. Shared by `guard` and `run`.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import { ConfigError, defaultConfig, parseConfig, type GuardConfig } from '../core/policy/config.js';
import { parseStoreUrl } from '../audit/store.js';
import { NullSink, WorkerSink, type AuditSink } from '../audit/writer.js';
import { Guard } from './server.js';
import { scanSecrets } from '../core/secrets/scan.js';
import { inspectText } from '../core/unicode/inspect-text.js';

export interface StartOptions {
  config: GuardConfig;
  /** Override the listen address (e.g. port 0 for a free port). */
  host?: string;
  port?: number;
  agentName?: string;
  log?: (line: string) => void;
}

export interface RunningGuard {
  guard: Guard;
  address: AddressInfo;
  /** `http://host:port` */
  url: string;
  sink: AuditSink;
  stop(): Promise<void>;
}

/** Reads and validates a config file; without a path, the safe defaults. */
export function loadConfig(path: string | undefined): GuardConfig {
  if (!path) return defaultConfig();
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(`cannot read config ${path}: ${code === 'ENOENT' ? 'no such file' : code ?? 'read error'}`);
  }
  return parseConfig(text, path);
}

export async function openSink(config: GuardConfig, log: (line: string) => void): Promise<AuditSink> {
  const store = parseStoreUrl(config.audit.store);
  if (store.kind === 'none') return new NullSink();
  if (store.kind === 'postgres') throw new ConfigError("audit.store: PostgreSQL is not available in this version; use 'sqlite:PATH'");
  return WorkerSink.start(
    {
      path: resolve(store.path),
      options: { body: { mode: config.audit.bodies, maxFieldChars: config.audit.maxFieldBytes }, fsync: config.audit.fsync },
      retentionMs: config.audit.retentionDays === null ? null : config.audit.retentionDays * 86_400_000,
    },
    log,
  );
}

export async function startGuard(options: StartOptions): Promise<RunningGuard> {
  const log = options.log ?? (() => {});
  const sink = await openSink(options.config, log);
  // Load the secret rules and the Unicode name table now, not on the first request.
  await scanSecrets(['telltale warm-up']);
  inspectText('Today\u2019s warm-up\u200b');
  const guard = new Guard({ config: options.config, sink, log, ...(options.agentName ? { agentName: options.agentName } : {}) });
  let address: AddressInfo;
  try {
    address = await guard.listen(options.host ?? options.config.listenHost, options.port ?? options.config.listenPort);
  } catch (error) {
    await sink.close();
    const e = error as NodeJS.ErrnoException;
    throw new ConfigError(`cannot listen on ${options.host ?? options.config.listenHost}:${options.port ?? options.config.listenPort}: ${e.code ?? e.message}`);
  }
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    guard,
    address,
    url: `http://${host}:${address.port}`,
    sink,
    async stop() {
      // Bounded: a stuck connection or writer must not keep the process alive.
      await withDeadline(guard.close(), 5_000);
      await withDeadline(sink.close(), 10_000);
    },
  };
}

function withDeadline(work: Promise<void>, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref();
    void work.finally(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
