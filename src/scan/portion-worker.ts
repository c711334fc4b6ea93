/**
 * Worker thread of `telltale scan`: analyses one portion of a big bundle's
 * anchored statements (see analyzePortion in core/analyze-js.ts) while the main
 * thread analyses the other; then converts the package's deferred binaries (string
 * extraction) while the main thread runs the correlation. Started as soon as the
 * first big bundle is read, so its start-up (modules, Unicode tables) overlaps the
 * rest of the loading; then it answers one request per message, in order, with
 * plain data.
 */
import { parentPort } from 'node:worker_threads';
import { analyzePortion, type PortionResult } from '../core/analyze-js.js';
import { classifyCodePoint } from '../core/unicode/index.js';
import type { StatementOutline } from '../core/js/parse.js';
import { convertBinaries } from '../loading/collector.js';
import type { BinaryConversion, ConvertedBinaries } from '../loading/types.js';
import { mark } from './timing.js';

export type WorkerRequest =
  /** Without `text`: the text sent before for that path (type 'text'). */
  | { type: 'portion'; path: string; text?: string; outline: StatementOutline; chosen: number[]; collect: boolean }
  | { type: 'binaries'; conversion: BinaryConversion }
  /** A big file's text, sent ahead of its portion; not answered. */
  | { type: 'text'; path: string; text: string }
  /** No more work: the thread exits (not answered). */
  | { type: 'close' };

/** The answer to a request; null when it failed (the main thread then does the work itself). */
export type WorkerReply = PortionResult | ConvertedBinaries | null;

// Touch the Unicode tables now, while the main thread is still reading the archive.
classifyCodePoint(0x2019);
mark('ready');

/** Texts sent ahead of their portions, by path. */
const texts = new Map<string, string>();

parentPort?.on('message', (request: WorkerRequest) => {
  if (request.type === 'text') {
    texts.set(request.path, request.text);
    return;
  }
  if (request.type === 'close') {
    // Not by closing the port: oxc-parser keeps a 10 s timer for its buffer cache.
    process.exit(0);
  }
  let reply: WorkerReply = null;
  try {
    if (request.type === 'portion') {
      mark(request.text === undefined ? 'portion received (text sent ahead)' : 'portion received');
      const text = request.text ?? texts.get(request.path);
      texts.delete(request.path);
      reply = text === undefined ? null : (analyzePortion(request.path, text, request.outline, request.chosen)?.result ?? null);
      mark('portion done');
      // More big files follow: the syntax trees of this one go now (see collectGarbage in analysis.ts).
      if (request.collect) globalThis.gc?.();
    } else {
      const converted = convertBinaries(request.conversion);
      // Only what analyzeFile reads comes back: JavaScript segments, and printable strings that
      // hold a URL (the rest of claude-code's ~57,000 native strings would cost ~0.1 s to send).
      for (const file of converted.files) if (file.segments) file.segments = file.segments.filter((s) => s.javascript || s.text.includes('://'));
      reply = converted;
      mark('binaries converted');
    }
  } catch {
    reply = null;
  }
  parentPort?.postMessage(reply);
});
