/**
 * The guard's side of the audit writer: hands operations to the writer thread in order
 * and tells the caller when a given operation is committed. The request path awaits
 * that promise before it ends a response, so a response a client has seen complete is
 * always in the log (docs/audit.md, "Durability").
 */
import { Worker } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { withOutcome, type BeginRecord, type CompleteRecord } from './record.js';
import type { BodyMessage, FromWorker, OpMessage, ToWorker, WorkerInit } from './writer-worker.js';
import { SqliteAuditStore } from './sqlite-store.js';
import type { WriteOp } from './store.js';
import type { BodyPrefix } from './body.js';
import { BodyWindow } from './body-window.js';

export interface AuditSink {
  /**
   * Queues an operation; the promise resolves when it is committed (or the store failed).
   * `bodyBytes`, when given, is the stored body as UTF-8 (instead of `record.body`).
   */
  begin(record: BeginRecord, bodyBytes?: Uint8Array, options?: BeginOptions): Promise<void>;
  complete(record: CompleteRecord, options?: CompleteOptions): Promise<void>;
  close(): Promise<void>;
  /** Write failures so far (reported on stderr once each). */
  readonly failures: number;
}

export interface BeginOptions {
  /** May wait a moment to leave with its final record (streams: see DEFER_MS). */
  defer?: boolean;
  /** Nothing else is in flight to share a message with: send it now, not a loop turn later. */
  now?: boolean;
  /**
   * No other exchange is in progress in the caller: the record may be committed on the
   * caller's thread (it has nothing else to do meanwhile; under load the writer thread does it).
   */
  sole?: boolean;
  /**
   * With `defer`: the record may be held for its final record (HOLD_MS), to be written with
   * it as one row. For records under concurrency; a stream alone keeps the 2 ms deferral
   * (its record is then committed while it streams, and its final record on the fast path).
   */
  hold?: boolean;
  /** What the caller's parser found of `bodyBytes`: its leading bytes equal an earlier record's body (store.ts, WriteOp). */
  bodyPrefix?: BodyPrefix;
}

export interface CompleteOptions {
  /** As BeginOptions.sole: the caller's only exchange, so its thread may commit the record. */
  sole?: boolean;
}

/** For `audit.store: none`: nothing is kept, nothing is awaited. */
export class NullSink implements AuditSink {
  readonly failures = 0;
  begin(): Promise<void> {
    return Promise.resolve();
  }
  complete(): Promise<void> {
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * How long a record may wait before it is sent to the writer, under concurrency, for the
 * others' records (one message, one commit).
 */
const DEFER_MS = 2;

/**
 * How long a deferred request record is held for its final record: an exchange that ends
 * within it is written once, as one row with its outcome (one INSERT instead of an INSERT
 * and an UPDATE that rewrites the row, and one operation to send instead of two). A record
 * still held then goes to the writer alone: a forwarded request is in the log at most this
 * long after it left (plus the group-commit window), even if its exchange never ends.
 */
export const HOLD_MS = 25;

/** A request record held for its final record (see HOLD_MS). */
interface Held {
  op: Extract<WriteOp, { op: 'begin' }>;
  /** Its body went ahead (BodyMessage). */
  stashed: boolean;
  /** When it must go even without its final record (performance.now()). */
  due: number;
  /** Settles the promise begin() returned, once the record (alone or merged) is committed. */
  settle: () => void;
}

/**
 * A private copy of a body for the writer thread, in an ArrayBuffer of its own, transferred
 * (not serialised: cloning 100 KB bodies with the message cost the guard's thread more,
 * measured under load); the caller's buffer may still be on its way to the upstream.
 */
function privateCopy(bytes: Uint8Array): Uint8Array {
  const copy = Buffer.allocUnsafeSlow(bytes.byteLength);
  copy.set(bytes);
  return copy;
}

export class WorkerSink implements AuditSink {
  private readonly worker: Worker;
  private seq = 0;
  private acked = 0;
  private readonly waiting: { seq: number; resolve: () => void }[] = [];
  private closed: Promise<void> | undefined;
  private batch: (OpMessage | BodyMessage)[] = [];
  private transfers: ArrayBuffer[] = [];
  private flushScheduled = false;
  private deferTimer: NodeJS.Timeout | undefined;
  /**
   * A second connection, on this thread, for final records when the writer thread is idle
   * (see complete). Absent for ':memory:' and for `fsync: always` (a commit would fsync here).
   */
  private direct: SqliteAuditStore | undefined;
  /** Records committed on this thread (the fast paths), for tests and benchmark notes. */
  directCompletes = 0;
  directBegins = 0;
  /** Messages (batches of records) sent to the writer thread, for the same. */
  messages = 0;
  /** Exchanges whose request and final records were written as one row (see HOLD_MS). */
  merged = 0;
  /** Deferred request records waiting for their final record, oldest first. */
  private readonly held = new Map<string, Held>();
  private holdTimer: NodeJS.Timeout | undefined;
  /** The bodies the writer thread still has, by size (its own window holds the bytes): body-window.ts. */
  private readonly bodyWindow = new BodyWindow<true>();
  /** Bodies sent as a continuation of an earlier one (see bodyWindow), for tests and benchmark notes. */
  continued = 0;
  /** The writer's committed sequence number, read without waiting for its ack message. */
  private readonly committed = new BigInt64Array(new SharedArrayBuffer(8));
  failures = 0;

  /** The store is PostgreSQL (see begin). */
  private readonly remote: boolean;

  private constructor(init: WorkerInit, private readonly onError: (message: string) => void) {
    this.remote = init.postgresUrl !== undefined;
    this.worker = new Worker(new URL('./writer-worker.js', import.meta.url), { workerData: { ...init, committed: this.committed.buffer as SharedArrayBuffer } });
    this.worker.on('message', (msg: FromWorker) => {
      if (msg.type === 'ack' || msg.type === 'error') {
        if (msg.type === 'error') {
          this.failures++;
          this.onError(`audit write failed: ${msg.message}`);
        }
        this.acked = msg.seq;
        while (this.waiting.length && this.waiting[0]!.seq <= this.acked) this.waiting.shift()!.resolve();
      }
    });
    this.worker.on('error', (error) => {
      this.failures++;
      this.onError(`audit writer stopped: ${error.message}`);
      this.releaseAll();
    });
    this.worker.on('exit', () => this.releaseAll());
  }

  /** Starts the writer thread and waits until its database is open (schema errors surface here). */
  static async start(init: WorkerInit, onError: (message: string) => void): Promise<WorkerSink> {
    const sink = new WorkerSink(init, onError);
    await new Promise<void>((resolve, reject) => {
      const onMessage = (msg: FromWorker) => {
        if (msg.type === 'ready') {
          sink.worker.off('error', onFail);
          resolve();
        }
      };
      const onFail = (error: Error) => reject(error);
      sink.worker.once('message', onMessage);
      sink.worker.once('error', onFail);
    });
    if (init.postgresUrl === undefined && init.path !== ':memory:' && init.options.fsync === 'normal') {
      try {
        // Never waits for a lock: a busy database sends the record to the writer thread instead.
        sink.direct = new SqliteAuditStore(init.path, { ...init.options, autoCheckpoint: false, busyTimeoutMs: 0 });
      } catch {
        sink.direct = undefined; // every write goes through the writer thread
      }
    }
    return sink;
  }

  private releaseAll(): void {
    this.acked = this.seq;
    for (const w of this.waiting.splice(0)) w.resolve();
  }

  /**
   * Operations go to the writer thread in one message per event-loop turn: under load a
   * postMessage per operation costs more than the operation.
   */
  private post(op: OpMessage, when: BeginOptions = {}): Promise<void> {
    // Numbered as queued (not as created): a held record must not be covered by the ack of
    // records queued after it was created.
    op.seq = ++this.seq;
    this.batch.push(op);
    const done = new Promise<void>((resolve) => this.waiting.push({ seq: op.seq, resolve }));
    if (when.now && !when.defer) {
      // The writer starts on it while the request is still being sent upstream: its commit
      // must be done before the (fast) response can end.
      this.flush();
    } else if (when.defer) {
      // A request record may wait a moment: it usually leaves with its final record, in
      // one message and one commit (a fast response costs one writer round trip, not two).
      this.deferTimer ??= setTimeout(() => this.flush(), DEFER_MS);
    } else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
    return done;
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.deferTimer) {
      clearTimeout(this.deferTimer);
      this.deferTimer = undefined;
    }
    if (this.batch.length === 0) return;
    const ops = this.batch;
    const transfers = this.transfers;
    this.batch = [];
    this.transfers = [];
    this.messages++;
    this.worker.postMessage({ type: 'ops', ops } satisfies ToWorker, transfers);
  }

  begin(record: BeginRecord, bodyBytes?: Uint8Array, options: BeginOptions = {}): Promise<void> {
    if (this.closed) return Promise.resolve();
    // The caller's only exchange, with the writer idle: commit its record here, while the
    // upstream works (~0.2 ms: the body split and the inserts), so that its final record can
    // take the fast path too and the response's end waits for no other thread. Not for
    // streams (their record waits, out of the way of the first bytes), and never under load
    // (`sole`): the caller's thread is then the bottleneck, and the writer thread does it.
    const op: Extract<WriteOp, { op: 'begin' }> = { op: 'begin', record, ...(options.bodyPrefix ? { bodyPrefix: options.bodyPrefix } : {}) };
    if (options.sole && !options.defer && this.commitHere(bodyBytes ? { ...op, bodyBytes } : op)) {
      this.directBegins++;
      return Promise.resolve();
    }
    // A remote store (PostgreSQL) holds every request record: a commit there is a round trip
    // (~0.2 ms of the writer's CPU on loopback, an RTT on a network), so an exchange that ends
    // within HOLD_MS costs one statement, not two, even alone.
    if ((options.defer && options.hold) || this.remote) return this.hold(op, bodyBytes);
    return this.postBegin(op, bodyBytes, options);
  }

  /** Queues a request record; `bodyBytes` are not written to by anyone (the guard's request bytes). */
  private postBegin(op: Extract<WriteOp, { op: 'begin' }>, bodyBytes: Uint8Array | undefined, when: BeginOptions, stashed = false): Promise<void> {
    if (stashed || !bodyBytes) return this.post(stashed ? { seq: 0, op, stashed: true } : { seq: 0, op }, when);
    const { bytes, base } = this.bodyToSend(op.record.id, bodyBytes, op.bodyPrefix);
    return this.post(base ? { seq: 0, op, bodyBytes: bytes, bodyBase: base } : { seq: 0, op, bodyBytes: bytes }, when);
  }

  /**
   * What to send of the body of record `id`: when it starts like a body the writer still
   * has (`prefix`, from the guard's parser), only what follows; else all of it. A private
   * copy either way, transferred with the next message (see privateCopy).
   */
  private bodyToSend(id: string, body: Uint8Array, prefix: BodyPrefix | undefined): { bytes: Uint8Array; base?: BodyPrefix } {
    const prior = prefix && this.bodyWindow.get(prefix.id);
    const base = prior && prefix.length <= prior.size && prefix.length <= body.byteLength ? prefix : undefined;
    const copy = privateCopy(base ? body.subarray(base.length) : body);
    this.transfers.push(copy.buffer as ArrayBuffer);
    // In the order of the messages: the writer's window adds it when it reads this one.
    this.bodyWindow.add(id, body.byteLength, true);
    if (base) this.continued++;
    return base ? { bytes: copy, base } : { bytes: copy };
  }

  /** Holds a deferred request record for its final record, at most HOLD_MS. */
  private hold(op: Extract<WriteOp, { op: 'begin' }>, bodyBytes: Uint8Array | undefined): Promise<void> {
    return new Promise<void>((settle) => {
      // The body goes now, with the next message: holding on to the request's bytes for that
      // long made the guard's garbage collector work harder (~+45 µs per request at 32 clients).
      if (bodyBytes) {
        this.batch.push({ body: { id: op.record.id, ...this.bodyToSend(op.record.id, bodyBytes, op.bodyPrefix) } });
        this.deferTimer ??= setTimeout(() => this.flush(), DEFER_MS);
      }
      this.held.set(op.record.id, { op, stashed: bodyBytes !== undefined, due: performance.now() + HOLD_MS, settle });
      this.holdTimer ??= setTimeout(() => this.releaseDue(), HOLD_MS);
    });
  }

  /** Sends the held records whose time is up (with the group-commit window), and waits for the next. */
  private releaseDue(all = false): void {
    this.holdTimer = undefined;
    const now = performance.now();
    for (const [id, h] of this.held) {
      if (!all && h.due > now) {
        this.holdTimer = setTimeout(() => this.releaseDue(), Math.max(1, h.due - now));
        return;
      }
      this.held.delete(id);
      void this.postBegin(h.op, undefined, { defer: true }, h.stashed).then(h.settle);
    }
  }

  complete(record: CompleteRecord, options: CompleteOptions = {}): Promise<void> {
    if (this.closed) return Promise.resolve();
    const held = this.held.get(record.id);
    if (held) {
      // Its request record is still here: one row with the outcome, through the writer.
      this.held.delete(record.id);
      this.merged++;
      const row = withOutcome(held.op.record, record);
      const done = this.postBegin({ ...held.op, record: row }, undefined, options.sole === false ? { defer: true } : { now: true }, held.stashed);
      void done.then(held.settle);
      return done;
    }
    // Fast path: with nothing queued or in flight (its request record is committed: the writer
    // says so in shared memory before its ack message arrives), the final
    // record is one small UPDATE (~20 µs) committed right here, instead of a round trip to the
    // writer thread (~0.2 ms: two thread wake-ups). Same durability: the same WAL commit
    // (synchronous=NORMAL), before the response's last byte. If the writer or a checkpoint
    // holds the lock, SQLite says so at once (busy_timeout 0) and the writer thread does it.
    // Only for the caller's sole exchange: under load the caller's thread is the bottleneck,
    // and the writer batches final records anyway.
    if (options.sole && this.commitHere({ op: 'complete', record })) {
      this.directCompletes++;
      return Promise.resolve();
    }
    // Other exchanges are in flight: wait up to DEFER_MS for their records, so that they share
    // one message and one commit (group commit). A commit of one record cost the writer
    // ~146 µs per request in isolation, of 16 ~78 µs; at 32 clients the writer went from
    // ~200–260 to ~140–160 µs per request, and most commits from one record to 16 or more.
    // The response's end waits that much longer, still only for its own commit. Otherwise a
    // response's end waits for this one: send it (and what is queued before it) now.
    return this.post({ seq: 0, op: { op: 'complete', record } }, options.sole === false ? { defer: true } : { now: true });
  }

  /**
   * Commits `op` on this thread when the second connection is there and the writer has
   * committed everything sent to it; false when it did not (the caller sends it to the
   * writer, which also reports a real failure).
   */
  private commitHere(op: WriteOp): boolean {
    if (!this.direct || this.batch.length > 0 || Atomics.load(this.committed, 0) !== BigInt(this.seq)) return false;
    try {
      this.direct.write([op]);
      return true;
    } catch {
      return false; // busy (the writer or a checkpoint holds the lock) or failed
    }
  }

  close(): Promise<void> {
    if (this.direct) {
      this.direct.close();
      this.direct = undefined;
    }
    this.closed ??= new Promise<void>((resolve) => {
      this.worker.once('exit', () => resolve());
      if (this.holdTimer) clearTimeout(this.holdTimer);
      this.releaseDue(true);
      this.flush();
      this.worker.postMessage({ type: 'close' } satisfies ToWorker);
    });
    return this.closed;
  }
}
