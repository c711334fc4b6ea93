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
