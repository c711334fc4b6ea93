/**
 * WAL checkpoints of the audit database, on their own thread and connection. A
 * checkpoint copies the WAL into the database file and fsyncs both (even with
 * `synchronous=NORMAL`); run by the writer connection (SQLite's automatic checkpoint,
 * every 1000 pages) it stalled the commit that triggered it by 5–15 ms, and every
 * response waiting for that commit with it (the guard's p99). Here a PASSIVE checkpoint
 * runs beside the writer, which never waits for it. Under sustained writes a passive
 * checkpoint may never catch up with the end of the WAL, so the WAL could not restart
 * from its beginning: past `restartFrames` a RESTART checkpoint (which waits briefly for
 * the writer) bounds its size.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { sqlite } from './sqlite.js';

export interface CheckpointInit {
  path: string;
  intervalMs: number;
  restartFrames: number;
  fsync: 'normal' | 'always';
}

/** The writer thread's only message: checkpoint once more and exit (it waits for the exit). */
export type ToCheckpointer = { type: 'close' };

const init = workerData as CheckpointInit;
const port = parentPort!;
const { DatabaseSync } = sqlite();
const db = new DatabaseSync(init.path);
db.exec('PRAGMA busy_timeout=5000');
db.exec(`PRAGMA synchronous=${init.fsync === 'always' ? 'FULL' : 'NORMAL'}`);
const passive = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
const restart = db.prepare('PRAGMA wal_checkpoint(RESTART)');

function checkpoint(): void {
  try {
    const row = passive.get() as { busy: number; log: number; checkpointed: number } | undefined;
    if (!row || row.log <= 0) return;
    if (row.log > init.restartFrames) restart.get();
  } catch {
    // Busy or a transient I/O error: the next round tries again; the writer is unaffected.
  }
}

const timer = setInterval(checkpoint, init.intervalMs);
port.on('message', (msg: ToCheckpointer) => {
  if (msg.type !== 'close') return;
  clearInterval(timer);
  checkpoint();
  db.close();
  port.close();
});
