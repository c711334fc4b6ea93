/**
 * The PostgreSQL audit store (src/audit/postgres-store.ts), against a real server (see
 * test/helpers/postgres.ts; skipped with the reason when there is none): records and
 * bodies round trip as the SQLite store's do, blocks are stored once across guards, guards
 * writing the same blocks at once do not deadlock, a lost connection costs no batch,
 * retention, filters, and no password in any message.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newRecordId, type BeginRecord } from '../../src/audit/record.js';
import { PostgresAuditStore } from '../../src/audit/postgres-store.js';
import type { WriteOp } from '../../src/audit/store.js';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.js';

const server = await startTestPostgres();
const skip = 'skip' in server ? server.skip : undefined;
if (skip) process.stderr.write(`postgres-store.test.ts: skipped: ${skip}\n`);
const pgServer = skip ? undefined : (server as TestPostgres);
afterAll(() => pgServer?.stop());

const OPTIONS = { body: { mode: 'redacted' as const, maxFieldChars: 65536 } };

// Synthetic conversations (test data): a system prompt, tools, and turns resent every time.
const system = [{ type: 'text', text: `You are a fleet test agent. ${'Keep to the policy. '.repeat(20)}` }];
const tools = ['Read', 'Write'].map((n) => ({ name: n, description: `${n} a file ${'carefully and completely '.repeat(10)}`, input_schema: { type: 'object' } }));
const turn = (i: number, tag = '') => ({ role: i % 2 ? 'assistant' : 'user', content: `${tag}turn ${i}: ${'text of this fleet conversation '.repeat(8)}` });
const body = (turns: number, tag = '') => JSON.stringify({ model: 'm', system, tools, messages: Array.from({ length: turns }, (_, i) => turn(i, tag)) });

function begin(text: string | null, over: Partial<BeginRecord> = {}): Extract<WriteOp, { op: 'begin' }> {
  const timeMs = over.timeMs ?? Date.now();
  const record: BeginRecord = {
    id: newRecordId(timeMs), kind: 'request', time: new Date(timeMs).toISOString(), timeMs, route: '/', upstream: 'http://127.0.0.1:1',
    method: 'POST', path: '/v1/messages', host: null, port: null, overheadMs: 0.1, bytesIn: text?.length ?? 0, model: 'm', agent: 'test-agent/1.0',
    stream: false, findings: [], action: 'pass', body: null, ...over,
  };
  return text === null ? { op: 'begin', record } : { op: 'begin', record, bodyBytes: new TextEncoder().encode(text) };
}
const complete = (id: string, error: string | null = null): WriteOp => ({
  op: 'complete',
  record: { id, status: error ? 502 : 200, latencyMs: 12.5, overheadMs: 0.4, bytesOut: 321, outcome: error ? 'upstream-error' : 'completed', error },
});

async function sql<T extends pg.QueryResultRow>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(text, values)).rows;
  } finally {
    await c.end();
  }
}
const blockCount = async (url: string) => Number((await sql<{ n: string }>(url, 'SELECT count(*) AS n FROM telltale_blocks'))[0]!.n);

describe.skipIf(skip !== undefined)('PostgreSQL audit store', () => {
  let url: string;
  beforeAll(async () => {
    url = await pgServer!.newDatabase();
  });

  it('round-trips records and bodies, stores each block once, and applies final records', async () => {
    const db = await pgServer!.newDatabase();
    const store = await PostgresAuditStore.open(db, OPTIONS);
    const texts = [body(2), body(4), body(6), body(6)];
    const ops = texts.map((t) => begin(t));
    await store.write(ops.slice(0, 2));
    // One statement per batch: a final record whose request record is in the same batch is applied to it.
    await store.write([...ops.slice(2), complete(ops[0]!.record.id), complete(ops[1]!.record.id, 'upstream reset the connection'), complete(ops[3]!.record.id)]);
    // system (1) + tools (2) + 6 distinct turns.
    expect(await blockCount(db)).toBe(9);
    const skeleton = (await sql<{ body: string }>(db, 'SELECT body FROM telltale_records WHERE id = $1', [ops[3]!.record.id]))[0]!.body;
    expect(skeleton).toMatch(/^\{"model":"m","system":\[\{"\$block":\d+\}\],"tools":\[\{"\$block":\d+\}/);
    // Turns 4 and 5 were new in that batch: referenced by hash (the block's row id was not known yet).
    expect(skeleton.match(/"\$block":"[0-9a-f]{64}"/g)).toHaveLength(2);
    for (const [i, op] of ops.entries()) expect((await store.get(op.record.id))?.body).toBe(texts[i]);
    const first = await store.get(ops[0]!.record.id);
    expect(first).toMatchObject({ status: 200, latencyMs: 12.5, bytesOut: 321, outcome: 'completed', action: 'pass', timeMs: ops[0]!.record.timeMs, stream: false });
    // As in the SQLite store, an error turns a passing request's action into 'error'.
    expect(await store.get(ops[1]!.record.id)).toMatchObject({ status: 502, outcome: 'upstream-error', action: 'error', error: 'upstream reset the connection' });
    expect(await store.get(ops[2]!.record.id)).toMatchObject({ outcome: 'pending', status: null });
    expect(await store.get(ops[3]!.record.id)).toMatchObject({ outcome: 'completed', status: 200, latencyMs: 12.5 });
    expect(await store.get('no-such-id')).toBeNull();
    await store.close();
  });

  it('deduplicates blocks across guards sharing the database, and each reads the other’s records', async () => {
    const a = await PostgresAuditStore.open(url, OPTIONS);
    const b = await PostgresAuditStore.open(url, OPTIONS);
    const before = await blockCount(url);
    const opA = begin(body(4, 'shared '));
    const opB = begin(body(5, 'shared '));
    await a.write([opA]);
    await b.write([opB]);
    // Guard b stored only the one turn guard a had not: the unique hash index found the rest.
    expect(await blockCount(url)).toBe(before + 3 + 5);
    expect((await a.get(opB.record.id))?.body).toBe(body(5, 'shared '));
    expect((await b.get(opA.record.id))?.body).toBe(body(4, 'shared '));
    await Promise.all([a.close(), b.close()]);
  });

  it('lets guards write the same new blocks at the same time without a deadlock or a lost batch', async () => {
    const db = await pgServer!.newDatabase();
    const guards = await Promise.all([1, 2, 3].map(() => PostgresAuditStore.open(db, OPTIONS)));
    // Each guard writes the same conversations, in a different order, many times at once.
    const conversations = Array.from({ length: 6 }, (_, k) => body(3 + k, `race ${k} `));
    const writes: Promise<void>[] = [];
    const ops: WriteOp[] = [];
    for (let round = 0; round < 5; round++) {
      guards.forEach((g, gi) => {
        const order = gi % 2 ? [...conversations].reverse() : conversations;
        const batch = order.map((t) => begin(t));
        ops.push(...batch);
        writes.push(g.write(batch));
      });
    }
    const results = await Promise.allSettled(writes);
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    const stored = await guards[0]!.list({ limit: 10_000 });
    const ids = new Set(stored.map((r) => r.id));
    expect(ops.every((op) => ids.has(op.record.id))).toBe(true);
    // Every block once: one system, two tools, and the 3 + 4 + … + 8 turns of the 6 conversations.
    expect(await blockCount(db)).toBe(3 + 33);
    await Promise.all(guards.map((g) => g.close()));
  });

  it('stores a value that spells a block reference as a block, so no request can show another record’s block', async () => {
    const store = await PostgresAuditStore.open(url, OPTIONS);
    const victim = begin(body(2, 'victim '));
    await store.write([victim]);
    const id = (await sql<{ id: number }>(url, 'SELECT min(id)::int AS id FROM telltale_blocks'))[0]!.id;
    const forged = JSON.stringify({ model: 'm', system: { $block: id }, messages: [{ $block: id }] });
    const op = begin(forged);
    await store.write([op]);
    expect((await store.get(op.record.id))?.body).toBe(forged);
    await store.close();
  });

  it('filters and orders as the SQLite store does', async () => {
    const db = await pgServer!.newDatabase();
    const store = await PostgresAuditStore.open(db, OPTIONS);
    const t = Date.UTC(2026, 10, 1);
    const finding = { type: 'secret' as const, pointer: '/messages/0/content', part: 'user' as const, action: 'redact' as const, message: 'GitHub token replaced', secretType: 'GITHUB_TOKEN' };
    const ops = [
      begin(null, { timeMs: t, agent: 'claude-cli/2.1 (external)' }),
      begin(null, { timeMs: t + 1000, agent: 'codex/0.5', findings: [finding], action: 'redact' }),
      begin(null, { timeMs: t + 2000, kind: 'connect', method: 'CONNECT', agent: null, action: 'deny' }),
    ];
    await store.write(ops);
    const ids = async (f: Parameters<PostgresAuditStore['list']>[0]) => (await store.list(f)).map((r) => r.id);
    const [a, b, c] = ops.map((o) => o.record.id);
    expect(await ids({})).toEqual([c, b, a]);
    expect(await ids({ order: 'asc', limit: 2 })).toEqual([a, b]);
    expect(await ids({ sinceMs: t + 500, untilMs: t + 1500 })).toEqual([b]);
    expect(await ids({ finding: 'secret' })).toEqual([b]);
    expect(await ids({ finding: 'hidden-characters' })).toEqual([]);
    expect(await ids({ action: 'deny' })).toEqual([c]);
    expect(await ids({ agent: 'CLAUDE' })).toEqual([a]);
    expect(await ids({ kind: 'connect' })).toEqual([c]);
    expect((await store.get(b!))?.findings).toEqual([finding]);
    await store.close();
  });

  it('prunes old records, and the blocks nobody has used since the cut-off (less the refresh hour)', async () => {
    const db = await pgServer!.newDatabase();
    const store = await PostgresAuditStore.open(db, OPTIONS);
    const old = begin(body(2, 'old '), { timeMs: Date.now() - 3 * 86_400_000 });
    const recent = begin(body(2, 'recent '));
    await store.write([old, recent]);
    // The old conversation's own turns were last used 3 days ago (as if by then).
    await sql(db, `UPDATE telltale_blocks SET last_ms = $1 WHERE content LIKE '%old turn%'`, [old.record.timeMs]);
    expect(await store.prune(Date.now() - 86_400_000)).toBe(1);
    expect(await store.get(old.record.id)).toBeNull();
    expect((await store.get(recent.record.id))?.body).toBe(body(2, 'recent '));
    expect(Number((await sql<{ n: string }>(db, "SELECT count(*) AS n FROM telltale_blocks WHERE content LIKE '%old turn%'"))[0]!.n)).toBe(0);
    // Blocks dropped by a prune are stored again when they come back.
    const again = begin(body(2, 'old '));
    await store.write([again]);
    expect((await store.get(again.record.id))?.body).toBe(body(2, 'old '));
    await store.close();
  });

  it('writes the next batch on a new connection when the server ended the old one', async () => {
    const db = await pgServer!.newDatabase();
    const store = await PostgresAuditStore.open(db, OPTIONS);
    await store.write([begin(body(1, 'before '))]);
    await sql(db, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'telltale' AND datname = current_database()");
    await new Promise((r) => setTimeout(r, 100));
    const op = begin(body(3, 'after '));
    await store.write([op]);
    expect((await store.get(op.record.id))?.body).toBe(body(3, 'after '));
    await store.close();
  });

  it('says clearly what is wrong, and never shows the password', async () => {
    const db = await pgServer!.newDatabase();
    await expect(PostgresAuditStore.open(db, { ...OPTIONS, readOnly: true })).rejects.toThrow(/no telltale audit log in .*telltale_records is missing/);
    // A port where nothing listens (this server's port + 0 is taken; pick a closed one).
    const closed = new URL(db);
    closed.port = '1';
    closed.username = 'auditor';
    closed.password = 'hunter2-canary';
    const error = await PostgresAuditStore.open(closed.toString(), OPTIONS).then(() => null, (e: unknown) => e as Error);
    expect(error?.message).toMatch(/cannot connect to postgres:\/\/auditor:\*\*\*@127\.0\.0\.1:1\//);
    expect(error?.message).not.toContain('hunter2');
  });
});
