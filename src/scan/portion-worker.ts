/**
 * Worker thread of `telltale scan`: analyses one portion of a big bundle's
 * anchored statements (see analyzePortion in core/analyze-js.ts) while the main
 * thread analyses the other. Started as soon as the first big bundle is read,
 * so its start-up (modules, Unicode tables) overlaps the rest of the loading;
 * then it answers one request per message, in order, with plain data.
 */
import { parentPort } from 'node:worker_threads';
import { analyzePortion, type PortionResult } from '../core/analyze-js.js';
import { classifyCodePoint } from '../core/unicode/index.js';
import type { StatementOutline } from '../core/js/parse.js';
import { mark } from './timing.js';

export interface WorkerRequest {
  path: string;
  text: string;
  outline: StatementOutline;
  chosen: number[];
}

/** The answer to a request; null when it failed (the main thread then analyses the file in one piece). */
export type WorkerReply = PortionResult | null;

// Touch the Unicode tables now, while the main thread is still reading the archive.
classifyCodePoint(0x2019);
mark('ready');

parentPort?.on('message', (request: WorkerRequest) => {
  let reply: WorkerReply = null;
  try {
    mark('portion received');
    reply = analyzePortion(request.path, request.text, request.outline, request.chosen)?.result ?? null;
    mark('portion done');
  } catch {
    reply = null;
  }
  parentPort?.postMessage(reply);
});
