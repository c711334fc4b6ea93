/**
 * Starts a guard from a configuration: opens the audit store on its writer thread,
 * binds the proxy, and returns a handle to stop both. Shared by `guard` and `run`.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import { ConfigError, defaultConfig, parseConfig, type GuardConfig } from '../core/policy/config.js';
import { displayStoreUrl, parseStoreUrl } from '../audit/store.js';
import { NullSink, WorkerSink, type AuditSink } from '../audit/writer.js';
import { Guard } from './server.js';
import { scanSecrets } from '../core/secrets/scan.js';
import { inspectText } from '../core/unicode/inspect-text.js';
import { interceptTargets } from '../core/policy/routes.js';
import { defaultCaDir, expandHome, loadOrCreateInterceptCa, type InterceptCa } from './intercept-ca.js';
import { tuneHeapForProxy } from './heap-tuning.js';

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
  /** The interception CA, when `tls.intercept` is on: agents must trust `certFile`. */
  interceptCa?: InterceptCa;
  stop(): Promise<void>;
}

/** The interception CA for this config (created or loaded), or undefined when interception is off. */
export function interceptCaFor(config: GuardConfig): InterceptCa | undefined {
  if (!config.tls.intercept) return undefined;
  const hosts = [...interceptTargets(config.routes).keys()].map((k) => k.slice(0, k.lastIndexOf(':')));
  if (hosts.length === 0) throw new ConfigError('tls.intercept: no route has an https upstream to intercept');
  const dir = config.tls.caDir ? expandHome(config.tls.caDir) : defaultCaDir();
  try {
    return loadOrCreateInterceptCa(dir, hosts);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const e = error as NodeJS.ErrnoException;
    throw new ConfigError(`tls.caDir: cannot use ${dir} for the interception CA: ${e.code ?? e.message}`);
  }
}

function readUpstreamCa(file: string | null): string | undefined {
  if (!file) return undefined;
  let text: string;
  try {
    text = readFileSync(expandHome(file), 'utf8');
  } catch (error) {
    throw new ConfigError(`tls.upstreamCaFile: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? 'read error'}`);
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) throw new ConfigError(`tls.upstreamCaFile: ${file} holds no PEM certificate`);
  return text;
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
  const common = {
    options: { body: { mode: config.audit.bodies, maxFieldChars: config.audit.maxFieldBytes }, fsync: config.audit.fsync },
    retentionMs: config.audit.retentionDays === null ? null : config.audit.retentionDays * 86_400_000,
  };
  if (store.kind === 'postgres') {
    try {
      return await WorkerSink.start({ ...common, path: displayStoreUrl(store.url), postgresUrl: store.url }, log);
    } catch (error) {
      // The writer thread could not open it (unreachable server, no permission): a configuration problem.
      throw new ConfigError(`audit.store: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return WorkerSink.start({ ...common, path: resolve(store.path) }, log);
}

export async function startGuard(options: StartOptions): Promise<RunningGuard> {
  const log = options.log ?? (() => {});
  // Configuration problems first, before anything is opened.
  const interceptCa = interceptCaFor(options.config);
  const upstreamCa = readUpstreamCa(options.config.tls.upstreamCaFile);
  // Before the audit writer's threads start: their young generation is set when they are created.
  tuneHeapForProxy();
  const sink = await openSink(options.config, log);
  // Load the secret rules and the Unicode name table now, not on the first request.
  await scanSecrets(['telltale warm-up']);
  inspectText('Today\u2019s warm-up\u200b');
  const guard = new Guard({
    config: options.config,
    sink,
    log,
    ...(options.agentName ? { agentName: options.agentName } : {}),
    ...(interceptCa ? { interceptAuthority: interceptCa.authority } : {}),
    ...(upstreamCa ? { upstreamCa } : {}),
  });
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
    ...(interceptCa ? { interceptCa } : {}),
    async stop() {
      // Bounded: a stuck connection or writer must not keep the process alive.
      await withDeadline(guard.close(), 5_000);
      await withDeadline(sink.close(), 10_000);
      // For performance work: how the audit records travelled (TELLTALE_DEBUG=audit).
      if (/\baudit\b/.test(process.env.TELLTALE_DEBUG ?? '') && sink instanceof WorkerSink) {
        process.stderr.write(`telltale guard: audit writer: ${sink.messages} messages, ${sink.merged} exchanges in one row, ${sink.continued} bodies sent as a continuation, ${sink.directBegins} + ${sink.directCompletes} records committed on the guard's thread\n`);
      }
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
