/**
 * The fleet audit store: PostgreSQL, one database for many guards (`audit.store:
 * postgres://…`). Same records and the same body storage as the SQLite store
 * (sqlite-store.ts): a body is a skeleton whose repeated blocks (messages, tools, system)
 * are stored once, referenced by row id. Here the blocks are deduplicated across every
 * guard that writes to the database, through a unique index on their hash.
 *
 * Each batch is one transaction, committed before the writer acknowledges it: a response
 * a client has seen complete has its record committed on the server (with PostgreSQL's
 * default `synchronous_commit = on`, flushed to its disk too).
 */
import pg from 'pg';
import { BodySplitter, blockRefs, joinBody, withBlockIds, type Block } from './body.js';
import { withOutcome, type AuditRecord, type BeginRecord, type CompleteRecord } from './record.js';
import { RECORD_COLUMNS, recordValues, rowToRecord, type RecordRow, type RowEncoding } from './record-row.js';
import { BLOCK_REFRESH_MS, displayStoreUrl, type AuditFilter, type AuditStore, type BodyOptions, type WriteOp } from './store.js';
import { RecentMap } from '../core/recent-map.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS telltale_records (
  id text PRIMARY KEY,
  kind text NOT NULL,
  time text NOT NULL,
  time_ms bigint NOT NULL,
  route text, upstream text, method text NOT NULL, path text NOT NULL,
  host text, port integer,
  status integer, latency_ms double precision, overhead_ms double precision,
  bytes_in bigint NOT NULL, bytes_out bigint,
  model text, agent text, stream boolean NOT NULL,
  findings jsonb NOT NULL,
  finding_types text[] NOT NULL,
  action text NOT NULL,
  outcome text NOT NULL,
  error text,
  body text
);
CREATE INDEX IF NOT EXISTS telltale_records_time ON telltale_records (time_ms);
CREATE TABLE IF NOT EXISTS telltale_blocks (
  id bigserial PRIMARY KEY,
  hash text NOT NULL UNIQUE,
  content text NOT NULL,
  last_ms bigint NOT NULL
);
CREATE TABLE IF NOT EXISTS telltale_meta (key text PRIMARY KEY, value text NOT NULL);
INSERT INTO telltale_meta (key, value) VALUES ('schema', '1') ON CONFLICT (key) DO NOTHING;
`;

/** stream as boolean, finding types as text[] (filtered with = ANY). */
const POSTGRES_ROW: RowEncoding = { stream: (stream) => stream, findingTypes: (types) => types };
const UPSERT_RECORD_SET = RECORD_COLUMNS.filter((c) => c !== 'id').map((c) => `${c} = EXCLUDED.${c}`).join(', ');
/** Rows per INSERT statement: PostgreSQL takes at most 65,535 parameters. */
const MAX_ROWS_PER_STATEMENT = 1000;
/** Blocks whose row id this guard remembers (as the SQLite store does). */
const MAX_KNOWN_BLOCKS = 100_000;
/** Deadlock and serialization failure: the batch is tried once more (as when the connection is lost). */
const DEADLOCK = /^(40P01|40001)$/;

/** bigint columns (time_ms, ids, byte counts) as numbers: they stay far below 2^53. */
const TYPES = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === 20 ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
};

interface Row extends RecordRow {
  body: string | null;
}

export interface PostgresStoreOptions {
  body: BodyOptions;
  /** Reads only (`telltale audit`): the tables must exist; nothing is created. */
  readOnly?: boolean;
}

/** A failure the caller can show: the store's URL without its password, and what PostgreSQL said. */
export class PostgresStoreError extends Error {}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' && code.length > 0 ? `${error.message} (${code})` : error.message;
  }
  return String(error);
}

export class PostgresAuditStore implements AuditStore {
  private client: pg.Client | undefined;
  private readonly splitter: BodySplitter;
  /** Blocks this guard stored or met, with their row id and when it last refreshed their time. */
  private readonly knownBlocks = new RecentMap<string, { id: number; ms: number }>(MAX_KNOWN_BLOCKS);
  /** The one connection runs one thing at a time: a transaction must not take in another caller's queries. */
  private turn: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly url: string,
    private readonly options: PostgresStoreOptions,
  ) {
    this.splitter = new BodySplitter(options.body);
  }

  /** Connects and, unless read-only, creates the tables if they are missing. */
  static async open(url: string, options: PostgresStoreOptions): Promise<PostgresAuditStore> {
    const store = new PostgresAuditStore(url, options);
    const client = await store.connection();
    try {
      if (options.readOnly) {
        const found = await client.query<{ t: string | null }>("SELECT to_regclass('telltale_records')::text AS t");
        if (!found.rows[0]?.t) throw new PostgresStoreError(`no telltale audit log in ${displayStoreUrl(url)} (table telltale_records is missing); run 'telltale guard' with this store first`);
      } else {
        // Guards starting together must not create the tables twice (a race on the catalog).
        await client.query('BEGIN');
        await client.query("SELECT pg_advisory_xact_lock(hashtext('telltale audit schema'))");
        await client.query(SCHEMA);
        await client.query('COMMIT');
      }
    } catch (error) {
      await store.close();
      if (error instanceof PostgresStoreError) throw error;
      throw new PostgresStoreError(`cannot set up the audit log in ${displayStoreUrl(url)}: ${describe(error)}`);
    }
    return store;
  }

  /** Runs `work` after everything queued before it. */
  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const result = this.turn.then(work, work);
    this.turn = result.catch(() => {});
    return result;
  }

  private async connection(): Promise<pg.Client> {
    if (this.client) return this.client;
    const client = new pg.Client({ connectionString: this.url, types: TYPES, application_name: 'telltale', connectionTimeoutMillis: 10_000 });
    // A connection that drops between queries reports here; without a listener it would end the process.
    client.on('error', () => {
      if (this.client === client) this.client = undefined;
    });
    try {
      await client.connect();
    } catch (error) {
      await client.end().catch(() => {});
      throw new PostgresStoreError(`cannot connect to ${displayStoreUrl(this.url)}: ${describe(error)}`);
    }
    this.client = client;
    return client;
  }

  private dropConnection(): void {
    const client = this.client;
    this.client = undefined;
    void client?.end().catch(() => {});
  }

  write(ops: readonly WriteOp[]): Promise<void> {
    return this.exclusive(() => this.writeBatch(ops));
  }

  private async writeBatch(ops: readonly WriteOp[]): Promise<void> {
    if (this.options.readOnly) throw new Error('audit store is read-only');
    // Split once: the splitter keeps state across bodies, and a retry stores the same split.
    const splits = ops.map((op) => (op.op === 'begin' ? this.splitter.splitRecord(op.record, op.bodyBytes, op.bodyPrefix) : null));
    try {
      await this.writeOnce(ops, splits);
    } catch (error) {
      // A deadlock with another guard, or a connection that went away (the server restarted, a
      // network blip): once more, on a new connection if needed. Anything else is reported.
      const code = typeof (error as { code?: unknown }).code === 'string' ? (error as { code: string }).code : '';
      const connectionLost = error instanceof PostgresStoreError || this.client === undefined || /^(08|57P0)/.test(code) || /Connection terminated|ECONNRESET|EPIPE/.test(describe(error));
      if (!connectionLost && !DEADLOCK.test(code)) throw error;
      if (connectionLost) this.dropConnection();
      await new Promise((resolve) => setTimeout(resolve, 50));
      await this.writeOnce(ops, splits);
    }
  }

  /**
   * The batch as one statement (one round trip, atomic without BEGIN/COMMIT: a round trip
   * costs the writer ~0.2 ms of CPU on loopback, and a remote server one RTT each): the new
   * blocks, the request records and the final records, as data-modifying CTEs. Those see
   * the same snapshot, not each other's rows, so a final record whose request record is in
   * the same batch is applied to it here (one row with its outcome). A block new in this
   * batch is referenced by its hash (unique here), one known by row id.
   */
  private async writeOnce(ops: readonly WriteOp[], splits: readonly (ReturnType<BodySplitter['split']> | null)[]): Promise<void> {
    const client = await this.connection();
    const now = Date.now();
    const begins = new Map<string, { record: BeginRecord; split: ReturnType<BodySplitter['split']> | null }>();
    const finals: CompleteRecord[] = [];
    ops.forEach((op, k) => {
      if (op.op === 'begin') begins.set(op.record.id, { record: op.record, split: splits[k] ?? null });
      else {
        const begun = begins.get(op.record.id);
        if (begun) begun.record = withOutcome(begun.record, op.record);
        else finals.push(op.record);
      }
    });
    // Blocks to send: those this guard has not stored or refreshed within the hour. Sorted by
    // hash, so that two guards upserting the same blocks lock them in the same order.
    const needed = new Map<string, Block>();
    for (const { split } of begins.values()) {
      for (const b of split?.blocks ?? []) {
        const seen = this.knownBlocks.get(b.hash);
        if ((seen === undefined || now - seen.ms >= BLOCK_REFRESH_MS) && !needed.has(b.hash)) needed.set(b.hash, b);
      }
    }
    const hashes = [...needed.keys()].sort();
    const rows = [...begins.values()];
    const stored: { id: number; hash: string }[] = [];
    // Statements of at most MAX_ROWS_PER_STATEMENT rows each (the blocks go with the first).
    for (let r = 0, f = 0, first = true; first || r < rows.length || f < finals.length; first = false) {
      const values: unknown[] = [];
      const param = (v: unknown) => `$${values.push(v)}`;
      const ctes: string[] = [];
      if (first && hashes.length) {
        ctes.push(`b AS (INSERT INTO telltale_blocks (hash, content, last_ms)
          SELECT h, c, ${param(now)}::bigint FROM unnest(${param(hashes)}::text[], ${param(hashes.map((h) => needed.get(h)!.content()))}::text[]) AS t(h, c) ORDER BY h
          ON CONFLICT (hash) DO UPDATE SET last_ms = GREATEST(telltale_blocks.last_ms, EXCLUDED.last_ms)
          RETURNING id, hash)`);
      }
      const recordRows: string[] = [];
      for (const end = Math.min(rows.length, r + MAX_ROWS_PER_STATEMENT); r < end; r++) {
        const { record: x, split } = rows[r]!;
        // Known blocks by row id; blocks new in this batch keep their hash reference.
        const body = split ? withBlockIds(split.skeleton, split.blocks, split.blocks.map((b) => (needed.has(b.hash) ? undefined : this.knownBlocks.get(b.hash)?.id))) : null;
        recordRows.push(`(${recordValues(x, body, POSTGRES_ROW).map(param).join(', ')})`);
      }
      if (recordRows.length) ctes.push(`r AS (INSERT INTO telltale_records (${RECORD_COLUMNS.join(', ')}) VALUES ${recordRows.join(', ')} ON CONFLICT (id) DO UPDATE SET ${UPSERT_RECORD_SET})`);
      const finalRows: string[] = [];
      for (const end = Math.min(finals.length, f + MAX_ROWS_PER_STATEMENT); f < end; f++) {
        const c = finals[f]!;
        finalRows.push(`(${param(c.id)}::text, ${param(c.status)}::integer, ${param(c.latencyMs)}::double precision, ${param(c.overheadMs ?? null)}::double precision, ${param(c.bytesOut)}::bigint, ${param(c.outcome)}::text, ${param(c.error)}::text)`);
      }
      // As the SQLite store's UPDATE: an error turns a passing request's action into 'error'.
      if (finalRows.length) {
        ctes.push(`u AS (UPDATE telltale_records AS x SET status = v.status, latency_ms = v.latency_ms, overhead_ms = COALESCE(v.overhead_ms, x.overhead_ms),
          bytes_out = v.bytes_out, outcome = v.outcome, error = v.error,
          action = CASE WHEN v.error IS NOT NULL AND x.action = 'pass' THEN 'error' ELSE x.action END
          FROM (VALUES ${finalRows.join(', ')}) AS v(id, status, latency_ms, overhead_ms, bytes_out, outcome, error)
          WHERE x.id = v.id)`);
      }
      if (!ctes.length) break;
      const result = await client.query<{ id: number; hash: string }>(`WITH ${ctes.join(',\n')} ${ctes[0]!.startsWith('b ') ? 'SELECT id, hash FROM b' : 'SELECT NULL::bigint AS id, NULL::text AS hash WHERE false'}`, values);
      stored.push(...result.rows);
    }
    for (const { id, hash } of stored) this.knownBlocks.set(hash, { id, ms: now });
  }

  list(filter: AuditFilter): Promise<AuditRecord[]> {
    return this.exclusive(() => this.query(filter));
  }

  private async query(filter: AuditFilter): Promise<AuditRecord[]> {
    const where: string[] = [];
    const args: (string | number)[] = [];
    const arg = (v: string | number) => `$${args.push(v)}`;
    if (filter.sinceMs !== undefined) where.push(`time_ms >= ${arg(filter.sinceMs)}`);
    if (filter.untilMs !== undefined) where.push(`time_ms <= ${arg(filter.untilMs)}`);
    if (filter.finding) where.push(`${arg(filter.finding)} = ANY (finding_types)`);
    if (filter.action) where.push(`action = ${arg(filter.action)}`);
    // Case-insensitive substring, as SQLite's LIKE does for ASCII.
    if (filter.agent) where.push(`strpos(lower(agent), lower(${arg(filter.agent)})) > 0`);
    if (filter.kind) where.push(`kind = ${arg(filter.kind)}`);
    const dir = filter.order === 'asc' ? 'ASC' : 'DESC';
    const limit = filter.limit ? ` LIMIT ${Math.floor(filter.limit)}` : '';
    const client = await this.connection();
    const rows = (await client.query<Row>(`SELECT * FROM telltale_records ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY time_ms ${dir}, id ${dir}${limit}`, args)).rows;
    return this.withBodies(client, rows);
  }

  get(id: string): Promise<AuditRecord | null> {
    return this.exclusive(async () => {
      const client = await this.connection();
      const rows = (await client.query<Row>('SELECT * FROM telltale_records WHERE id = $1', [id])).rows;
      return rows.length ? (await this.withBodies(client, rows))[0]! : null;
    });
  }

  /** The records with their bodies joined; every block they reference (by row id or, new in its batch, by hash) fetched in one query. */
  private async withBodies(client: pg.Client, rows: Row[]): Promise<AuditRecord[]> {
    const ids = new Set<number>();
    const hashes = new Set<string>();
    for (const row of rows) {
      if (row.body === null) continue;
      for (const ref of blockRefs(row.body)) {
        if (typeof ref === 'number') ids.add(ref);
        else hashes.add(ref);
      }
    }
    const byId = new Map<number, string>();
    const byHash = new Map<string, string>();
    if (ids.size || hashes.size) {
      const result = await client.query<{ id: number; hash: string; content: string }>(
        'SELECT id, hash, content FROM telltale_blocks WHERE id = ANY ($1::bigint[]) OR hash = ANY ($2::text[])',
        [[...ids], [...hashes]],
      );
      for (const b of result.rows) {
        byId.set(b.id, b.content);
        byHash.set(b.hash, b.content);
      }
    }
    return rows.map((row) => rowToRecord(row, row.body === null ? null : joinBody(row.body, (ref) => (typeof ref === 'number' ? byId.get(ref) : byHash.get(ref)))));
  }

  prune(beforeMs: number): Promise<number> {
    return this.exclusive(() => this.pruneBefore(beforeMs));
  }

  private async pruneBefore(beforeMs: number): Promise<number> {
    const client = await this.connection();
    try {
      await client.query('BEGIN');
      const deleted = await client.query('DELETE FROM telltale_records WHERE time_ms < $1', [beforeMs]);
      // A block in use is refreshed at least hourly by whoever uses it (BLOCK_REFRESH_MS): one
      // older than that before the cut-off belongs to no record kept, nor to one being written.
      await client.query('DELETE FROM telltale_blocks WHERE last_ms < $1', [beforeMs - BLOCK_REFRESH_MS]);
      await client.query('COMMIT');
      return deleted.rowCount ?? 0;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => this.dropConnection());
      throw error;
    } finally {
      this.knownBlocks.clear();
    }
  }

  close(): Promise<void> {
    // After what is queued: a batch being written is committed first.
    return this.exclusive(async () => {
      const client = this.client;
      this.client = undefined;
      await client?.end().catch(() => {});
    });
  }
}
