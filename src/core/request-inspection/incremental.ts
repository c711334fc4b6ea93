/**
 * Incremental parsing of request bodies. Agents resend the whole conversation on every
 * turn, in the same bytes: a request's body starts with the bytes of an earlier body up
 * to the end of some history item (`messages`, `input`, `contents`), and only what
 * follows is new. This parser keeps recent bodies (bytes, parsed history items and the
 * byte offset where each item ends) and, when a new body's leading bytes equal one of
 * them up to an item's end (a memcmp), parses only the rest and reuses the parsed items.
 *
 * The result is the value JSON.parse would return for the whole body: the reused prefix
 * is byte-identical to a prefix JSON.parse accepted, and the rest is parsed by JSON.parse
 * from the same grammar state (inside the history array, after an item, inside the
 * top-level object). Anything this cannot follow exactly (escaped or duplicated keys,
 * `__proto__`, a tail that is not valid from that state) falls back to a full parse, which
 * also produces the error message for invalid JSON. Reused item objects are shared
 * between results: callers must not mutate parsed values (inspection does not).
 */
import { isUtf8 } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { readKey, scanItems, skipWs, valueEnd } from './json-bytes.js';

const HISTORY_KEYS = new Set(['messages', 'input', 'contents']);
/** A value no body can contain: marks the start of the history array in the tail parse. */
const SENTINEL = `\u0000telltale:${randomBytes(16).toString('hex')}`;
const SENTINEL_JSON = JSON.stringify(SENTINEL);
/** Per history key, `{"key":["sentinel"` as bytes: what a tail after a history item is parsed behind. */
const TAIL_HEADS = new Map([...HISTORY_KEYS].map((key) => [key, Buffer.from(`{${JSON.stringify(key)}:[${SENTINEL_JSON}`)] as const));

interface Snapshot {
  raw: Buffer;
  /** The caller's name for the body it came from (see parse). */
  tag: string | undefined;
  key: string;
  /** Top-level entries before the history key, in order. */
  before: [string, unknown][];
  items: unknown[];
  /** ends[i]: byte offset right after item i. */
  ends: number[];
}

export type ParseResult =
  | {
      ok: true;
      value: unknown;
      text: () => string;
      /** Leading bytes equal to those of an earlier body (not parsed again). */
      reusedBytes: number;
      /** The tag that earlier body was parsed with, when reusedBytes > 0. */
      reusedFrom?: string;
      /** The parser keeps this body's parsed values (until onDrop hands them back). */
      kept: boolean;
    }
  | { ok: false; reason: 'utf8' | 'json'; message: string };

export interface IncrementalParserOptions {
  /** Bodies kept (most recent first). */
  maxBodies?: number;
  /** Total bytes of bodies kept. */
  maxBytes?: number;
  /**
   * Called with a body's parsed values (top-level values before the history, and the
   * history items) when the parser stops keeping it for lack of room: a conversation that
   * went quiet while others went on. Not called when a body is replaced by its next turn,
   * which holds the same objects.
   */
  onDrop?: (values: unknown[]) => void;
}

/** Equal bytes in [from, to) of both buffers. */
function same(a: Buffer, b: Buffer, from: number, to: number): boolean {
  // Small windows in a loop: Buffer#compare's argument checks cost more than 64 bytes.
  if (to - from <= 64) {
    for (let i = from; i < to; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  return a.compare(b, from, to, from, to) === 0;
}

/**
 * The largest k such that `raw` equals `old` up to ends[k] (and goes on after it), or -1.
 * With `probe`, only two small windows of item k are compared (its middle and its last
 * bytes), plus the middle of the first item: an estimate that a full compare confirms.
 */
export function longestPrefix(raw: Buffer, old: Buffer, ends: readonly number[], probe: boolean): number {
  if (ends.length === 0) return -1;
  if (probe) {
    // Every prefix this can find reaches ends[0] (the keys before the history, then item 0):
    // bytes that differ before it rule the body out. Its last bytes first: conversations
    // that share a system prompt and tools (most of that range) differ there.
    const e = ends[0]!;
    const m = e >> 1;
    if (raw.length <= e || !same(raw, old, Math.max(0, e - 16), e) || !same(raw, old, Math.max(0, m - 16), m + 16)) return -1;
  }
  let lo = -1;
  let hi = ends.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    const end = ends[mid]!;
    let ok = raw.length > end;
    if (ok && probe) {
      const start = mid > 0 ? ends[mid - 1]! : 0;
      const m = (start + end) >> 1;
      ok = same(raw, old, Math.max(start, m - 16), Math.min(end, m + 16)) && same(raw, old, Math.max(start, end - 16), end);
    } else if (ok) ok = same(raw, old, 0, end);
    if (ok) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * Among earlier bodies, the one whose leading bytes equal `raw`'s up to the end of one of
 * its items, the longest such; `k` is that item. Each body is probed by binary search on
 * 16-byte windows before each item end (cheap); the best candidates are then confirmed by
 * comparing everything before it (a memcmp). Shared by the guard's parser and the audit
 * body splitter, which keep their own recent bodies.
 */
export function bestPrefix<B>(raw: Buffer, bodies: readonly B[], bytesOf: (body: B) => Buffer, endsOf: (body: B) => readonly number[]): { body: B; k: number } | null {
  const candidates: { body: B; k: number; old: Buffer; ends: readonly number[] }[] = [];
  for (const body of bodies) {
    const old = bytesOf(body);
    const ends = endsOf(body);
    const k = longestPrefix(raw, old, ends, true);
    if (k >= 0) candidates.push({ body, k, old, ends });
  }
  candidates.sort((a, b) => b.ends[b.k]! - a.ends[a.k]!);
  for (const c of candidates.slice(0, 8)) {
    if (same(raw, c.old, 0, c.ends[c.k]!)) return { body: c.body, k: c.k };
    // A probe was fooled (equal windows, earlier difference): search with full compares.
    const k = longestPrefix(raw, c.old, c.ends, false);
    if (k >= 0) return { body: c.body, k };
  }
  return null;
}

export class IncrementalParser {
  private snaps: Snapshot[] = [];
  private bytes = 0;
  private readonly maxBodies: number;
  private readonly maxBytes: number;
  private readonly onDrop: ((values: unknown[]) => void) | undefined;

  constructor(options: IncrementalParserOptions = {}) {
    this.maxBodies = options.maxBodies ?? 64;
    this.maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
    this.onDrop = options.onDrop;
  }

  /**
   * Parses `raw` (a JSON body); `text()` decodes the whole body when a caller needs it.
   * `tag` names this body for later results' `reusedFrom` (the guard passes the audit
   * record's id: its writer then knows where the bytes it was sent before end).
   */
  parse(raw: Buffer, tag?: string): ParseResult {
    const hit = bestPrefix(raw, this.snaps, (snap) => snap.raw, (snap) => snap.ends);
    if (hit) {
      const r = this.parseTail(raw, hit.body, hit.k, tag);
      if (r) return r;
    }
    return this.parseFull(raw, tag);
  }

  private parseTail(raw: Buffer, snap: Snapshot, item: number, tag: string | undefined): ParseResult | null {
    const cut = snap.ends[item]!;
    const tail = raw.subarray(cut);
    if (!isUtf8(tail)) return null; // the full path reports it
    // The tail, decoded once after a head that puts JSON.parse inside the history array: one
    // flat string for the parse and (when ASCII, as agent JSON usually is) for the item scan,
    // instead of a decode, a concatenation JSON.parse flattens, and a latin1 copy.
    const head = TAIL_HEADS.get(snap.key)!; // a snapshot's key is one of HISTORY_KEYS
    const tailText = Buffer.concat([head, tail], head.length + tail.length).toString('utf8');
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(tailText) as Record<string, unknown>;
    } catch {
      return null;
    }
    const arr = parsed[snap.key];
    if (!Array.isArray(arr) || arr[0] !== SENTINEL) return null;
    const merged: Record<string, unknown> = {};
    for (const [k, v] of snap.before) merged[k] = v;
    const items = snap.items.slice(0, item + 1);
    for (let i = 1; i < arr.length; i++) items.push(arr[i]);
    merged[snap.key] = items;
    for (const k of Object.keys(parsed)) {
      if (k === '__proto__') return null;
      if (k !== snap.key) merged[k] = parsed[k];
    }
    // The new items' ends (byte offsets), for the next turn. An ASCII tail's characters are
    // its bytes: scan the parsed text; else a latin1 copy (one character per byte).
    const ends = snap.ends.slice(0, item + 1);
    try {
      if (tailText.length === head.length + tail.length) scanItems(tailText, head.length, false, (_s, e) => ends.push(cut + e - head.length));
      else scanItems(raw.toString('latin1', cut), 0, false, (_s, e) => ends.push(cut + e));
    } catch {
      return null;
    }
    // The bytes before the history key are the snapshot's: so are their values (a
    // duplicate key in this tail overrides them in this body only).
    // The new body is the newest state of that conversation: it replaces the old one
    // (unless it shares only a small part of it, e.g. another conversation with the same
    // opening), which keeps one body per conversation and the search short.
    const kept = ends.length === items.length && this.remember({ raw, tag, key: snap.key, before: snap.before, items, ends }, cut * 2 >= snap.ends[snap.ends.length - 1]! ? snap : undefined);
    let text: string | undefined;
    const out: ParseResult = { ok: true, value: merged, text: () => (text ??= raw.toString('utf8')), reusedBytes: cut, kept };
    if (snap.tag !== undefined) out.reusedFrom = snap.tag;
    return out;
  }

  private parseFull(raw: Buffer, tag: string | undefined): ParseResult {
    if (!isUtf8(raw)) return { ok: false, reason: 'utf8', message: 'request body is not valid UTF-8' };
    const text = raw.toString('utf8');
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      return { ok: false, reason: 'json', message: error instanceof Error ? error.message.split('\n')[0]! : 'parse error' };
    }
    const kept = value !== null && typeof value === 'object' && !Array.isArray(value) && this.snapshotFull(raw, value as Record<string, unknown>, tag);
    return { ok: true, value, text: () => text, reusedBytes: 0, kept };
  }

  /** Finds the history array's item ends in a body parsed whole, and keeps it; false when it cannot. */
  private snapshotFull(body: Buffer, value: Record<string, unknown>, tag: string | undefined): boolean {
    const raw = body.toString('latin1');
    try {
      let i = skipWs(raw, 0);
      if (raw.charCodeAt(i) !== 0x7b) return false;
      i = skipWs(raw, i + 1);
      // Every top-level key once (a duplicate would make the parsed values differ from
      // what the bytes before it say), and no __proto__.
      const seen = new Set<string>();
      let found: { key: string; ends: number[] } | undefined;
      while (raw.charCodeAt(i) !== 0x7d) {
        const { key, end } = readKey(raw, i);
        if (seen.has(key) || key === '__proto__') return false;
        seen.add(key);
        i = skipWs(raw, end);
        if (raw.charCodeAt(i) !== 0x3a) return false;
        i = skipWs(raw, i + 1);
        if (!found && HISTORY_KEYS.has(key) && raw.charCodeAt(i) === 0x5b) {
          const ends: number[] = [];
          i = scanItems(raw, i + 1, true, (_s, e) => ends.push(e));
          found = { key, ends };
        } else i = valueEnd(raw, i);
        i = skipWs(raw, i);
        if (raw.charCodeAt(i) === 44) i = skipWs(raw, i + 1);
        else if (raw.charCodeAt(i) !== 0x7d) return false;
      }
      if (!found) return false;
      const items = value[found.key];
      if (!Array.isArray(items) || items.length === 0 || found.ends.length !== items.length) return false;
      const before: [string, unknown][] = [];
      for (const k of Object.keys(value)) {
        if (k === found.key) break;
        before.push([k, value[k]]);
      }
      return this.remember({ raw: body, tag, key: found.key, before, items, ends: found.ends });
    } catch {
      // Not a body this scanner follows: no snapshot, every request parsed whole.
      return false;
    }
  }

  /** Keeps `snap` (in place of `replaces`, its previous turn); false when it is too large to keep. */
  private remember(snap: Snapshot, replaces?: Snapshot): boolean {
    if (snap.ends.length === 0) return false;
    if (replaces) {
      const i = this.snaps.indexOf(replaces);
      if (i >= 0) {
        this.snaps.splice(i, 1);
        this.bytes -= replaces.raw.length;
      }
    }
    if (snap.raw.length > this.maxBytes / 4) {
      // Its previous turn, if any, is gone too: what it held is handed back.
      if (replaces) this.drop(replaces);
      return false;
    }
    this.snaps.unshift(snap);
    this.bytes += snap.raw.length;
    while (this.snaps.length > this.maxBodies || this.bytes > this.maxBytes) {
      const old = this.snaps.pop()!;
      this.bytes -= old.raw.length;
      this.drop(old);
    }
    return true;
  }

  private drop(snap: Snapshot): void {
    if (!this.onDrop) return;
    const values: unknown[] = snap.before.map(([, v]) => v);
    for (const item of snap.items) values.push(item);
    this.onDrop(values);
  }
}
