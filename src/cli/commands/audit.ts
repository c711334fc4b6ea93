/**
 * `telltale audit list|show ID|export --format jsonl|otlp`: reads the audit log the
 * guard writes. Filters: --since/--until (ISO time or a duration such as 30m, 2h, 7d),
 * --finding, --action, --agent, --kind. Output passes a last secret-redaction step.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { CliContext } from '../main.js';
import { InputError, UsageError } from '../errors.js';
import { parseStoreUrl, type AuditFilter, type AuditStore } from '../../audit/store.js';
import { PostgresAuditStore } from '../../audit/postgres-store.js';
import { SqliteAuditStore } from '../../audit/sqlite-store.js';
import type { AuditRecord } from '../../audit/record.js';
import { toOtlpRequest } from '../../audit/otlp.js';
import { redactSecretsInText } from '../../core/secrets/scan.js';
import { loadConfig } from '../../guard/start.js';
import { asUserError, configPath } from './guard.js';
import { writeStdout } from '../../guard/stdio.js';

interface CommonOptions {
  config?: string;
  db?: string;
}

interface FilterOptions extends CommonOptions {
  since?: string;
  until?: string;
  finding?: string;
  action?: string;
  agent?: string;
  kind?: string;
  limit?: string;
}

export function parseTime(value: string, what: string, now = Date.now()): number {
  const rel = /^(\d+)\s*(s|m|h|d|w)$/.exec(value.trim());
  if (rel) {
    const unit = { s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7, w: 6.048e8 }[rel[2] as 's' | 'm' | 'h' | 'd' | 'w'];
    return now - Number(rel[1]) * unit;
  }
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new UsageError(`${what} must be an ISO time (2026-11-21T10:00Z) or a duration (30m, 2h, 7d), not '${value}'`);
  return t;
}

/** A reader splits no bodies: the stores only require the option. */
const READER_BODIES = { mode: 'redacted', maxFieldChars: 65536 } as const;

async function openStore(opts: CommonOptions): Promise<AuditStore> {
  let url = opts.db;
  if (!url) {
    try {
      url = loadConfig(configPath(opts.config)).audit.store;
    } catch (error) {
      throw asUserError(error);
    }
  }
  if (!url.includes(':')) url = `sqlite:${url}`;
  const store = parseStoreUrl(url);
  if (store.kind === 'none') throw new UsageError("audit: this configuration keeps no audit log (audit.store: none); pass --db sqlite:PATH or postgres://…");
  if (store.kind === 'postgres') {
    try {
      return await PostgresAuditStore.open(store.url, { body: READER_BODIES, readOnly: true });
    } catch (error) {
      throw new InputError(error instanceof Error ? error.message : String(error));
    }
  }
  const path = resolve(store.path);
  if (!existsSync(path)) throw new InputError(`no audit log at ${path}; run 'telltale guard' or 'telltale run' first, or pass --db sqlite:PATH`);
  try {
    return new SqliteAuditStore(path, { body: READER_BODIES, fsync: 'normal', readOnly: true });
  } catch (error) {
    throw new InputError(`cannot open audit log ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function filterOf(opts: FilterOptions): AuditFilter {
  const f: AuditFilter = {};
  if (opts.since) f.sinceMs = parseTime(opts.since, '--since');
  if (opts.until) f.untilMs = parseTime(opts.until, '--until');
  if (opts.finding) f.finding = opts.finding;
  if (opts.action) f.action = opts.action;
  if (opts.agent) f.agent = opts.agent;
  if (opts.kind) f.kind = opts.kind;
  if (opts.limit) {
    const n = Number(opts.limit);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`--limit must be a positive integer, not '${opts.limit}'`);
    f.limit = n;
  }
  return f;
}

function withFilters(cmd: Command): Command {
  return cmd
    .option('-c, --config <file>', 'telltale.yaml that names the audit store')
    .option('--db <store>', 'audit store: sqlite:PATH or postgres://…')
    .option('--since <time>', 'from this time: ISO 8601 or a duration ago (30m, 2h, 7d)')
    .option('--until <time>', 'up to this time')
    .option('--finding <type>', 'only records with this finding type: secret, hidden-characters, denied-path')
    .option('--action <action>', 'only records with this action: pass, log, neutralize, redact, block, allow, deny, intercept, error')
    .option('--agent <text>', 'only records whose agent (User-Agent) contains this text')
    .option('--kind <kind>', 'request, connect or forward')
    .option('--limit <n>', 'at most this many records');
}

async function out(text: string, file?: string): Promise<void> {
  // Stored bodies are already redacted; this is the last line of defence for every other field.
  const safe = await redactSecretsInText(text);
  if (file) writeFileSync(file, safe);
  else writeStdout(safe);
}

function line(r: AuditRecord): string {
  const target = r.kind === 'request' ? `${r.method} ${r.path}` : `${r.method} ${r.upstream ?? ''}`;
  const types = [...new Set(r.findings.map((f) => f.type))];
  return [
    r.id,
    r.time.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
    r.kind.padEnd(7),
    String(r.status ?? '-').padStart(3),
    r.action.padEnd(10),
    target.slice(0, 60),
    r.model ?? '',
    r.latencyMs === null ? '' : `${Math.round(r.latencyMs)}ms`,
    types.length ? `findings=${r.findings.length}(${types.join(',')})` : '',
    r.outcome !== 'completed' ? r.outcome : '',
  ].filter(Boolean).join('  ');
}

function detail(r: AuditRecord): string {
  const lines = [
    `id:        ${r.id}`,
    `time:      ${r.time}`,
    `kind:      ${r.kind}`,
    `request:   ${r.method} ${r.kind === 'request' ? r.path : r.upstream ?? ''}`,
    `route:     ${r.route ?? '-'} → ${r.upstream ?? '-'}`,
    `status:    ${r.status ?? '-'} (${r.outcome})${r.error ? ` — ${r.error}` : ''}`,
    `action:    ${r.action}`,
    `latency:   ${r.latencyMs ?? '-'} ms (guard overhead ${r.overheadMs ?? '-'} ms)`,
    `bytes:     in ${r.bytesIn}, out ${r.bytesOut ?? '-'}`,
    `model:     ${r.model ?? '-'}${r.stream ? ' (stream)' : ''}`,
    `agent:     ${r.agent ?? '-'}`,
    `findings:  ${r.findings.length}`,
  ];
  for (const f of r.findings) {
    lines.push(`  - [${f.type}] ${f.action} at ${f.pointer} (${f.part}): ${f.message}`);
    if (f.codePoints?.length) lines.push(`      code points: ${f.codePoints.join(' ')}${f.offsets?.length ? ` at offsets ${f.offsets.join(', ')}` : ''}`);
  }
  if (r.body !== null) lines.push('body:', r.body);
  return lines.join('\n') + '\n';
}

export function registerAudit(program: Command, ctx: CliContext): void {
  const audit = program.command('audit').description('read the audit log (list, show, export)');

  withFilters(audit.command('list').description('list audit records, newest first'))
    .option('--format <format>', 'text or json', 'text')
    .action(async (opts: FilterOptions & { format: string }) => {
      if (opts.format !== 'text' && opts.format !== 'json') throw new UsageError(`--format must be text or json, not '${opts.format}'`);
      const store = await openStore(opts);
      try {
        const filter = filterOf(opts);
        filter.limit ??= 100;
        const records = (await store.list(filter)).map((r) => ({ ...r, body: null }));
        await out(opts.format === 'json' ? JSON.stringify(records, null, 2) + '\n' : records.map(line).join('\n') + (records.length ? '\n' : 'no audit records match\n'));
      } finally {
        await store.close();
      }
      ctx.exitCode = 0;
    });

  audit
    .command('show')
    .description('one audit record in full, with its stored body')
    .argument('<id>', 'record id (from audit list)')
    .option('-c, --config <file>', 'telltale.yaml that names the audit store')
    .option('--db <store>', 'audit store: sqlite:PATH or postgres://…')
    .option('--format <format>', 'text or json', 'text')
    .action(async (id: string, opts: CommonOptions & { format: string }) => {
      if (opts.format !== 'text' && opts.format !== 'json') throw new UsageError(`--format must be text or json, not '${opts.format}'`);
      const store = await openStore(opts);
      try {
        const r = await store.get(id);
        if (!r) throw new InputError(`no audit record '${id}'; run 'telltale audit list' to see ids`);
        await out(opts.format === 'json' ? JSON.stringify(r, null, 2) + '\n' : detail(r));
      } finally {
        await store.close();
      }
      ctx.exitCode = 0;
    });

  withFilters(audit.command('export').description('export audit records as JSON Lines or OTLP/JSON log records'))
    .option('--format <format>', 'jsonl or otlp', 'jsonl')
    .option('-o, --output <file>', 'write to a file instead of standard output')
    .option('--with-bodies', 'include stored (redacted) bodies in jsonl')
    .action(async (opts: FilterOptions & { format: string; output?: string; withBodies?: boolean }) => {
      if (opts.format !== 'jsonl' && opts.format !== 'otlp') throw new UsageError(`--format must be jsonl or otlp, not '${opts.format}'`);
      const store = await openStore(opts);
      try {
        const records = (await store.list({ ...filterOf(opts), order: 'asc' })).map((r) => (opts.withBodies ? r : { ...r, body: null }));
        const text = opts.format === 'otlp'
          ? JSON.stringify(toOtlpRequest(records)) + '\n'
          : records.map((r) => JSON.stringify(r)).join('\n') + (records.length ? '\n' : '');
        await out(text, opts.output);
      } finally {
        await store.close();
      }
      ctx.exitCode = 0;
    });
}
