/**
 * Where audit records live. SQLite is the embedded default; a PostgreSQL store for fleets
 * implements the same interface (writes come in batches, each batch one transaction).
 */
import type { AuditRecord, BeginRecord, CompleteRecord } from './record.js';
import type { BodyPrefix } from './body.js';

/**
 * `bodyBytes`, when given, is the body to store as UTF-8 JSON (instead of `record.body`),
 * as the guard parsed it; `bodyPrefix`: its leading bytes equal those of an earlier
 * record's body (the guard's parser compared them), so the store need not search for that.
 */
export type WriteOp = { op: 'begin'; record: BeginRecord; bodyBytes?: Uint8Array; bodyPrefix?: BodyPrefix } | { op: 'complete'; record: CompleteRecord };

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
  /** Applies the operations in one transaction; durable on return (per the store's sync policy). */
  write(ops: readonly WriteOp[]): void;
  list(filter: AuditFilter): AuditRecord[];
  get(id: string): AuditRecord | null;
  /** Deletes records older than the given time and blocks no longer referenced; returns records deleted. */
  prune(beforeMs: number): number;
  close(): void;
}

export function parseStoreUrl(url: string): { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string } | { kind: 'none' } {
  if (url === 'none') return { kind: 'none' };
  if (url.startsWith('sqlite:')) return { kind: 'sqlite', path: url.slice('sqlite:'.length) };
  return { kind: 'postgres', url };
}
