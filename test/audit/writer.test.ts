/**
 * The audit sink's fast paths (src/audit/writer.ts): for the caller's sole exchange, with
 * the writer thread idle, its records are committed on the caller's thread; otherwise
 * through the writer thread — and either way committed before the promise resolves. Runs
 * the built writer thread (dist/), as the guard does.
 */
import { DatabaseSync } from 'node:sqlite';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { BeginRecord } from '../../src/audit/record.js';
import { newRecordId } from '../../src/audit/record.js';
import { SqliteAuditStore } from '../../src/audit/sqlite-store.js';
import { storedRecord, useTempDbs } from './helpers.js';

type WriterModule = typeof import('../../src/audit/writer.js');
const { WorkerSink, HOLD_MS } = (await import(pathToFileURL(resolve(import.meta.dirname, '../../dist/audit/writer.js')).href)) as WriterModule;

const dbPath = useTempDbs('telltale-writer-');

function beginRecord(): BeginRecord {
  const now = Date.now();
  return {
    id: newRecordId(now), kind: 'request', time: new Date(now).toISOString(), timeMs: now, route: '/', upstream: 'http://127.0.0.1:1',
    method: 'POST', path: '/v1/messages', host: null, port: null, overheadMs: 0.1, bytesIn: 10, model: 'm', agent: 'test',
    stream: false, findings: [], action: 'pass', body: '{"model":"m"}',
  };
}

/** What the database says, read by another connection (as `telltale audit` would). */
function outcomeOf(path: string, id: string): { outcome: string; status: number | null } | undefined {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return db.prepare('SELECT outcome, status FROM records WHERE id = ?').get(id) as { outcome: string; status: number | null } | undefined;
  } finally {
    db.close();
  }
}

const options = (fsync: 'normal' | 'always') => ({ body: { mode: 'redacted' as const, maxFieldChars: 65536 }, fsync });


type Sink = Awaited<ReturnType<typeof WorkerSink.start>>;

/** A sink on a fresh database, closed after `use` whatever happens. */
async function withSink(fsync: 'normal' | 'always', use: (sink: Sink, path: string) => Promise<void>): Promise<void> {
  const path = dbPath();
  const sink = await WorkerSink.start({ path, options: options(fsync), retentionMs: null }, () => {});
  try {
    await use(sink, path);
  } finally {
    await sink.close();
  }
}

/** The final record of a completed exchange. */
const completed = (id: string, status: number) => ({ id, status, latencyMs: 1, bytesOut: 5, outcome: 'completed' as const, error: null });

describe('final records', () => {
  it('are committed on the calling thread when the writer has nothing in flight', async () => {
    await withSink('normal', async (sink, path) => {
      const r = beginRecord();
      await sink.begin(r, undefined, { now: true });
      await sink.complete(completed(r.id, 200), { sole: true });
      expect(sink.directBegins).toBe(0);
      expect(sink.directCompletes).toBe(1);
      expect(outcomeOf(path, r.id)).toEqual({ outcome: 'completed', status: 200 });
    });
  });

  it('go through the writer thread while their request record is in flight, still in order', async () => {
    // A slow disk (the writer thread's fault injection, read when it starts): the request
    // record is surely still in flight when the final record comes. Without it a fast
    // writer thread could commit it first, and then the fast path would be right.
    process.env.TELLTALE_TEST_AUDIT_DELAY_MS = '50';
    onTestFinished(() => {
      delete process.env.TELLTALE_TEST_AUDIT_DELAY_MS;
    });
    await withSink('normal', async (sink, path) => {
      const r = beginRecord();
      const begun = sink.begin(r, undefined, { now: true });
      // Not awaited: the request record may not be committed yet, so this one must queue behind it.
      await sink.complete(completed(r.id, 201), { sole: true });
      await begun;
      expect(sink.directCompletes).toBe(0);
      expect(outcomeOf(path, r.id)).toEqual({ outcome: 'completed', status: 201 });
    });
  });

  it('go through the writer thread when another connection holds the write lock, never blocking the caller', async () => {
    await withSink('normal', async (sink, path) => {
      const other = new DatabaseSync(path);
      try {
        const r = beginRecord();
        await sink.begin(r, undefined, { now: true });
        other.exec('BEGIN IMMEDIATE');
        const t0 = performance.now();
        const done = sink.complete(completed(r.id, 202), { sole: true });
        const waitedMs = performance.now() - t0;
        expect(sink.directCompletes).toBe(0);
        // The writer thread waits for the lock (busy_timeout), not this thread.
        expect(waitedMs).toBeLessThan(1_000);
        setTimeout(() => other.exec('COMMIT'), 50);
        await done;
        expect(outcomeOf(path, r.id)).toEqual({ outcome: 'completed', status: 202 });
      } finally {
        other.close();
      }
    });
  });

  it('never take the fast path with fsync: always (a commit would fsync on the calling thread)', async () => {
    await withSink('always', async (sink, path) => {
      const r = beginRecord();
      await sink.begin(r, undefined, { now: true, sole: true });
      await sink.complete(completed(r.id, 200), { sole: true });
      expect(sink.directBegins + sink.directCompletes).toBe(0);
      expect(outcomeOf(path, r.id)).toEqual({ outcome: 'completed', status: 200 });
    });
  });
});

describe('request records', () => {
  it('of the sole exchange are committed on the calling thread, body included', async () => {
    await withSink('normal', async (sink, path) => {
      const r = { ...beginRecord(), body: null };
      const body = new TextEncoder().encode(JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'a message long enough to be stored as a block of its own, '.repeat(4) }] }));
      await sink.begin(r, body, { now: true, sole: true });
      expect(sink.directBegins).toBe(1);
      // Readable by another connection at once, then completed on the same path.
      expect(outcomeOf(path, r.id)).toEqual({ outcome: 'pending', status: null });
      await sink.complete(completed(r.id, 200), { sole: true });
      expect(sink.directCompletes).toBe(1);
      expect(outcomeOf(path, r.id)).toEqual({ outcome: 'completed', status: 200 });
      expect(storedRecord(path, r.id)?.body).toBe(new TextDecoder().decode(body));
    });
  });

  it('go through the writer thread when another exchange is in progress, or for streams', async () => {
    await withSink('normal', async (sink, path) => {
      const a = beginRecord();
      await sink.begin(a, undefined, { now: true });
      const b = { ...beginRecord(), stream: true };
      await sink.begin(b, undefined, { now: true, sole: true, defer: true });
      expect(sink.directBegins).toBe(0);
      await sink.complete(completed(a.id, 200));
      expect(sink.directCompletes).toBe(0);
      expect(outcomeOf(path, a.id)).toEqual({ outcome: 'completed', status: 200 });
      expect(outcomeOf(path, b.id)).toEqual({ outcome: 'pending', status: null });
    });
  });
});

describe('held request records (HOLD_MS)', () => {
  const body = () => new TextEncoder().encode(JSON.stringify({ model: 'm', messages: [{ role: 'user', content: `a message long enough to be a block of its own ${Math.random()} `.repeat(4) }] }));

  it('an exchange that ends within the hold is written as one row, body included', async () => {
    await withSink('normal', async (sink, path) => {
      const r = { ...beginRecord(), body: null };
      const bytes = body();
      const begun = sink.begin(r, bytes, { defer: true, hold: true });
      await sink.complete({ ...completed(r.id, 201), error: 'upstream said no' }, { sole: false });
      await begun;
      expect(sink.merged).toBe(1);
      expect(outcomeOf(path, r.id)).toEqual({ outcome: 'completed', status: 201 });
      const stored = storedRecord(path, r.id)!;
      expect(stored.body).toBe(new TextDecoder().decode(bytes));
      // As the UPDATE of a final record would have it: an error turns a pass into an error.
      expect(stored.action).toBe('error');
    });
  });

  it('a request record whose exchange does not end goes alone after the hold, and is completed later', async () => {
    await withSink('normal', async (sink, path) => {
      const r = { ...beginRecord(), body: null };
      const bytes = body();
      const t0 = performance.now();
      await sink.begin(r, bytes, { defer: true, hold: true });
      expect(performance.now() - t0).toBeGreaterThanOrEqual(HOLD_MS - 1);
      expect(outcomeOf(path, r.id)).toEqual({ outcome: 'pending', status: null });
      await sink.complete(completed(r.id, 200), { sole: false });
      expect(sink.merged).toBe(0);
      expect(outcomeOf(path, r.id)).toEqual({ outcome: 'completed', status: 200 });
      expect(storedRecord(path, r.id)?.body).toBe(new TextDecoder().decode(bytes));
    });
  });

  it('closing the sink writes the records it still holds', async () => {
    const path = dbPath();
    const sink = await WorkerSink.start({ path, options: options('normal'), retentionMs: null }, () => {});
    const r = beginRecord();
    const begun = sink.begin(r, body(), { defer: true, hold: true });
    await sink.close();
    await begun;
    expect(outcomeOf(path, r.id)).toEqual({ outcome: 'pending', status: null });
  });
});

describe('under concurrency', () => {
  it('the records of several exchanges share one message and one commit, and each waits for it', async () => {
    await withSink('normal', async (sink, path) => {
      // As the guard queues them with other exchanges in flight: request records deferred,
      // final records not sole.
      const records = Array.from({ length: 8 }, () => beginRecord());
      for (const r of records) void sink.begin(r, undefined, { defer: true, now: true });
      await Promise.all(records.map((r, i) => sink.complete(completed(r.id, 200 + i), { sole: false })));
      expect(sink.messages).toBe(1);
      expect(sink.directBegins + sink.directCompletes).toBe(0);
      records.forEach((r, i) => expect(outcomeOf(path, r.id)).toEqual({ outcome: 'completed', status: 200 + i }));
    });
  });

  it('a final record with no other exchange in flight leaves at once, alone', async () => {
    await withSink('normal', async (sink, path) => {
      const a = beginRecord();
      const b = beginRecord();
      // Both queued without waiting; the writer has not committed them, so no fast path.
      void sink.begin(a, undefined, { defer: true });
      void sink.begin(b, undefined, { defer: true });
      await sink.complete(completed(a.id, 200), { sole: true });
      expect(sink.messages).toBe(1);
      await sink.complete(completed(b.id, 201), {});
      expect(sink.messages).toBe(2);
      expect(outcomeOf(path, b.id)).toEqual({ outcome: 'completed', status: 201 });
    });
  });
});

describe('bodies that start like an earlier one (an agent resending its history)', () => {
  // A conversation: each turn resends the previous ones. Test data, nothing real.
  const turn = (i: number) => ({ role: i % 2 ? 'assistant' : 'user', content: `turn ${i}: ${'lorem ipsum dolor '.repeat(12)}` });
  const conversation = (turns: number) => JSON.stringify({ model: 'm', messages: Array.from({ length: turns }, (_, i) => turn(i)) });
  /** Where `later` starts like `earlier` (as the guard's parser reports it: a whole number of history items). */
  const prefixOf = (earlier: string, later: string) => {
    let n = 0;
    while (n < earlier.length && earlier[n] === later[n]) n++;
    return earlier.lastIndexOf('}', n) + 1;
  };

  it('are sent as what follows the prefix the writer has, and stored whole', async () => {
    await withSink('normal', async (sink, path) => {
      const texts = [conversation(4), conversation(6), conversation(9)];
      const ids: string[] = [];
      for (let i = 0; i < texts.length; i++) {
        const r = { ...beginRecord(), body: null };
        ids.push(r.id);
        const bodyPrefix = i > 0 ? { id: ids[i - 1]!, length: prefixOf(texts[i - 1]!, texts[i]!) } : undefined;
        // Under concurrency (held) and alone (sent at once): both paths send the body.
        const begun = sink.begin(r, new TextEncoder().encode(texts[i]!), { defer: i === 1, hold: i === 1, ...(bodyPrefix ? { bodyPrefix } : {}) });
        await sink.complete(completed(r.id, 200), { sole: false });
        await begun;
      }
      expect(sink.continued).toBe(2);
      ids.forEach((id, i) => expect(storedRecord(path, id)?.body).toBe(texts[i]));
    });
  });

  it('are sent whole when the writer no longer has the earlier body, or never had it', async () => {
    await withSink('normal', async (sink, path) => {
      const a = conversation(3);
      const b = conversation(5);
      const r = { ...beginRecord(), body: null };
      // Names a record whose body went to no writer (committed on the guard's thread, or unknown).
      await sink.begin(r, new TextEncoder().encode(b), { now: true, bodyPrefix: { id: 'not-sent-to-the-writer', length: prefixOf(a, b) } });
      expect(sink.continued).toBe(0);
      expect(storedRecord(path, r.id)?.body).toBe(b);
    });
  });
});
