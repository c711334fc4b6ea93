/**
 * Phase timestamps of a scan, for performance work: with TELLTALE_DEBUG=timing
 * each phase prints "telltale timing: <ms since process start> <thread> <phase>"
 * on stderr; with TELLTALE_DEBUG=timing,memory also the process's resident memory and
 * the thread's JavaScript heap and external (off-heap) memory. Off by default; costs
 * one env lookup per mark.
 */
import { writeSync } from 'node:fs';
import { isMainThread, threadId } from 'node:worker_threads';

const enabled = /\btiming\b/.test(process.env.TELLTALE_DEBUG ?? '');
const memory = /\bmemory\b/.test(process.env.TELLTALE_DEBUG ?? '');
const mb = (bytes: number) => `${Math.round(bytes / 1048576)} MB`;

export function mark(phase: string): void {
  if (!enabled) return;
  // performance.now() counts from the start of the process (main) or of the thread (worker).
  const at = performance.timeOrigin + performance.now() - processStart;
  let usage = '';
  if (memory) {
    const m = process.memoryUsage();
    usage = ` (rss ${mb(m.rss)}, this thread's heap ${mb(m.heapUsed)}, external ${mb(m.external)})`;
  }
  // Synchronous, to the process's stderr: a worker's process.stderr goes through the main
  // thread and loses its last lines when the process exits right after the worker.
  writeSync(2, `telltale timing: ${at.toFixed(0).padStart(6)} ms ${isMainThread ? 'main' : `worker ${threadId}`} ${phase}${usage}\n`);
}

// Process start in epoch ms: the same origin for the main thread and its workers.
const processStart = Date.now() - process.uptime() * 1000;
