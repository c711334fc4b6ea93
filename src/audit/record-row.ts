/**
 * A record as a table row: the columns both stores (SQLite, PostgreSQL) keep, and the way
 * back to an AuditRecord. The column names are the record's fields in snake_case.
 */
import type { AuditRecord, BeginRecord } from './record.js';

export interface RecordRow {
  id: string;
  kind: string;
  time: string;
  time_ms: number;
  route: string | null;
  upstream: string | null;
  method: string;
  path: string;
  host: string | null;
  port: number | null;
  status: number | null;
  latency_ms: number | null;
  overhead_ms: number | null;
  bytes_in: number;
  bytes_out: number | null;
  model: string | null;
  agent: string | null;
  /** SQLite: 0/1; PostgreSQL: boolean. */
  stream: number | boolean;
  /** SQLite: JSON text; PostgreSQL: jsonb, already parsed by the driver. */
  findings: string | AuditRecord['findings'];
  action: string;
  outcome: string;
  error: string | null;
}

/** The columns of a record row, in the order of `recordValues`. */
export const RECORD_COLUMNS = [
  'id', 'kind', 'time', 'time_ms', 'route', 'upstream', 'method', 'path', 'host', 'port', 'status', 'latency_ms', 'overhead_ms',
  'bytes_in', 'bytes_out', 'model', 'agent', 'stream', 'findings', 'finding_types', 'action', 'outcome', 'error', 'body',
] as const;

/** How a store writes the two columns whose type differs between SQLite and PostgreSQL. */
export interface RowEncoding {
  stream(stream: boolean): unknown;
  findingTypes(types: string[]): unknown;
}

/** A request record's values in RECORD_COLUMNS order; `body` as the store keeps it (a skeleton). */
export function recordValues(r: BeginRecord, body: string | null, encode: RowEncoding): unknown[] {
  return [
    r.id, r.kind, r.time, r.timeMs, r.route, r.upstream, r.method, r.path, r.host, r.port,
    r.status ?? null, r.latencyMs ?? null, r.overheadMs, r.bytesIn, r.bytesOut ?? null, r.model, r.agent,
    encode.stream(r.stream), JSON.stringify(r.findings), encode.findingTypes(findingTypes(r.findings)), r.action, r.outcome ?? 'pending', r.error ?? null, body,
  ];
}

/** The distinct finding types of a record, in order of first appearance (for filtering by type). */
function findingTypes(findings: AuditRecord['findings']): string[] {
  return [...new Set(findings.map((f) => f.type))];
}

/** The record a row holds; `body` as already joined from its blocks. */
export function rowToRecord(row: RecordRow, body: string | null): AuditRecord {
  return {
    id: row.id,
    kind: row.kind as AuditRecord['kind'],
    time: row.time,
    timeMs: Number(row.time_ms),
    route: row.route,
    upstream: row.upstream,
    method: row.method,
    path: row.path,
    host: row.host,
    port: row.port,
    status: row.status,
    latencyMs: row.latency_ms,
    overheadMs: row.overhead_ms,
    bytesIn: Number(row.bytes_in),
    bytesOut: row.bytes_out === null ? null : Number(row.bytes_out),
    model: row.model,
    agent: row.agent,
    stream: row.stream === 1 || row.stream === true,
    findings: typeof row.findings === 'string' ? (JSON.parse(row.findings) as AuditRecord['findings']) : row.findings,
    action: row.action,
    outcome: row.outcome as AuditRecord['outcome'],
    error: row.error,
    body,
  };
}
