/**
 * Stored request bodies without unbounded growth: agents resend the whole conversation
 * every turn, so each message, tool definition and system block is stored once, keyed
 * by the SHA-256 of its (capped) JSON, and the record keeps a skeleton with
 * `{"$block": "<hash>"}` in its place. Long strings are capped (mode `redacted`).
 * Bodies reach this file with secrets already redacted.
 */
import { createHash } from 'node:crypto';
import type { BodyOptions } from './store.js';

export interface Block {
  hash: string;
  content: string;
}

export interface SplitBody {
  skeleton: string;
  blocks: Block[];
}

const BLOCK_KEYS = new Set(['messages', 'input', 'system', 'tools', 'contents', 'instructions']);
/** Strings shorter than this are not worth a block of their own. */
const MIN_BLOCK_CHARS = 512;

function cap(value: unknown, max: number, depth = 0): unknown {
  if (typeof value === 'string') return value.length > max ? `${value.slice(0, max)}…[truncated ${value.length - max} chars]` : value;
  if (depth > 64 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => cap(v, max, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = cap(v, max, depth + 1);
  return out;
}

function block(value: unknown, blocks: Block[]): unknown {
  const content = JSON.stringify(value);
  if (content.length < MIN_BLOCK_CHARS) return value;
  const hash = createHash('sha256').update(content).digest('hex');
  blocks.push({ hash, content });
  return { $block: hash };
}

export function splitBody(text: string, options: BodyOptions): SplitBody | null {
  if (options.mode === 'none') return null;
  return splitRaw(text, options) ?? splitParsed(text, options);
}

/**
 * The fast path: finds the blocks by scanning the JSON text (no parse, no stringify) and
 * hashes their original bytes. Agents send the same history in the same bytes every
 * turn, so the hash identifies a block already stored. Null when the text is not a JSON
 * object this scanner can follow (the parse path handles it).
 */
function splitRaw(text: string, options: BodyOptions): SplitBody | null {
  const max = options.mode === 'full' ? Infinity : options.maxFieldChars;
  let ranges: [number, number][];
  try {
    ranges = blockRanges(text);
  } catch {
    return null;
  }
  const blocks: Block[] = [];
  let skeleton = '';
  let pos = 0;
  for (const [start, end] of ranges) {
    if (end - start < MIN_BLOCK_CHARS) continue;
    let content = text.slice(start, end);
    // Only a block longer than the cap can hold a string longer than the cap.
    if (content.length > max) content = JSON.stringify(cap(JSON.parse(content), max));
    const hash = createHash('sha256').update(content).digest('hex');
    blocks.push({ hash, content });
    skeleton += `${text.slice(pos, start)}{"$block":"${hash}"}`;
    pos = end;
  }
  skeleton += text.slice(pos);
  let parsed: unknown;
  try {
    parsed = JSON.parse(skeleton);
  } catch {
    return null;
  }
  if (options.mode === 'redacted') parsed = cap(parsed, max);
  return { skeleton: JSON.stringify(parsed), blocks };
}

function splitParsed(text: string, options: BodyOptions): SplitBody {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    const max = options.mode === 'full' ? Infinity : options.maxFieldChars;
    return { skeleton: JSON.stringify({ $raw: text.length > max ? `${text.slice(0, max)}…[truncated ${text.length - max} chars]` : text }), blocks: [] };
  }
  if (options.mode === 'redacted') parsed = cap(parsed, options.maxFieldChars);
  const blocks: Block[] = [];
  if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
    const obj = parsed as Record<string, unknown>;
    for (const key of Object.keys(obj)) {
      if (!BLOCK_KEYS.has(key)) continue;
      const v = obj[key];
      obj[key] = Array.isArray(v) ? v.map((item) => block(item, blocks)) : block(v, blocks);
    }
  }
  return { skeleton: JSON.stringify(parsed), blocks };
}

// ---- a minimal JSON scanner: value boundaries only, strings skipped with indexOf

function ws(text: string, i: number): number {
  for (;;) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 10 || c === 13 || c === 9) i++;
    else return i;
  }
}

/** Index after the closing quote of the string that opens at `i`. */
function stringEnd(text: string, i: number): number {
  let j = i + 1;
  for (;;) {
    const q = text.indexOf('"', j);
    if (q < 0) throw new Error('unterminated string');
    let backslashes = 0;
    for (let k = q - 1; text.charCodeAt(k) === 92; k--) backslashes++;
    if (backslashes % 2 === 0) return q + 1;
    j = q + 1;
  }
}

/** Index after the JSON value that starts at `i`. */
function valueEnd(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c === 34) return stringEnd(text, i);
  if (c === 123 || c === 91) {
    let depth = 0;
    let j = i;
    for (;;) {
      const d = text.charCodeAt(j);
      if (Number.isNaN(d)) throw new Error('unterminated container');
      if (d === 34) {
        j = stringEnd(text, j);
        continue;
      }
      if (d === 123 || d === 91) depth++;
      else if (d === 125 || d === 93) {
        depth--;
        if (depth === 0) return j + 1;
      }
      j++;
    }
  }
  let j = i;
  for (;;) {
    const d = text.charCodeAt(j);
    if (Number.isNaN(d) || d === 44 || d === 125 || d === 93 || d === 32 || d === 10 || d === 13 || d === 9) break;
    j++;
  }
  if (j === i) throw new Error('empty value');
  return j;
}

/** Ranges of the block values of a top-level object: each item of a BLOCK_KEYS array, or the whole value. */
function blockRanges(text: string): [number, number][] {
  const out: [number, number][] = [];
  let i = ws(text, 0);
  if (text.charCodeAt(i) !== 123) throw new Error('not an object');
  i = ws(text, i + 1);
  if (text.charCodeAt(i) === 125) return out;
  for (;;) {
    if (text.charCodeAt(i) !== 34) throw new Error('expected a key');
    const keyEnd = stringEnd(text, i);
    const key = JSON.parse(text.slice(i, keyEnd)) as string;
    i = ws(text, keyEnd);
    if (text.charCodeAt(i) !== 58) throw new Error('expected :');
    i = ws(text, i + 1);
    if (BLOCK_KEYS.has(key) && text.charCodeAt(i) === 91) {
      i = ws(text, i + 1);
      if (text.charCodeAt(i) === 93) i++;
      else {
        for (;;) {
          const end = valueEnd(text, i);
          out.push([i, end]);
          i = ws(text, end);
          const c = text.charCodeAt(i);
          i++;
          if (c === 93) break;
          if (c !== 44) throw new Error('expected , or ]');
          i = ws(text, i);
        }
      }
    } else {
      const end = valueEnd(text, i);
      if (BLOCK_KEYS.has(key)) out.push([i, end]);
      i = end;
    }
    i = ws(text, i);
    const c = text.charCodeAt(i);
    if (c === 125) return out;
    if (c !== 44) throw new Error('expected , or }');
    i = ws(text, i + 1);
  }
}

/** Rebuilds a stored body from its skeleton and blocks (missing blocks stay as references). */
export function joinBody(skeleton: string, lookup: (hash: string) => string | undefined): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(skeleton);
  } catch {
    return skeleton;
  }
  if (parsed && typeof parsed === 'object' && '$raw' in parsed && typeof (parsed as { $raw: unknown }).$raw === 'string') {
    return (parsed as { $raw: string }).$raw;
  }
  const expand = (v: unknown): unknown => {
    if (v && typeof v === 'object' && !Array.isArray(v) && typeof (v as { $block?: unknown }).$block === 'string' && Object.keys(v).length === 1) {
      const content = lookup((v as { $block: string }).$block);
      return content === undefined ? v : JSON.parse(content);
    }
    return v;
  };
  if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
    const obj = parsed as Record<string, unknown>;
    for (const key of Object.keys(obj)) {
      if (!BLOCK_KEYS.has(key)) continue;
      const v = obj[key];
      obj[key] = Array.isArray(v) ? v.map(expand) : expand(v);
    }
  }
  return JSON.stringify(parsed);
}
