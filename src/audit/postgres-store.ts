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
import type { AuditRecord } from './record.js';
import { findingTypes, rowToRecord, type RecordRow } from './record-row.js';
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

const COLUMNS = [
  'id', 'kind', 'time', 'time_ms', 'route', 'upstream', 'method', 'path', 'host', 'port', 'status', 'latency_ms', 'overhead_ms',
  'bytes_in', 'bytes_out', 'model', 'agent', 'stream', 'findings', 'finding_types', 'action', 'outcome', 'error', 'body',
] as const;
const UPSERT_RECORD_SET = COLUMNS.filter((c) => c !== 'id').map((c) => `${c} = EXCLUDED.${c}`).join(', ');
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
    const splits = ops.map((op) => {
      if (op.op !== 'begin') return null;
      const r = op.record;
      const source = op.bodyBytes ?? r.body;
      if (source === null) return null;
      return this.splitter.split(source, op.bodyBytes ? { id: r.id, json: true, ...(op.bodyPrefix ? { prefix: op.bodyPrefix } : {}) } : undefined);
    });
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

  private async writeOnce(ops: readonly WriteOp[], splits: readonly (ReturnType<BodySplitter['split']> | null)[]): Promise<void> {
    const client = await this.connection();
    const now = Date.now();
    // Blocks to send: those this guard has not stored or refreshed within the hour. Sorted by
    // hash, so that two guards upserting the same blocks lock them in the same order.
    const needed = new Map<string, Block>();
    for (const split of splits) {
      for (const b of split?.blocks ?? []) {
        const seen = this.knownBlocks.get(b.hash);
        if ((seen === undefined || now - seen.ms >= BLOCK_REFRESH_MS) && !needed.has(b.hash)) needed.set(b.hash, b);
      }
    }
    const hashes = [...needed.keys()].sort();
    const stored = new Map<string, number>();
    try {
      await client.query('BEGIN');
      if (hashes.length) {
        const result = await client.query<{ id: number; hash: string }>(
          `INSERT INTO telltale_blocks (hash, content, last_ms)
           SELECT h, c, $3 FROM unnest($1::text[], $2::text[]) AS t(h, c) ORDER BY h
           ON CONFLICT (hash) DO UPDATE SET last_ms = GREATEST(telltale_blocks.last_ms, EXCLUDED.last_ms)
           RETURNING id, hash`,
          [hashes, hashes.map((h) => needed.get(h)!.content()), now],
        );
        for (const row of result.rows) stored.set(row.hash, row.id);
      }
      const idOf = (hash: string): number => stored.get(hash) ?? this.knownBlocks.get(hash)!.id;
      // In order, as runs of request records (one INSERT) and of final records (one UPDATE).
      let i = 0;
      while (i < ops.length) {
        const kind = ops[i]!.op;
        let j = i;
        const ids = new Set<string>();
        while (j < ops.length && ops[j]!.op === kind && j - i < MAX_ROWS_PER_STATEMENT && !ids.has(ops[j]!.record.id)) ids.add(ops[j++]!.record.id);
        if (kind === 'begin') await this.insertRecords(client, ops, splits, i, j, idOf);
        else await this.updateRecords(client, ops, i, j);
        i = j;
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => this.dropConnection());
      throw error;
    }
    for (const [hash, id] of stored) this.knownBlocks.set(hash, { id, ms: now });
  }

  private async insertRecords(client: pg.Client, ops: readonly WriteOp[], splits: readonly (ReturnType<BodySplitter['split']> | null)[], from: number, to: number, idOf: (hash: string) => number): Promise<void> {
    const values: unknown[] = [];
    const rows: string[] = [];
    for (let k = from; k < to; k++) {
      const op = ops[k] as Extract<WriteOp, { op: 'begin' }>;
      const r = op.record;
      const split = splits[k];
      const body = split ? withBlockIds(split.skeleton, split.blocks, split.blocks.map((b) => idOf(b.hash))) : null;
      const row = [
        r.id, r.kind, r.time, r.timeMs, r.route, r.upstream, r.method, r.path, r.host, r.port,
        r.status ?? null, r.latencyMs ?? null, r.overheadMs, r.bytesIn, r.bytesOut ?? null, r.model, r.agent,
        r.stream, JSON.stringify(r.findings), findingTypes(r.findings), r.action, r.outcome ?? 'pending', r.error ?? null, body,
      ];
      rows.push(`(${row.map((_, c) => `$${values.length + c + 1}`).join(', ')})`);
      values.push(...row);
    }
    await client.query(`INSERT INTO telltale_records (${COLUMNS.join(', ')}) VALUES ${rows.join(', ')} ON CONFLICT (id) DO UPDATE SET ${UPSERT_RECORD_SET}`, values);
  }

  private async updateRecords(client: pg.Client, ops: readonly WriteOp[], from: number, to: number): Promise<void> {
    const values: unknown[] = [];
    const rows: string[] = [];
    for (let k = from; k < to; k++) {
      const c = (ops[k] as Extract<WriteOp, { op: 'complete' }>).record;
      const n = values.length;
      rows.push(`($${n + 1}::text, $${n + 2}::integer, $${n + 3}::double precision, $${n + 4}::double precision, $${n + 5}::bigint, $${n + 6}::text, $${n + 7}::text)`);
      values.push(c.id, c.status, c.latencyMs, c.overheadMs ?? null, c.bytesOut, c.outcome, c.error);
    }
    // As the SQLite store's UPDATE: an error turns a passing request's action into 'error'.
    await client.query(
      `UPDATE telltale_records AS r SET status = v.status, latency_ms = v.latency_ms, overhead_ms = COALESCE(v.overhead_ms, r.overhead_ms),
         bytes_out = v.bytes_out, outcome = v.outcome, error = v.error,
         action = CASE WHEN v.error IS NOT NULL AND r.action = 'pass' THEN 'error' ELSE r.action END
       FROM (VALUES ${rows.join(', ')}) AS v(id, status, latency_ms, overhead_ms, bytes_out, outcome, error)
       WHERE r.id = v.id`,
      values,
    );
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

  /** The records with their bodies joined; every block they reference fetched in one query. */
  private async withBodies(client: pg.Client, rows: Row[]): Promise<AuditRecord[]> {
    const ids = new Set<number>();
    for (const row of rows) if (row.body !== null) for (const ref of blockRefs(row.body)) if (typeof ref === 'number') ids.add(ref);
    const content = new Map<number, string>();
    if (ids.size) {
      const result = await client.query<{ id: number; content: string }>('SELECT id, content FROM telltale_blocks WHERE id = ANY ($1::bigint[])', [[...ids]]);
      for (const b of result.rows) content.set(b.id, b.content);
    }
    return rows.map((row) => rowToRecord(row, row.body === null ? null : joinBody(row.body, (ref) => (typeof ref === 'number' ? content.get(ref) : undefined))));
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
