/**
 * The embedded audit store: SQLite in WAL mode. `synchronous=NORMAL` (default) makes a
 * committed transaction survive the guard process being killed (the WAL write has
 * reached the OS); `fsync: always` uses `synchronous=FULL`, which also survives power
 * loss at the cost of an fsync per batch. See docs/audit.md, "Durability".
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite';
import { BodySplitter, joinBody, withBlockIds, type Block, type SplitBody } from './body.js';
import type { AuditRecord } from './record.js';
import { BLOCK_REFRESH_MS, type AuditFilter, type AuditStore, type BodyOptions, type WriteOp } from './store.js';
import { sqlite } from './sqlite.js';
import { RecentMap } from '../core/recent-map.js';
import { RECORD_COLUMNS, recordValues, rowToRecord, type RecordRow, type RowEncoding } from './record-row.js';

/** stream as 0/1; finding types as ',secret,denied-path,' (filtered with LIKE '%,type,%'). */
const SQLITE_ROW: RowEncoding = {
  stream: (stream) => (stream ? 1 : 0),
  findingTypes: (types) => (types.length ? `,${types.join(',')},` : ''),
};

const SCHEMA = `
CREATE TABLE IF NOT EXISTS records (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  time TEXT NOT NULL,
  time_ms INTEGER NOT NULL,
  route TEXT, upstream TEXT, method TEXT NOT NULL, path TEXT NOT NULL,
  host TEXT, port INTEGER,
  status INTEGER, latency_ms REAL, overhead_ms REAL,
  bytes_in INTEGER NOT NULL, bytes_out INTEGER,
  model TEXT, agent TEXT, stream INTEGER NOT NULL,
  findings TEXT NOT NULL,
  finding_types TEXT NOT NULL,
  action TEXT NOT NULL,
  outcome TEXT NOT NULL,
  error TEXT,
  body TEXT
);
CREATE INDEX IF NOT EXISTS records_time ON records(time_ms);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
`;

/**
 * Blocks, layout 2 (logs created since): referenced from skeletons by row id,
 * `{"$block": 123}`. No index on the hash: each new block used to put a random page of
 * that index into the WAL (~30 µs per request of the writer's time at the benchmark's
 * rate, measured in isolation). Deduplication uses the hashes of the recent blocks, kept
 * in memory (SqliteAuditStore.knownBlocks) and loaded when a connection opens: from a
 * table of their own, without the content (loading 100,000 from rows that held ~2 KB of
 * content each took ~0.65 s).
 */
const BLOCKS_BY_ID = `
CREATE TABLE blocks (
  id INTEGER PRIMARY KEY,
  hash TEXT NOT NULL,
  last_ms INTEGER NOT NULL
);
CREATE TABLE block_content (
  id INTEGER PRIMARY KEY,
  content TEXT NOT NULL
);
INSERT OR REPLACE INTO meta(key, value) VALUES ('schema', '2');
`;

interface Row extends RecordRow {
  findings: string;
  body: string | null;
}

/** Blocks whose hash this connection remembers: the deduplication window (layout 2). */
const MAX_KNOWN_BLOCKS = 100_000;
/** Skeleton heads whose id form is kept (idForm): about one per live conversation. */
const MAX_ID_PREFIXES = 64;
/** How blocks are keyed: by row id (2, current) or by hash (1, logs created before). */
type Layout = 1 | 2;

export interface SqliteStoreOptions {
  body: BodyOptions;
  fsync: 'normal' | 'always';
  readOnly?: boolean;
  /**
   * false: this connection never checkpoints the WAL (another thread does:
   * checkpoint-worker.ts); until `resumeAutoCheckpoint()`.
   */
  autoCheckpoint?: boolean;
  /** How long a write waits for another connection's lock before SQLITE_BUSY (default 5000 ms; 0: fail at once). */
  busyTimeoutMs?: number;
}

export class SqliteAuditStore implements AuditStore {
  private readonly db: DatabaseSync;
  private readonly insert: StatementSync | undefined;
  private readonly update: StatementSync | undefined;
  /** Stores a new block and returns its row id (layout 1: an upsert by hash). */
  private readonly insertBlock: StatementSync | undefined;
  /** Layout 2: a new block's content, under its row id. */
  private readonly insertContent: StatementSync | undefined;
  /** Refreshes a known block's time by row id. */
  private readonly touchBlock: StatementSync | undefined;
  private readonly getBlockById: StatementSync | undefined;
  private readonly getBlockByHash: StatementSync | undefined;
  private readonly layout: Layout;
  /** Blocks this connection stored or loaded, with their row id and time: a block seen again is not rewritten (see write). */
  private readonly knownBlocks = new RecentMap<string, { id: number; ms: number }>(MAX_KNOWN_BLOCKS);
  /** Marks blocks as this connection's (Block.stored); replaced when the remembered rows may be gone. */
  private epoch: object = {};
  /** Id forms of skeleton heads that later bodies continue (see idForm), the most recent kept. */
  private readonly idPrefixes = new RecentMap<string, { text: string; ids: number[] }>(MAX_ID_PREFIXES);
  private readonly splitter: BodySplitter;

  constructor(
    readonly path: string,
    private readonly options: SqliteStoreOptions,
  ) {
    this.splitter = new BodySplitter(options.body);
    const { DatabaseSync } = sqlite();
    if (!options.readOnly && path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    // Readers open read-write too: after a crash, only a writable connection can recover the WAL index.
    this.db = new DatabaseSync(path);
    if (!options.readOnly) {
      this.db.exec('PRAGMA journal_mode=WAL');
      this.db.exec(`PRAGMA synchronous=${options.fsync === 'always' ? 'FULL' : 'NORMAL'}`);
      this.db.exec(`PRAGMA busy_timeout=${options.busyTimeoutMs ?? 5000}`);
      if (options.autoCheckpoint === false) this.db.exec('PRAGMA wal_autocheckpoint=0');
      // One connection at a time decides the layout (the writer thread and the guard's thread open the same file).
      this.db.exec('BEGIN IMMEDIATE');
      try {
        this.db.exec(SCHEMA);
        if (!this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'blocks'").get()) this.db.exec(BLOCKS_BY_ID);
        this.db.exec('COMMIT');
      } catch (error) {
        this.db.exec('ROLLBACK');
        throw error;
      }
    } else {
      this.db.exec('PRAGMA busy_timeout=5000');
    }
    this.layout = this.readLayout();
    if (!options.readOnly) {
      this.insert = this.db.prepare(`INSERT OR REPLACE INTO records (${RECORD_COLUMNS.join(', ')}) VALUES (${RECORD_COLUMNS.map(() => '?').join(', ')})`);
      // A final record; WorkerSink.complete applies the same rule to a row it writes whole (HOLD_MS).
      this.update = this.db.prepare(`UPDATE records SET status = ?, latency_ms = ?, overhead_ms = COALESCE(?, overhead_ms),
        bytes_out = ?, outcome = ?, error = ?, action = CASE WHEN ? IS NOT NULL AND action = 'pass' THEN 'error' ELSE action END WHERE id = ?`);
      if (this.layout === 2) {
        this.insertBlock = this.db.prepare('INSERT INTO blocks(hash, last_ms) VALUES (?, ?)');
        this.insertContent = this.db.prepare('INSERT INTO block_content(id, content) VALUES (?, ?)');
        this.touchBlock = this.db.prepare('UPDATE blocks SET last_ms = ? WHERE id = ?');
        this.loadKnownBlocks();
      } else {
        this.insertBlock = this.db.prepare('INSERT INTO blocks(hash, content, last_ms) VALUES (?, ?, ?) ON CONFLICT(hash) DO UPDATE SET last_ms = excluded.last_ms RETURNING rowid AS id');
      }
    }
    if (this.layout === 2) this.getBlockById = this.db.prepare('SELECT content FROM block_content WHERE id = ?');
    else this.getBlockByHash = this.db.prepare('SELECT content FROM blocks WHERE hash = ?');
  }

  private readLayout(): Layout {
    try {
      const row = this.db.prepare("SELECT value FROM meta WHERE key = 'schema'").get() as { value: string } | undefined;
      // A log without the marker predates layouts: keyed by hash.
      return row?.value === '2' ? 2 : 1;
    } catch {
      return 1;
    }
  }

  /** The newest blocks' hashes: deduplication goes on across restarts, within the window. */
  private loadKnownBlocks(): void {
    const rows = this.db.prepare('SELECT id, hash, last_ms FROM blocks ORDER BY id DESC LIMIT ?').all(MAX_KNOWN_BLOCKS) as unknown as { id: number; hash: string; last_ms: number }[];
    for (let i = rows.length - 1; i >= 0; i--) this.knownBlocks.set(rows[i]!.hash, { id: rows[i]!.id, ms: rows[i]!.last_ms });
  }

  write(ops: readonly WriteOp[]): void {
    if (!this.insert || !this.update || !this.insertBlock) throw new Error('audit store is read-only');
    this.db.exec('BEGIN');
    try {
      for (const op of ops) {
        if (op.op === 'begin') {
          const r = op.record;
          let body: string | null = null;
          const split = this.splitter.splitRecord(r, op.bodyBytes, op.bodyPrefix);
          if (split) {
            const ids: number[] = [];
            for (const b of split.blocks) {
              // Agents resend the whole history every turn: rewriting each known block
              // would put a page per block into the WAL. Refresh its time hourly, for retention.
              // (A block twice in one body is known the second time.) A block of a resent
              // history carries its row from the last time (Block.stored): no lookup.
              const mark = b.stored;
              if (mark !== undefined && mark.owner === this.epoch && r.timeMs - mark.ms < BLOCK_REFRESH_MS) {
                ids.push(mark.id);
                continue;
              }
              const seen = this.knownBlocks.get(b.hash);
              const fresh = seen !== undefined && r.timeMs - seen.ms < BLOCK_REFRESH_MS;
              const id = fresh ? seen.id : this.storeBlock(b, r.timeMs, seen?.id);
              b.stored = { owner: this.epoch, id, ms: fresh ? seen.ms : r.timeMs };
              ids.push(id);
            }
            body = this.layout === 2 ? this.idForm(split, ids) : split.skeleton;
          }
          this.insert.run(...(recordValues(r, body, SQLITE_ROW) as SQLInputValue[]));
        } else {
          const c = op.record;
          this.update.run(c.status, c.latencyMs, c.overheadMs ?? null, c.bytesOut, c.outcome, c.error, c.error, c.id);
        }
      }
      this.db.exec('COMMIT');
    } catch (error) {
      this.db.exec('ROLLBACK');
      // Some remembered blocks may not have been committed.
      this.forgetBlocks();
      throw error;
    }
  }

  /** Forgets every block row this connection remembers (a rollback, a prune). */
  private forgetBlocks(): void {
    this.knownBlocks.clear();
    this.idPrefixes.clear();
    this.epoch = {};
  }

  /**
   * The skeleton with block ids (layout 2). A body that continues an earlier one starts
   * with that body's skeleton (split.reused): its id form is kept (a few, by the same
   * string) and only the rest is converted.
   */
  private idForm(split: SplitBody, ids: readonly number[]): string {
    const reused = split.reused;
    if (!reused || reused.blocks === 0) return withBlockIds(split.skeleton, split.blocks, ids);
    const n = reused.blocks;
    let head = this.idPrefixes.get(reused.skeleton);
    if (!head || head.ids.length !== n || head.ids.some((id, i) => id !== ids[i])) {
      head = { text: withBlockIds(reused.skeleton, split.blocks.slice(0, n), ids.slice(0, n)), ids: ids.slice(0, n) };
      this.idPrefixes.set(reused.skeleton, head);
    }
    return head.text + withBlockIds(reused.rest, split.blocks.slice(n), ids.slice(n));
  }

  /** Stores a block, or refreshes the time of one stored before (`knownId`); returns its row id. */
  private storeBlock(b: Block, timeMs: number, knownId: number | undefined): number {
    let id: number;
    if (this.layout === 1) {
      id = (this.insertBlock!.get(b.hash, b.content(), timeMs) as { id: number }).id;
    } else if (knownId !== undefined && this.touchBlock!.run(timeMs, knownId).changes > 0) {
      id = knownId;
    } else {
      // New, or gone since (pruned by another connection): stored again.
      id = Number(this.insertBlock!.run(b.hash, timeMs).lastInsertRowid);
      this.insertContent!.run(id, b.content());
    }
    this.knownBlocks.set(b.hash, { id, ms: timeMs });
    return id;
  }

  private toRecord(row: Row): AuditRecord {
    return rowToRecord(row, row.body === null ? null : joinBody(row.body, (ref) => this.blockContent(ref)));
  }


  /** A skeleton's block: by row id; by hash only in a layout 1 log (layout 2 has no index on it). */
  private blockContent(ref: string | number): string | undefined {
    const row = typeof ref === 'number' ? this.getBlockById?.get(ref) : this.getBlockByHash?.get(ref);
    return (row as { content: string } | undefined)?.content;
  }

  list(filter: AuditFilter): AuditRecord[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (filter.sinceMs !== undefined) (where.push('time_ms >= ?'), args.push(filter.sinceMs));
    if (filter.untilMs !== undefined) (where.push('time_ms <= ?'), args.push(filter.untilMs));
    if (filter.finding) (where.push('finding_types LIKE ?'), args.push(`%,${filter.finding},%`));
    if (filter.action) (where.push('action = ?'), args.push(filter.action));
    if (filter.agent) (where.push('agent LIKE ?'), args.push(`%${filter.agent}%`));
    if (filter.kind) (where.push('kind = ?'), args.push(filter.kind));
    const sql = `SELECT * FROM records ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY time_ms ${filter.order === 'asc' ? 'ASC' : 'DESC'}, id ${filter.order === 'asc' ? 'ASC' : 'DESC'} ${filter.limit ? `LIMIT ${Math.floor(filter.limit)}` : ''}`;
    return (this.db.prepare(sql).all(...args) as unknown as Row[]).map((r) => this.toRecord(r));
  }

  get(id: string): AuditRecord | null {
    const row = this.db.prepare('SELECT * FROM records WHERE id = ?').get(id) as unknown as Row | undefined;
    return row ? this.toRecord(row) : null;
  }

  prune(beforeMs: number): number {
    // One transaction: a block's content never outlives its row.
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const result = this.db.prepare('DELETE FROM records WHERE time_ms < ?').run(beforeMs);
      // A block in use is refreshed at least hourly (BLOCK_REFRESH_MS): one older than that
      // before the cut-off belongs to no record kept.
      const blocksBefore = beforeMs - BLOCK_REFRESH_MS;
      if (this.layout === 2) this.db.prepare('DELETE FROM block_content WHERE id IN (SELECT id FROM blocks WHERE last_ms < ?)').run(blocksBefore);
      this.db.prepare('DELETE FROM blocks WHERE last_ms < ?').run(blocksBefore);
      this.db.exec('COMMIT');
      return Number(result.changes);
    } catch (error) {
      this.db.exec('ROLLBACK');
      throw error;
    } finally {
      this.forgetBlocks();
    }
  }

  /** Back to SQLite's automatic checkpoints (when the checkpoint thread is gone). */
  resumeAutoCheckpoint(): void {
    this.db.exec('PRAGMA wal_autocheckpoint=1000');
  }

  close(): void {
    this.db.close();
  }
}
