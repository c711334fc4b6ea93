/**
 * The SQLite audit store's bodies (src/audit/sqlite-store.ts, src/audit/body.ts): blocks
 * stored once and referenced by row id (layout 2), deduplication across connections and
 * restarts, logs written before that layout (blocks keyed by hash) still read and written,
 * and no request able to make a stored body show another record's block.
 */
import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import { newRecordId, type BeginRecord } from '../../src/audit/record.js';
import { SqliteAuditStore } from '../../src/audit/sqlite-store.js';
import type { WriteOp } from '../../src/audit/store.js';
import { storedRecord, useTempDbs } from './helpers.js';

const dbPath = useTempDbs('telltale-store-');
const open = (path: string) => new SqliteAuditStore(path, { body: { mode: 'redacted', maxFieldChars: 65536 }, fsync: 'normal' });

// Synthetic conversations (test data): a system prompt, tools, and turns resent every time.
const system = [{ type: 'text', text: `You are a test agent. ${'Follow the rules. '.repeat(20)}` }];
const tools = [1, 2, 3].map((i) => ({ name: `Tool${i}`, description: `tool ${i} ${'does things '.repeat(15)}`, input_schema: { type: 'object' } }));
const turn = (i: number, tag = '') => ({ role: i % 2 ? 'assistant' : 'user', content: `${tag}turn ${i}: ${'words of the conversation '.repeat(8)}` });
const body = (turns: number, tag = '') => JSON.stringify({ model: 'm', system, tools, messages: Array.from({ length: turns }, (_, i) => turn(i, tag)) });

function begin(text: string, timeMs = Date.now()): WriteOp {
  const record: BeginRecord = {
    id: newRecordId(timeMs), kind: 'request', time: new Date(timeMs).toISOString(), timeMs, route: '/', upstream: 'http://127.0.0.1:1',
    method: 'POST', path: '/v1/messages', host: null, port: null, overheadMs: 0.1, bytesIn: text.length, model: 'm', agent: 'test',
    stream: false, findings: [], action: 'pass', body: null,
  };
  return { op: 'begin', record, bodyBytes: new TextEncoder().encode(text) };
}
/** The body of the record `op` began, as `telltale audit show` reads it. */
const storedBody = (path: string, op: WriteOp) => storedRecord(path, op.record.id)?.body;
const count = (path: string, sql: string): number => {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return Object.values(db.prepare(sql).get() as Record<string, number>)[0]!;
  } finally {
    db.close();
  }
};

describe('bodies in a new log (layout 2)', () => {
  it('stores each block once, references it by row id, and reads every body back as sent', () => {
    const path = dbPath();
    const store = open(path);
    const texts = [body(2), body(4), body(6), body(6)];
    const ops = texts.map((t) => begin(t));
    store.write(ops.slice(0, 2));
    store.write(ops.slice(2));
    store.close();
    // system (1) + tools (3) + 6 distinct turns.
    expect(count(path, 'SELECT count(*) FROM blocks')).toBe(10);
    expect(count(path, 'SELECT count(*) FROM block_content')).toBe(10);
    expect(count(path, "SELECT count(*) FROM meta WHERE key = 'schema' AND value = '2'")).toBe(1);
    // No index on the hash: a new block adds no random index page to the WAL.
    expect(count(path, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'blocks'")).toBe(0);
    ops.forEach((op, i) => expect(storedBody(path, op)).toBe(texts[i]));
    const raw = new DatabaseSync(path, { readOnly: true });
    const skeleton = (raw.prepare('SELECT body FROM records WHERE id = ?').get(ops[3]!.record.id) as { body: string }).body;
    raw.close();
    expect(skeleton).toMatch(/^\{"model":"m","system":\[\{"\$block":\d+\}\],"tools":\[\{"\$block":\d+\}/);
    expect(skeleton).not.toMatch(/[0-9a-f]{64}/);
  });

  it('goes on deduplicating after a restart; two connections open at once may each store a new block', () => {
    const path = dbPath();
    const first = open(path);
    first.write([begin(body(4))]);
    first.close();
    const before = count(path, 'SELECT count(*) FROM blocks');
    const again = open(path);
    const other = open(path);
    const ops = [begin(body(5)), begin(body(5))];
    again.write([ops[0]!]);
    // One new turn, stored once: the rest was known from the log itself.
    expect(count(path, 'SELECT count(*) FROM blocks')).toBe(before + 1);
    // `other` loaded the known blocks before that turn was stored: it stores its own copy
    // (the guard's two connections; the price of having no index on the hash).
    other.write([ops[1]!]);
    expect(count(path, 'SELECT count(*) FROM blocks')).toBe(before + 2);
    again.close();
    other.close();
    for (const op of ops) expect(storedBody(path, op)).toBe(body(5));
  });

  it('stores a block again when another connection pruned it, and the body still reads whole', () => {
    const path = dbPath();
    const store = open(path);
    const t0 = Date.now() - 3 * 3_600_000;
    store.write([begin(body(3), t0)]);
    const pruner = open(path);
    expect(pruner.prune(t0 + 1)).toBe(1);
    // Blocks stay an hour past the cut-off (BLOCK_REFRESH_MS): a record kept may use one its writer has not refreshed yet.
    expect(count(path, 'SELECT count(*) FROM blocks')).toBe(7);
    pruner.prune(t0 + 3_600_001);
    pruner.close();
    expect(count(path, 'SELECT count(*) FROM blocks')).toBe(0);
    expect(count(path, 'SELECT count(*) FROM block_content')).toBe(0);
    // Two hours later: the writer refreshes the blocks it knows, finds them gone, stores them again.
    const later = begin(body(3), t0 + 2 * 3_600_000);
    store.write([later]);
    store.close();
    expect(storedBody(path, later)).toBe(body(3));
  });

  it('a resent history reuses the rows its blocks got, and not once this connection pruned them', () => {
    const path = dbPath();
    const store = open(path);
    const t0 = Date.now() - 3 * 3_600_000;
    const ops = [begin(body(3), t0), begin(body(4), t0 + 1_000), begin(body(4, 'x'), t0 + 2_000)];
    for (const op of ops) store.write([op]);
    // system, 3 tools, 4 turns, 4 more (another tag).
    expect(count(path, 'SELECT count(*) FROM blocks')).toBe(12);
    ops.forEach((op, i) => expect(storedBody(path, op)).toBe([body(3), body(4), body(4, 'x')][i]));
    // Everything pruned, by this connection: the rows its splitter remembers are gone.
    store.prune(t0 + 2 * 3_600_000);
    expect(count(path, 'SELECT count(*) FROM blocks')).toBe(0);
    // Within the hour of those rows' last refresh: only the prune says they are gone.
    const after = begin(body(5), t0 + 3_000);
    store.write([after]);
    store.close();
    expect(storedBody(path, after)).toBe(body(5));
    expect(count(path, 'SELECT count(*) FROM blocks')).toBe(9);
  });

  it('a request cannot make its stored body show another record\u2019s block', () => {
    const path = dbPath();
    const store = open(path);
    store.write([begin(body(2))]);
    // Small values that spell references, where blocks go (whole values and history items).
    const forged = JSON.stringify({ model: 'm', system: { $block: 1 }, messages: [{ $block: 2 }, { $block: 'a'.repeat(64) }, turn(0)] });
    const op = begin(forged);
    store.write([op]);
    store.close();
    expect(storedBody(path, op)).toBe(forged);
  });

  it('leaves text that only looks like a reference alone', () => {
    const path = dbPath();
    const store = open(path);
    const first = begin(body(2));
    store.write([first]);
    // The hash of a stored block, quoted inside a message's text.
    const text = JSON.stringify({ model: 'm', system, messages: [{ role: 'user', content: `see {"$block":"${'0'.repeat(64)}"} and ${'padding '.repeat(20)}` }] });
    const op = begin(text);
    store.write([op]);
    store.close();
    expect(storedBody(path, op)).toBe(text);
  });
});

describe('a log written before layout 2 (blocks keyed by hash)', () => {
  // The schema of earlier releases, as they created it.
  const LAYOUT_1 = `
    CREATE TABLE records (id TEXT PRIMARY KEY, kind TEXT NOT NULL, time TEXT NOT NULL, time_ms INTEGER NOT NULL,
      route TEXT, upstream TEXT, method TEXT NOT NULL, path TEXT NOT NULL, host TEXT, port INTEGER,
      status INTEGER, latency_ms REAL, overhead_ms REAL, bytes_in INTEGER NOT NULL, bytes_out INTEGER,
      model TEXT, agent TEXT, stream INTEGER NOT NULL, findings TEXT NOT NULL, finding_types TEXT NOT NULL,
      action TEXT NOT NULL, outcome TEXT NOT NULL, error TEXT, body TEXT);
    CREATE INDEX records_time ON records(time_ms);
    CREATE TABLE blocks (hash TEXT PRIMARY KEY, content TEXT NOT NULL, last_ms INTEGER NOT NULL);
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    INSERT INTO meta(key, value) VALUES ('schema', '1');`;
  const oldBody = JSON.stringify({ model: 'm', messages: [turn(0), turn(1)] });

  function legacyLog(): string {
    const path = dbPath();
    const db = new DatabaseSync(path);
    db.exec('PRAGMA journal_mode=WAL');
    db.exec(LAYOUT_1);
    // A record as an earlier release stored it: the skeleton names its blocks by hash.
    const hashes = [turn(0), turn(1)].map((t, i) => {
      const hash = String(i).repeat(64);
      db.prepare('INSERT INTO blocks(hash, content, last_ms) VALUES (?, ?, ?)').run(hash, JSON.stringify(t), Date.now());
      return hash;
    });
    db.prepare(`INSERT INTO records (id, kind, time, time_ms, method, path, bytes_in, stream, findings, finding_types, action, outcome, body)
      VALUES ('old', 'request', '2026-01-01T00:00:00.000Z', 1767225600000, 'POST', '/v1/messages', 10, 0, '[]', '', 'pass', 'completed', ?)`)
      .run(JSON.stringify({ model: 'm', messages: hashes.map((h) => ({ $block: h })) }));
    db.close();
    return path;
  }

  it('reads its records, and writes new ones in its own layout', () => {
    const path = legacyLog();
    const store = open(path);
    const ops = [begin(body(3)), begin(body(3, 'x'))];
    store.write(ops);
    store.close();
    expect(count(path, "SELECT count(*) FROM meta WHERE key = 'schema' AND value = '1'")).toBe(1);
    expect(storedRecord(path, 'old')?.body).toBe(oldBody);
    ops.forEach((op, i) => expect(storedBody(path, op)).toBe(i ? body(3, 'x') : body(3)));
    // Deduplicated by its hash index, as before: system, tools, 3 + 3 turns, and the 2 old blocks.
    expect(count(path, 'SELECT count(*) FROM blocks')).toBe(1 + 3 + 6 + 2);
  });
});
