/**
 * The audit record: one per proxied request and one per forward-proxy attempt
 * (CONNECT or absolute-URL request). docs/audit.md documents every field; tests and
 * exports rely on these names.
 */
import { randomUUID } from 'node:crypto';
import { redactSecretsInText } from '../core/secrets/scan.js';
import type { RequestFinding } from '../core/request-inspection/inspect.js';

export type RecordKind = 'request' | 'connect' | 'forward';

/** How the exchange ended. `pending` only when the guard died before it finished. */
export type Outcome =
  | 'pending'
  | 'completed'
  | 'blocked'
  | 'rejected'
  | 'denied'
  | 'tunnel-closed'
  | 'client-aborted'
  | 'upstream-error'
  | 'upstream-timeout';

export interface AuditRecord {
  id: string;
  kind: RecordKind;
  /** ISO 8601 time the request arrived. */
  time: string;
  timeMs: number;
  /** Route prefix that matched (reverse proxy), or null. */
  route: string | null;
  /** Upstream origin, or `host:port` for CONNECT. */
  upstream: string | null;
  method: string;
  /** Path and query as received, with credential-like query values redacted. */
  path: string;
  /** Forward proxy: target host and port. */
  host: string | null;
  port: number | null;
  status: number | null;
  /** Arrival to the end of the response, in ms. */
  latencyMs: number | null;
  /** Time spent in the guard itself (read, inspect, decide), in ms. */
  overheadMs: number | null;
  bytesIn: number;
  bytesOut: number | null;
  model: string | null;
  /** The agent: its User-Agent, or the name `telltale run` gave it. */
  agent: string | null;
  stream: boolean;
  findings: RequestFinding[];
  /** pass | log | neutralize | redact | block (requests); allow | deny (egress); error. */
  action: string;
  outcome: Outcome;
  /** What went wrong, in one line (never contains request content). */
  error: string | null;
  /** The request body per `audit.bodies`, secrets redacted; repeated blocks deduplicated in storage. */
  body: string | null;
}

/** The part known when the request arrives. */
export type BeginRecord = Omit<AuditRecord, 'status' | 'latencyMs' | 'bytesOut' | 'outcome' | 'error'> & Partial<Pick<AuditRecord, 'status' | 'latencyMs' | 'bytesOut' | 'outcome' | 'error'>>;

/** The part known when the exchange ends. */
export interface CompleteRecord {
  id: string;
  status: number | null;
  latencyMs: number;
  overheadMs?: number | null;
  bytesOut: number;
  outcome: Outcome;
  error: string | null;
}

/**
 * A request record with its final record applied: one row with the outcome (as the stores'
 * UPDATE of a final record does: an error turns a passing request's action into 'error').
 */
export function withOutcome(begin: BeginRecord, final: CompleteRecord): BeginRecord {
  return {
    ...begin,
    status: final.status,
    latencyMs: final.latencyMs,
    overheadMs: final.overheadMs ?? begin.overheadMs,
    bytesOut: final.bytesOut,
    outcome: final.outcome,
    error: final.error,
    action: final.error !== null && begin.action === 'pass' ? 'error' : begin.action,
  };
}

let counter = 0;

/** Time-sortable id: base-36 milliseconds, a per-process counter and random bits (randomUUID: its entropy is pooled, randomBytes makes a call per id). */
export function newRecordId(now = Date.now()): string {
  counter = (counter + 1) % 1296;
  return `${now.toString(36).padStart(9, '0')}${counter.toString(36).padStart(2, '0')}${randomUUID().slice(0, 8)}`;
}

const SENSITIVE_QUERY = /^(key|api[-_]?key|token|access[-_]?token|secret|password|passwd|pwd|auth|authorization|signature|sig|x-goog-api-key|code)$/i;

/** Redacts credential-like query parameters (Gemini-style `?key=…`) before a path is stored. */
export function redactPath(pathWithQuery: string): string {
  const q = pathWithQuery.indexOf('?');
  if (q < 0) return pathWithQuery;
  const params = pathWithQuery
    .slice(q + 1)
    .split('&')
    .map((kv) => {
      const eq = kv.indexOf('=');
      const name = decodeURIComponentSafe(eq < 0 ? kv : kv.slice(0, eq));
      return eq >= 0 && SENSITIVE_QUERY.test(name) ? `${kv.slice(0, eq)}=[REDACTED]` : kv;
    });
  return `${pathWithQuery.slice(0, q)}?${params.join('&')}`;
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** A run of token characters long enough to be a credential. */
const TOKEN_LIKE = /[A-Za-z0-9_\-]{20,}/;

/**
 * `redactPath`, and secrets anywhere in the path (a token in a path segment) found by
 * the same rule set as request bodies. Only paths with a long token-like run are scanned.
 */
export function redactPathSecrets(pathWithQuery: string): string | Promise<string> {
  const path = redactPath(pathWithQuery);
  // Most paths hold nothing token-like: answer without a secretlint call or a promise.
  return TOKEN_LIKE.test(path) ? redactSecretsInText(path) : path;
}
