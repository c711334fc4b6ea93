/**
 * Stored request bodies without unbounded growth: agents resend the whole conversation
 * every turn, so each message, tool definition and system block is stored once, keyed
 * by the SHA-256 of its (capped) JSON, and the record keeps a skeleton with
 * `{"$block": "<hash>"}` in its place. Long strings are capped (mode `redacted`).
 * Bodies reach this file with secrets already redacted.
 */
import { hash as digestOf } from 'node:crypto';
import type { BodyOptions } from './store.js';
import { readKey, scanItems, skipWs, valueEnd } from '../core/request-inspection/json-bytes.js';
import { bestPrefix } from '../core/request-inspection/incremental.js';
import { BodyBytes } from './body-bytes.js';

export interface Block {
  hash: string;
  /** The block's (capped) JSON; computed on demand: a block already stored is not decoded. */
  content: () => string;
  /**
   * Where a store put this block, set by that store. A resent history's blocks carry it
   * over from the body they were split from: the store need not look the hash up again.
   */
  stored?: StoredBlock;
}

/** A store's row for a block; `owner` tells the store it is its own and still valid. */
export interface StoredBlock {
  readonly owner: object;
  readonly id: number;
  readonly ms: number;
}

export interface SplitBody {
  skeleton: string;
  blocks: Block[];
  /**
   * When the body continues one split before: `skeleton` is `reused.skeleton + reused.rest`,
   * where `reused.skeleton` is the same string as for that earlier body and holds its first
   * `reused.blocks` blocks. A store may keep what it made of that part.
   */
  reused?: { skeleton: string; blocks: number; rest: string };
}

/** The body's first `length` bytes equal those of the body of record `id` (split before). */
export interface BodyPrefix {
  id: string;
  length: number;
}

/** What the caller knows of a body given as bytes. */
export interface BodySource {
  /** The record it belongs to: a later body can name it as its prefix. */
  id: string;
  /** The body is valid JSON (the guard parsed it). */
  json?: boolean;
  prefix?: BodyPrefix;
}

const BLOCK_KEYS = new Set(['messages', 'input', 'system', 'tools', 'contents', 'instructions']);
/** Blocks shorter than this (bytes) stay inline: an agent turn of a few hundred bytes stored once beats its copy in every later record. */
const MIN_BLOCK_BYTES = 128;
/**
 * A value that spells a block reference is stored as a block whatever its size: inline, a
 * request could make a stored body show another record's block (`{"$block": 5}`).
 */
const BLOCK_KEY_BYTES = Buffer.from('"$block"');

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
  if (content.length < MIN_BLOCK_BYTES && !content.includes('"$block"')) return value;
  const hash = digestOf('sha256', content, 'hex');
  blocks.push({ hash, content: () => content });
  return { $block: hash };
}

/** A block value's byte range; `inArray`: an item of a BLOCK_KEYS array (else a whole value). */
interface Range {
  start: number;
  end: number;
  inArray: boolean;
}

interface SplitSnapshot {
  /** As it came: a body that continues an earlier one shares that body's bytes (body-bytes.ts). */
  raw: BodyBytes;
  /** The record whose body (as the guard sent it) this is; none for a body given as text. */
  id: string | undefined;
  ranges: Range[];
  ends: number[];
  /** skeletons[i]: the skeleton up to the end of range i (a resent history reuses it). */
  skeletons: string[];
  /** The block of each range (null: too small to be a block): its hash, and the store's mark (Block.stored). */
  blocks: (Block | null)[];
}

/**
 * Splits bodies into skeleton and blocks. Keeps the last few bodies it split: a body
 * whose leading bytes equal one of them up to the end of a block (an agent resending its
 * history) reuses those blocks' hashes and is scanned and hashed only from there, so the
 * cost of a body is proportional to what is new in it.
 */
export class BodySplitter {
  private snaps: SplitSnapshot[] = [];

  constructor(
    private readonly options: BodyOptions,
    private readonly maxBodies = 16,
  ) {}

  /**
   * `source`, for bytes: the record they belong to, and what the caller knows of them
   * (see BodySource). Text bodies (redacted by the guard) are split on their own.
   */
  split(body: string | Uint8Array | BodyBytes, source?: BodySource): SplitBody | null {
    if (this.options.mode === 'none') return null;
    const raw = body instanceof BodyBytes ? body : BodyBytes.of(typeof body === 'string' ? Buffer.from(body) : body);
    return this.splitRaw(raw, typeof body === 'string' ? undefined : source) ?? splitParsed(typeof body === 'string' ? body : raw.slice().toString('utf8'), this.options);
  }

  /**
   * The stored body of a request record: its bytes as the guard parsed them (`bytes`, with
   * where they equal an earlier body: `prefix`), else its text (`record.body`, redacted by
   * the guard). Null when the record has no body, or when bodies are not kept.
   */
  splitRecord(record: { id: string; body: string | null }, bytes?: Uint8Array | BodyBytes, prefix?: BodyPrefix): SplitBody | null {
    if (bytes) return this.split(bytes, { id: record.id, json: true, ...(prefix ? { prefix } : {}) });
    return record.body === null ? null : this.split(record.body);
  }

  /**
   * The snapshot of the record the caller says this body starts like, and its last block
   * that ends within those bytes: the caller compared them (the guard's parser, which
   * keeps the same bodies), so they are not compared again.
   */
  private known(raw: BodyBytes, prefix: BodyPrefix): { snap: SplitSnapshot; k: number } | null {
    const snap = this.snaps.find((s) => s.id === prefix.id);
    if (!snap || prefix.length > raw.length || prefix.length > snap.raw.length) return null;
    let lo = -1;
    let hi = snap.ends.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (snap.ends[mid]! <= prefix.length && snap.ends[mid]! < raw.length) lo = mid;
      else hi = mid - 1;
    }
    return lo >= 0 ? { snap, k: lo } : null;
  }

  /**
   * Without a hint (a body the caller did not compare), the snapshot it starts like. Compares
   * whole bytes: a body in pieces is joined here, which the hinted path never needs.
   */
  private find(body: BodyBytes): { snap: SplitSnapshot; k: number } | null {
    const hit = bestPrefix(body.flat(), this.snaps, (snap) => snap.raw.flat(), (snap) => snap.ends);
    return hit && { snap: hit.body, k: hit.k };
  }

  /**
   * The fast path: finds the blocks by scanning the JSON bytes (no parse, no stringify)
   * and hashes their original bytes. Agents send the same history in the same bytes every
   * turn, so the hash identifies a block already stored. Null when the body is not a JSON
   * object this scanner can follow (the parse path handles it).
   */
  private splitRaw(raw: BodyBytes, source: BodySource | undefined): SplitBody | null {
    const max = this.options.mode === 'full' ? Infinity : this.options.maxFieldChars;
    const hinted = source?.prefix ? this.known(raw, source.prefix) : null;
    const hit = hinted ?? this.find(raw);
    const ranges: Range[] = hit ? hit.snap.ranges.slice(0, hit.k + 1) : [];
    const resume = hit ? hit.snap.ranges[hit.k]! : null;
    // Everything this split reads lies past `base`: what the earlier body's blocks covered is
    // reused. `tail` is those bytes (a view on the piece that brought them, usually).
    const base = resume ? resume.end : 0;
    const tail = raw.slice(base);
    try {
      const found: Range[] = [];
      scanBlocks(tail.toString('latin1'), resume ? { ...resume, start: 0, end: 0 } : null, found);
      for (const r of found) ranges.push({ start: r.start + base, end: r.end + base, inArray: r.inArray });
    } catch {
      return null;
    }
    const rangeBlocks: (Block | null)[] = [];
    const reused = hit ? hit.k + 1 : 0;
    const skeletons: string[] = hit ? hit.snap.skeletons.slice(0, reused) : [];
    const head = reused ? skeletons[reused - 1]! : '';
    // The skeleton past `head`; `skeleton` is head + rest.
    let rest = '';
    let reusedBlocks = 0;
    let pos = reused ? ranges[reused - 1]!.end : 0;
    for (let i = 0; i < ranges.length; i++) {
      const { start, end } = ranges[i]!;
      // A reused range keeps its earlier block's hash and the store's mark; a new one lies in `tail`.
      const prior = i < reused ? (hit!.snap.blocks[i] ?? null) : undefined;
      let hash = prior?.hash ?? null;
      if (prior === undefined) {
        const bytes = tail.subarray(start - base, end - base);
        if (end - start >= MIN_BLOCK_BYTES || bytes.includes(BLOCK_KEY_BYTES)) {
          // Only a block longer than the cap can hold a string longer than the cap.
          let capped: string | undefined;
          if (end - start > max) {
            const text = bytes.toString('utf8');
            if (text.length > max) capped = JSON.stringify(cap(JSON.parse(text), max));
          }
          // One-shot (no Hash object): ~3.0 against ~4.3 µs per 4.7 KB block, measured.
          hash = digestOf('sha256', capped ?? bytes, 'hex');
        }
      }
      if (hash !== null) {
        const b: Block = {
          hash,
          content: () => {
            const text = raw.slice(start, end).toString('utf8');
            return text.length > max ? JSON.stringify(cap(JSON.parse(text), max)) : text;
          },
        };
        // A new object reading this body's bytes (an older body's may be let go), with the store's mark.
        if (prior?.stored) b.stored = prior.stored;
        rangeBlocks.push(b);
        if (i < reused) reusedBlocks++;
      } else rangeBlocks.push(null);
      if (i < reused) continue;
      if (hash !== null) {
        rest += `${tail.toString('utf8', pos - base, start - base)}{"$block":"${hash}"}`;
        pos = end;
      }
      skeletons.push(head + rest + tail.toString('utf8', pos - base, end - base));
    }
    rest += tail.toString('utf8', pos - base);
    const skeleton = head + rest;
    const blocks = rangeBlocks.filter((b): b is Block => b !== null);
    // The skeleton is the body with whole values replaced by block references: JSON when
    // the body is. Checked unless the caller parsed the body (`source.json`), or for the cap.
    let parsed: unknown;
    const capping = this.options.mode === 'redacted' && skeleton.length > max;
    if (!source?.json || capping) {
      try {
        parsed = JSON.parse(skeleton);
      } catch {
        return null;
      }
    }
    if (ranges.length) {
      // The newest state of that conversation replaces the old one (see IncrementalParser).
      if (hit && hit.snap.ranges[hit.k]!.end * 2 >= hit.snap.ranges[hit.snap.ranges.length - 1]!.end) this.snaps.splice(this.snaps.indexOf(hit.snap), 1);
      this.snaps.unshift({ raw, id: source?.id, ranges, ends: ranges.map((r) => r.end), skeletons, blocks: rangeBlocks });
      if (this.snaps.length > this.maxBodies) this.snaps.pop();
    }
    // No string of a skeleton shorter than the cap is longer than it: store it as sent.
    if (capping) return { skeleton: JSON.stringify(cap(parsed, max)), blocks };
    return reused ? { skeleton, blocks, reused: { skeleton: head, blocks: reusedBlocks, rest } } : { skeleton, blocks };
  }
}

/** One-off split (no reuse across bodies). */
export function splitBody(body: string | Uint8Array, options: BodyOptions): SplitBody | null {
  return new BodySplitter(options, 0).split(body);
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

/**
 * Block ranges of a top-level object: each item of a BLOCK_KEYS array, or the whole
 * value. From the start, or resuming right after an already known range.
 */
function scanBlocks(b: string, resume: Range | null, out: Range[]): void {
  const onItem = (start: number, end: number) => out.push({ start, end, inArray: true });
  let i: number;
  if (resume) {
    i = resume.inArray ? scanItems(b, resume.end, false, onItem) : resume.end;
  } else {
    i = skipWs(b, 0);
    if (b.charCodeAt(i) !== 0x7b) throw new Error('not an object');
    i = skipWs(b, i + 1);
    if (b.charCodeAt(i) === 0x7d) return;
    i = scanMember(b, i, out, onItem);
  }
  for (;;) {
    i = skipWs(b, i);
    const c = b.charCodeAt(i);
    if (c === 0x7d) return;
    if (c !== 44) throw new Error('expected , or }');
    i = scanMember(b, skipWs(b, i + 1), out, onItem);
  }
}

/** One `"key": value` member at `i`; returns the index after the value. */
function scanMember(b: string, i: number, out: Range[], onItem: (start: number, end: number) => void): number {
  const { key, end: keyEnd } = readKey(b, i);
  i = skipWs(b, keyEnd);
  if (b.charCodeAt(i) !== 0x3a) throw new Error('expected :');
  i = skipWs(b, i + 1);
  if (BLOCK_KEYS.has(key) && b.charCodeAt(i) === 0x5b) return scanItems(b, i + 1, true, onItem);
  const end = valueEnd(b, i);
  if (BLOCK_KEYS.has(key)) out.push({ start: i, end, inArray: false });
  return end;
}

const REF_OPEN = '{"$block":"';

/**
 * The skeleton with each block reference by hash replaced by the block's row id
 * (`{"$block": 123}`, the store's layout 2): ~60 bytes less per block in every record.
 * `ids[i]` is the row id of `blocks[i]` (undefined: that reference keeps its hash). The splitter writes the references in exactly
 * this form and in the order of `blocks`, so each is checked against the next block's
 * hash (~4 µs for the benchmark's 42 blocks; a regular expression took 28); any other
 * (text that looks like one outside a string) is looked up by its hash. Inside JSON
 * strings quotes are escaped: text there is never taken for a reference.
 */
export function withBlockIds(skeleton: string, blocks: readonly Block[], ids: readonly (number | undefined)[]): string {
  let out = '';
  let pos = 0;
  let next = 0;
  let byHash: Map<string, number | undefined> | undefined;
  for (let at = skeleton.indexOf(REF_OPEN); at >= 0; at = skeleton.indexOf(REF_OPEN, at + 1)) {
    const h = at + REF_OPEN.length;
    if (skeleton.charCodeAt(h + 64) !== 0x22 || skeleton.charCodeAt(h + 65) !== 0x7d) continue;
    // slice and ===, not startsWith(hash, h): ~4 µs against ~18 for the 42 blocks, measured.
    const hash = skeleton.slice(h, h + 64);
    let id: number | undefined;
    if (next < blocks.length && hash === blocks[next]!.hash) id = ids[next++];
    else {
      byHash ??= new Map(blocks.map((b, i) => [b.hash, ids[i]]));
      id = byHash.get(hash);
    }
    if (id === undefined) continue;
    out += `${skeleton.slice(pos, at)}{"$block":${id}}`;
    pos = h + 66;
    at = pos - 1;
  }
  return pos === 0 ? skeleton : out + skeleton.slice(pos);
}

/** Rebuilds a stored body from its skeleton and blocks, referenced by hash or row id (missing blocks stay as references). */
export function joinBody(skeleton: string, lookup: (ref: string | number) => string | undefined): string {
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
    const ref = v && typeof v === 'object' && !Array.isArray(v) ? (v as { $block?: unknown }).$block : undefined;
    if ((typeof ref === 'string' || (typeof ref === 'number' && Number.isSafeInteger(ref))) && Object.keys(v as object).length === 1) {
      const content = lookup(ref);
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

/** The block references of a stored skeleton, so that a store can fetch their content in one query before joinBody. */
export function blockRefs(skeleton: string): (string | number)[] {
  const refs: (string | number)[] = [];
  joinBody(skeleton, (ref) => {
    refs.push(ref);
    return undefined;
  });
  return refs;
}
