/**
 * The audit writer thread: owns the SQLite connection, applies every operation that
 * arrived since its last turn in one transaction (group commit), then acknowledges the
 * highest sequence number it committed. The guard's request path never touches disk.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SqliteAuditStore, type SqliteStoreOptions } from './sqlite-store.js';
import type { WriteOp } from './store.js';

export interface WorkerInit {
  path: string;
  options: SqliteStoreOptions;
  retentionMs: number | null;
}

export type ToWorker = { type: 'op'; seq: number; op: WriteOp } | { type: 'close' };
export type FromWorker = { type: 'ack'; seq: number } | { type: 'error'; seq: number; message: string } | { type: 'ready' } | { type: 'closed' };

const init = workerData as WorkerInit;
const port = parentPort!;
const store = new SqliteAuditStore(init.path, init.options);
const queue: { seq: number; op: WriteOp }[] = [];
// Fault injection for the durability test: a slow disk, so an early ack would show.
const testDelayMs = Number(process.env.TELLTALE_TEST_AUDIT_DELAY_MS ?? 0);
const sleeper = new Int32Array(new SharedArrayBuffer(4));
let scheduled = false;
let closing = false;

function prune(): void {
  if (init.retentionMs === null) return;
  try {
    store.prune(Date.now() - init.retentionMs);
  } catch {
    // Retention is best effort; a busy database retries next hour.
  }
}

function drain(): void {
  scheduled = false;
  if (queue.length === 0) return;
  const batch = queue.splice(0);
  const last = batch[batch.length - 1]!.seq;
  try {
    if (testDelayMs > 0) Atomics.wait(sleeper, 0, 0, testDelayMs);
    store.write(batch.map((b) => b.op));
    port.postMessage({ type: 'ack', seq: last } satisfies FromWorker);
  } catch (error) {
    port.postMessage({ type: 'error', seq: last, message: error instanceof Error ? error.message : String(error) } satisfies FromWorker);
  }
}

port.on('message', (msg: ToWorker) => {
  if (msg.type === 'op') {
    queue.push({ seq: msg.seq, op: msg.op });
    if (!scheduled) {
      scheduled = true;
      setImmediate(drain);
    }
  } else if (msg.type === 'close' && !closing) {
    closing = true;
    drain();
    clearInterval(timer);
    store.close();
    port.postMessage({ type: 'closed' } satisfies FromWorker);
    port.close();
  }
});

prune();
const timer = setInterval(prune, 3_600_000);
timer.unref();
port.postMessage({ type: 'ready' } satisfies FromWorker);
