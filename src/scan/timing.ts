/**
 * Phase timestamps of a scan, for performance work: with TELLTALE_DEBUG=timing
 * each phase prints "telltale timing: <ms since process start> <thread> <phase>"
 * on stderr. Off by default; costs one env lookup per mark.
 */
import { isMainThread, threadId } from 'node:worker_threads';

const enabled = /\btiming\b/.test(process.env.TELLTALE_DEBUG ?? '');

export function mark(phase: string): void {
  if (!enabled) return;
  // performance.now() counts from the start of the process (main) or of the thread (worker).
  const at = performance.timeOrigin + performance.now() - processStart;
  process.stderr.write(`telltale timing: ${at.toFixed(0).padStart(6)} ms ${isMainThread ? 'main' : `worker ${threadId}`} ${phase}\n`);
}

// Process start in epoch ms: the same origin for the main thread and its workers.
const processStart = Date.now() - process.uptime() * 1000;
