/**
 * Worker thread of `telltale scan`: analyses one portion of a big bundle's
 * anchored statements (see analyzePortion in core/analyze-js.ts) while the main
 * thread analyses the other. Receives plain data, posts plain data back.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { analyzePortion } from '../core/analyze-js.js';
import type { StatementOutline } from '../core/js/parse.js';

interface PortionJob {
  path: string;
  text: string;
  outline: StatementOutline;
  chosen: number[];
}

const job = workerData as PortionJob;
const portion = analyzePortion(job.path, job.text, job.outline, job.chosen);
parentPort?.postMessage(portion ? portion.result : null);
