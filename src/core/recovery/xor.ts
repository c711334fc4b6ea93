/**
 * XOR key search. Single-byte keys: all 255 are ranked from a byte histogram, so the cost is
 * 255 × (distinct byte values), not 255 × length. Repeating multi-byte keys: the classic
 * attack (guess key lengths by index of coincidence, solve each column as a single-byte XOR).
 */
import { BYTE_UNIGRAM_COST } from './text-model.js';

/** Bytes that almost never occur in text: C0 controls other than tab/LF/CR, and DEL. */
const CONTROLS = Uint8Array.from({ length: 33 }, (_, i) => (i === 32 ? 127 : i)).filter((b) => b !== 9 && b !== 10 && b !== 13);

/** Unigram cost of a byte as text. Bytes >= 0x80 may be UTF-8 of non-ASCII text, so they cost about as much as a rare letter. */
const BYTE_COST = (() => {
  const t = new Float64Array(256);
  for (let b = 0; b < 256; b++) t[b] = b >= 0x80 ? 8 : BYTE_UNIGRAM_COST[b]!;
  return t;
})();

/** Scratch for rankSingleByteKeys: the byte values a histogram holds. */
const presentBytes = new Uint8Array(256);

export function xorBytes(bytes: Uint8Array, key: readonly number[]): Uint8Array {
  const out = new Uint8Array(bytes.length);
  const k = key.length;
  for (let i = 0; i < bytes.length; i++) out[i] = bytes[i]! ^ key[i % k]!;
  return out;
}

export interface KeyGuess {
  key: number;
  /** Mean unigram cost in bits per byte of the XOR result. */
  cost: number;
}

/**
 * Single-byte keys (never 0, which changes nothing) whose result has at most `maxControlRatio`
 * control characters, cheapest (most text-like by unigram cost) first.
 */
export function rankSingleByteKeys(
  hist: Uint32Array,
  total: number,
  maxControlRatio: number,
  limit: number,
): KeyGuess[] {
  const maxBad = Math.floor(total * maxControlRatio);
  const out: KeyGuess[] = [];
  // The byte values present, with their counts: each key's cost sums over these only.
  let distinct = 0;
  for (let b = 0; b < 256; b++) if (hist[b]! > 0) presentBytes[distinct++] = b;
  for (let k = 1; k < 256; k++) {
    // Bytes that key k turns into control characters are exactly k ^ c for each control c.
    let bad = 0;
    for (let i = 0; i < CONTROLS.length && bad <= maxBad; i++) bad += hist[k ^ CONTROLS[i]!]!;
    if (bad > maxBad) continue;
    let cost = 0;
    for (let i = 0; i < distinct; i++) {
      const b = presentBytes[i]!;
      cost += hist[b]! * BYTE_COST[b ^ k]!;
    }
    out.push({ key: k, cost: cost / total });
  }
  out.sort((a, b) => a.cost - b.cost);
  return out.length > limit ? out.slice(0, limit) : out;
}

export function histogram(bytes: Uint8Array, start = 0, step = 1): Uint32Array {
  const h = new Uint32Array(256);
  for (let i = start; i < bytes.length; i += step) h[bytes[i]!]!++;
  return h;
}

/** Longest repeating key the attack tries. */
export const MAX_KEY_LENGTH = 16;
/** Scratch counts for every column of one key length (cleared by undoing the increments). */
const scratch = new Uint32Array(MAX_KEY_LENGTH * 256);
const sameScratch = new Float64Array(MAX_KEY_LENGTH);

/**
 * ASCII text XORed with a repeating key has, in each column, the key byte's top bit on every
 * byte (text bytes are below 0x80). Random and binary data break that within a few bytes, so
 * this cheap test spares them the coincidence count. A tenth of the bytes may differ (UTF-8).
 */
function topBitsAgreePerColumn(bytes: Uint8Array, len: number): boolean {
  const maxMismatch = Math.floor(bytes.length / 10);
  let mismatches = 0;
  for (let i = len; i < bytes.length; i++) {
    if ((bytes[i]! ^ bytes[i % len]!) & 0x80 && ++mismatches > maxMismatch) return false;
  }
  return true;
}

/** Mean index of coincidence of the `len` columns of `bytes`: O(length), no allocation. */
function columnCoincidence(bytes: Uint8Array, len: number): number {
  const n = bytes.length;
  const same = sameScratch.fill(0, 0, len);
  for (let i = 0, j = 0; i < n; i++, j = j + 1 === len ? 0 : j + 1) {
    const slot = j * 256 + bytes[i]!;
    // c(c-1) grows by 2c when a count goes from c to c+1.
    same[j]! += 2 * scratch[slot]!;
    scratch[slot]!++;
  }
  for (let i = 0, j = 0; i < n; i++, j = j + 1 === len ? 0 : j + 1) scratch[j * 256 + bytes[i]!] = 0;
  let ic = 0;
  for (let j = 0; j < len; j++) {
    const m = Math.floor(n / len) + (j < n % len ? 1 : 0);
    ic += m > 1 ? same[j]! / (m * (m - 1)) : 0;
  }
  return ic / len;
}

/**
 * Likely lengths 2..maxLen of a repeating XOR key, best first, from the index of coincidence of
 * each length's columns. XORed text has text-like columns (English ~0.065) at the true length
 * and multiples, but a flatter whole (several keys mix the letter frequencies); binary data
 * with many repeated bytes (wasm, images) has the same coincidence at every length, and random
 * data about 1/256 everywhere: neither qualifies.
 */
export function likelyKeyLengths(bytes: Uint8Array, maxLen: number, minColumn: number): number[] {
  const whole = columnCoincidence(bytes, 1);
  const scored: { len: number; ic: number }[] = [];
  for (let len = 2; len <= Math.min(maxLen, MAX_KEY_LENGTH); len++) {
    if (bytes.length < len * minColumn) break;
    if (topBitsAgreePerColumn(bytes, len)) scored.push({ len, ic: columnCoincidence(bytes, len) });
  }
  const best = scored.filter((s) => s.ic >= 0.03 && s.ic >= 1.5 * whole).sort((a, b) => b.ic - a.ic || a.len - b.len);
  // Multiples of the true length score about as well as the length itself, and their columns
  // are shorter (worse statistics): a length that divides a chosen one with a similar
  // coincidence replaces it, and multiples of a chosen length are dropped.
  const out: { len: number; ic: number }[] = [];
  for (const s of best) {
    if (out.some((o) => s.len % o.len === 0)) continue;
    const multiple = out.find((o) => o.len % s.len === 0 && s.ic >= 0.8 * o.ic);
    if (multiple) {
      multiple.len = s.len;
      multiple.ic = s.ic;
    } else out.push({ ...s });
  }
  return [...new Set(out.map((o) => o.len))];
}

/** Candidates kept per key column for the refinement. */
const COLUMN_CANDIDATES = 8;
/** Refinement passes over the columns (each pass tries every candidate of every column). */
const REFINE_PASSES = 3;

/**
 * Best repeating key of length `len`, or null if some column has no text-like key. Each column
 * is solved alone by letter frequency (few bytes per column make that noisy), then each column's
 * runner-up keys are tried against `judge` (higher is better) on the whole result, which sees
 * neighbouring characters and structure.
 */
export function solveRepeatingKey(bytes: Uint8Array, len: number, judge: (decoded: Uint8Array) => number): number[] | null {
  const options: number[][] = [];
  for (let j = 0; j < len; j++) {
    const h = histogram(bytes, j, len);
    let total = 0;
    for (let b = 0; b < 256; b++) total += h[b]!;
    const ranked = rankSingleByteKeys(h, total, 0, COLUMN_CANDIDATES);
    if (ranked.length === 0) return null;
    options.push(ranked.map((g) => g.key));
  }
  const key = options.map((o) => o[0]!);
  let best = judge(xorBytes(bytes, key));
  for (let pass = 0; pass < REFINE_PASSES; pass++) {
    let changed = false;
    for (let j = 0; j < len; j++) {
      for (const k of options[j]!) {
        if (k === key[j]) continue;
        const trial = key.slice();
        trial[j] = k;
        const v = judge(xorBytes(bytes, trial));
        if (v > best) {
          best = v;
          key[j] = k;
          changed = true;
        }
      }
    }
    if (!changed) break;
  }
  return smallestPeriod(key);
}

/** A key that repeats itself (abab) is the shorter key (ab). */
export function smallestPeriod(key: number[]): number[] {
  for (let p = 1; p < key.length; p++) {
    if (key.length % p !== 0) continue;
    let ok = true;
    for (let i = p; i < key.length && ok; i++) ok = key[i] === key[i - p];
    if (ok) return key.slice(0, p);
  }
  return key;
}

export function formatXorKey(key: readonly number[]): string {
  const hex = (b: number) => b.toString(16).padStart(2, '0');
  if (key.length === 1) return `xor(0x${hex(key[0]!)})`;
  if (key.every((b) => b > 32 && b < 127 && b !== 34 && b !== 92)) return `xor(key "${String.fromCharCode(...key)}")`;
  return `xor(key 0x${key.map(hex).join('')})`;
}
