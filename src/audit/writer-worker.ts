/**
 * The audit writer thread: owns the store's connection (SQLite, or PostgreSQL for a
 * fleet), applies each batch the guard sends in one transaction (group commit), then
 * acknowledges the highest sequence number it committed. A PostgreSQL commit is a round
 * trip: what arrives meanwhile is the next batch. The guard's request path never touches
 * disk or the network for the log.
 */
import { parentPort, Worker, workerData } from 'node:worker_threads';
import { SqliteAuditStore, type SqliteStoreOptions } from './sqlite-store.js';
import { PostgresAuditStore } from './postgres-store.js';
import type { AuditStore, WriteOp } from './store.js';
import type { CheckpointInit, ToCheckpointer } from './checkpoint-worker.js';
import type { BodyPrefix } from './body.js';
import { BodyWindow } from './body-window.js';
import { BodyBytes } from './body-bytes.js';

export interface WorkerInit {
  /** The SQLite file (or ':memory:'); unused when `postgresUrl` is set. */
  path: string;
  /** A PostgreSQL store (`audit.store: postgres://…`) instead of the SQLite file. */
  postgresUrl?: string;
  options: SqliteStoreOptions;
  retentionMs: number | null;
  /** How often the checkpoint thread checkpoints the WAL (default 200 ms). */
  checkpointIntervalMs?: number;
  /**
   * One BigInt64 slot: the highest sequence number committed (or failed), stored before
   * the ack is posted, so the guard's thread can tell without waiting for the message.
   */
  committed?: SharedArrayBuffer;
}

/** WAL frames (pages) past which the checkpoint thread forces the WAL back to its start (~64 MB). */
const RESTART_FRAMES = 16_000;

/**
 * One operation; `bodyBytes` (UTF-8, transferred) replaces a begin record's
 * body; `stashed`: the body came earlier, in a BodyMessage for the same record id.
 * `bodyBase`: `bodyBytes` is only what follows the first `length` bytes of the body sent
 * for record `id`, which this thread still has (body-window.ts).
 */
export interface OpMessage {
  seq: number;
  op: WriteOp;
  bodyBytes?: Uint8Array;
  bodyBase?: BodyPrefix;
  stashed?: true;
}

/**
 * A body sent ahead of its record (a record the guard holds for its final record, writer.ts
 * HOLD_MS): the guard's thread does not keep the bytes meanwhile. Not an operation: it has no
 * sequence number and is not acknowledged; its record is.
 */
export interface BodyMessage {
  body: { id: string; bytes: Uint8Array; base?: BodyPrefix };
}

export type ToWorker = { type: 'ops'; ops: (OpMessage | BodyMessage)[] } | { type: 'close' };
export type FromWorker = { type: 'ack'; seq: number } | { type: 'error'; seq: number; message: string } | { type: 'ready' } | { type: 'closed' };

const init = workerData as WorkerInit;
const port = parentPort!;
const separateCheckpoints = init.path !== ':memory:';
const sqliteStore = init.postgresUrl === undefined ? new SqliteAuditStore(init.path, { ...init.options, autoCheckpoint: !separateCheckpoints }) : undefined;
// A store that cannot be opened ends this thread with the error: WorkerSink.start reports it.
const store: AuditStore = sqliteStore ?? (await PostgresAuditStore.open(init.postgresUrl!, { body: init.options.body }));
// SQLite's WAL checkpoints run on their own thread so that no commit waits for one (checkpoint-worker.ts).
let checkpointer: Worker | undefined;
if (sqliteStore && separateCheckpoints) {
  checkpointer = new Worker(new URL('./checkpoint-worker.js', import.meta.url), {
    workerData: { path: init.path, intervalMs: init.checkpointIntervalMs ?? 200, restartFrames: RESTART_FRAMES, fsync: init.options.fsync } satisfies CheckpointInit,
  });
  checkpointer.on('error', () => {
    // Without it, the writer connection checkpoints again (the WAL must not grow without bound).
    checkpointer = undefined;
    sqliteStore.resumeAutoCheckpoint();
  });
  checkpointer.unref();
}
const queue: { seq: number; op: WriteOp }[] = [];
/** Bodies that came ahead of their records (BodyMessage), by record id. */
const stash = new Map<string, BodyBytes>();
/** The last bodies received, as the guard's thread counts them (WorkerSink.bodyWindow). */
const recent = new BodyWindow<BodyBytes | null>();
/** Bodies that could not be rebuilt since the last commit: reported with its acknowledgement. */
const bodyErrors: string[] = [];

/**
 * The whole body of record `id`: `bytes`, after the first `base.length` bytes of a body
 * received before, kept as those two pieces (not joined: body-bytes.ts). Added to the
 * window, as the guard's thread added it. Undefined (and the record is stored without its
 * body) if the base is missing, which the guard's own window rules out; a failure is
 * reported rather than a wrong body stored.
 */
function receiveBody(id: string, bytes: Uint8Array, base: BodyPrefix | undefined): BodyBytes | undefined {
  let body: BodyBytes;
  if (base) {
    const prior = recent.get(base.id)?.value;
    if (!prior || prior.length < base.length) {
      bodyErrors.push(`the body of ${id} was sent as a continuation of ${base.id}, which the writer no longer has; stored without its body`);
      // Counted all the same: the two windows must stay alike.
      recent.add(id, base.length + bytes.byteLength, null);
      return undefined;
    }
    body = prior.continuedBy(base.length, bytes);
  } else body = BodyBytes.of(bytes);
  recent.add(id, body.length, body);
  return body;
}

// Fault injection for the durability test: a slow disk, so an early ack would show.
const testDelayMs = Number(process.env.TELLTALE_TEST_AUDIT_DELAY_MS ?? 0);
const sleeper = new Int32Array(new SharedArrayBuffer(4));
const committed = init.committed ? new BigInt64Array(init.committed) : undefined;
let closing = false;

function prune(): void {
  if (init.retentionMs === null) return;
  const cut = Date.now() - init.retentionMs;
  // Retention is best effort; a busy database retries next hour. Queued behind the writes.
  writing = writing.then(async () => {
    try {
      await store.prune(cut);
    } catch {
      // (see above)
    }
  });
}

/** The batch being written (a PostgreSQL commit is asynchronous); the next waits for it. */
let writing: Promise<void> = Promise.resolve();
let drainScheduled = false;

/** Writes what is queued as one batch, after the batch in progress. */
function drain(): Promise<void> {
  if (drainScheduled) return writing;
  drainScheduled = true;
  writing = writing.then(async () => {
    drainScheduled = false;
    await writeBatch();
  });
  return writing;
}

async function writeBatch(): Promise<void> {
  if (queue.length === 0) return;
  const batch = queue.splice(0);
  const last = batch[batch.length - 1]!.seq;
  let failure: unknown;
  try {
    if (testDelayMs > 0) Atomics.wait(sleeper, 0, 0, testDelayMs);
    await store.write(batch.map((b) => b.op));
  } catch (error) {
    failure = error;
  }
  if (failure === undefined && bodyErrors.length) failure = new Error(bodyErrors.splice(0).join('; '));
  // Before the message: the guard's thread reads it without waiting for the message.
  if (committed) Atomics.store(committed, 0, BigInt(last));
  port.postMessage(
    failure === undefined
      ? ({ type: 'ack', seq: last } satisfies FromWorker)
      : ({ type: 'error', seq: last, message: failure instanceof Error ? failure.message : String(failure) } satisfies FromWorker),
  );
}

port.on('message', (msg: ToWorker) => {
  if (msg.type === 'ops') {
    for (const m of msg.ops) {
      if ('body' in m) {
        const body = receiveBody(m.body.id, m.body.bytes, m.body.base);
        if (body) stash.set(m.body.id, body);
        continue;
      }
      if (m.op.op === 'begin') {
        // The bytes go to the store as they are: it decodes only blocks it has not stored.
        const bytes = m.stashed ? stash.get(m.op.record.id) : m.bodyBytes && receiveBody(m.op.record.id, m.bodyBytes, m.bodyBase);
        if (m.stashed) stash.delete(m.op.record.id);
        if (bytes) m.op.bodyBytes = bytes;
      }
      queue.push({ seq: m.seq, op: m.op });
    }
    // Each message is already a batch: commit it now (SQLite: synchronously, in this turn).
    void drain();
  } else if (msg.type === 'close' && !closing) {
    closing = true;
    clearInterval(timer);
    const finish = async () => {
      await store.close();
      port.postMessage({ type: 'closed' } satisfies FromWorker);
      port.close();
    };
    void drain().then(() => {
      if (!checkpointer) return finish();
      checkpointer.once('exit', () => void finish());
      checkpointer.postMessage({ type: 'close' } satisfies ToCheckpointer);
    });
  }
});

prune();
const timer = setInterval(prune, 3_600_000);
timer.unref();
port.postMessage({ type: 'ready' } satisfies FromWorker);
