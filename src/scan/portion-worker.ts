/**
 * Worker thread of `telltale scan`: analyses one portion of a big bundle's
 * anchored statements (see analyzePortion in core/analyze-js.ts) while the main
 * thread analyses the other. Started as soon as the first big bundle is read,
 * so its start-up (modules, Unicode tables) overlaps the rest of the loading;
 * then it answers one job per message with plain data.
 */
import { parentPort } from 'node:worker_threads';
import { analyzePortion } from '../core/analyze-js.js';
import { classifyCodePoint } from '../core/unicode/index.js';
import type { StatementOutline } from '../core/js/parse.js';

export interface PortionJob {
  path: string;
  text: string;
  outline: StatementOutline;
  chosen: number[];
}

// Touch the Unicode tables now, while the main thread is still reading the archive.
classifyCodePoint(0x2019);

parentPort?.on('message', (job: PortionJob) => {
  let result = null;
  try {
    result = analyzePortion(job.path, job.text, job.outline, job.chosen)?.result ?? null;
  } catch {
    result = null;
  }
  parentPort?.postMessage(result);
});
