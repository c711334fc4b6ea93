/**
 * Where audit records live: SQLite, the embedded default (sqlite-store.ts), or PostgreSQL,
 * shared by a fleet of guards (postgres-store.ts). Both implement this interface; writes
 * come in batches, each batch one transaction. SQLite answers synchronously, PostgreSQL
 * with promises: callers await either.
 */
import type { AuditRecord, BeginRecord, CompleteRecord } from './record.js';
import type { BodyPrefix } from './body.js';
import type { BodyBytes } from './body-bytes.js';

/**
 * `bodyBytes`, when given, is the body to store as UTF-8 JSON (instead of `record.body`),
 * as the guard parsed it; `bodyPrefix`: its leading bytes equal those of an earlier
 * record's body (the guard's parser compared them), so the store need not search for that.
 * The writer thread passes bodies in the pieces they came in (body-bytes.ts).
 */
export type WriteOp = { op: 'begin'; record: BeginRecord; bodyBytes?: Uint8Array | BodyBytes; bodyPrefix?: BodyPrefix } | { op: 'complete'; record: CompleteRecord };

/**
 * How often a store refreshes the time of a block it keeps using (for retention): a block
 * in use is never older than this, so pruning keeps blocks this much older than the cut-off.
 */
export const BLOCK_REFRESH_MS = 3_600_000;

export interface AuditFilter {
  /** Inclusive lower bound, ms since epoch. */
  sinceMs?: number;
  untilMs?: number;
  /** Finding type (`secret`, `hidden-characters`, `denied-path`). */
  finding?: string;
  /** Action taken (`pass`, `log`, `neutralize`, `redact`, `block`, `allow`, `deny`, `error`). */
  action?: string;
  /** Substring of the agent. */
  agent?: string;
  kind?: string;
  limit?: number;
  /** Newest first (default) or oldest first. */
  order?: 'asc' | 'desc';
}

export interface BodyOptions {
  mode: 'none' | 'redacted' | 'full';
  /** Cap per string field, in characters (mode `redacted`). */
  maxFieldChars: number;
}

export interface AuditStore {
  /** Applies the operations in one transaction; durable once settled (per the store's sync policy). */
  write(ops: readonly WriteOp[]): void | Promise<void>;
  list(filter: AuditFilter): AuditRecord[] | Promise<AuditRecord[]>;
  get(id: string): AuditRecord | null | Promise<AuditRecord | null>;
  /** Deletes records older than the given time and blocks no longer referenced; returns records deleted. */
  prune(beforeMs: number): number | Promise<number>;
  close(): void | Promise<void>;
}

/** The store's URL for messages and logs: a PostgreSQL password is never shown. */
export function displayStoreUrl(url: string): string {
  if (!/^postgres(ql)?:\/\//.test(url)) return url;
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    // Passwords can also come as a query parameter (libpq's `password=`).
    if (u.searchParams.has('password')) u.searchParams.set('password', '***');
    return u.toString();
  } catch {
    return 'postgres://…';
  }
}

export function parseStoreUrl(url: string): { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string } | { kind: 'none' } {
  if (url === 'none') return { kind: 'none' };
  if (url.startsWith('sqlite:')) return { kind: 'sqlite', path: url.slice('sqlite:'.length) };
  return { kind: 'postgres', url };
}
