/**
 * Finding text inside binary data without decoding the binary: byte loops over a
 * Uint8Array that find maximal runs of valid, printable UTF-8 (plus tab, CR, LF).
 * Pure functions; the executable extractor and the `strings`-like extraction use them.
 */

/** Byte classes: 0 breaks a run, 1 printable ASCII / tab / LF / CR, 2–4 UTF-8 lead byte of that length. */
const CLASS = new Uint8Array(256);
/** Bytes that may sit inside a valid run (ASCII text, continuation and lead bytes): used to walk back from a probe. */
const LOOSE = new Uint8Array(256);
for (let b = 0x20; b <= 0x7e; b++) CLASS[b] = 1;
CLASS[0x09] = CLASS[0x0a] = CLASS[0x0d] = 1;
for (let b = 0xc2; b <= 0xdf; b++) CLASS[b] = 2;
for (let b = 0xe0; b <= 0xef; b++) CLASS[b] = 3;
for (let b = 0xf0; b <= 0xf4; b++) CLASS[b] = 4;
for (let b = 0; b < 256; b++) LOOSE[b] = CLASS[b] !== 0 || (b >= 0x80 && b <= 0xbf) ? 1 : 0;

/**
 * Index of the first byte at or after `i` that ends the text run starting at `i`
 * (returns `i` itself when the byte at `i` cannot start a run). C1 controls
 * (U+0080–U+009F), surrogates and overlong forms end a run.
 */
export function textRunEnd(b: Uint8Array, i: number, end: number): number {
  while (i < end) {
    const c = b[i]!;
    const k = CLASS[c]!;
    if (k === 1) {
      i++;
      continue;
    }
    if (k === 0 || i + k > end) return i;
    const c1 = b[i + 1]!;
    if (c1 < 0x80 || c1 > 0xbf) return i;
    if (k === 2) {
      if (c === 0xc2 && c1 < 0xa0) return i;
      i += 2;
      continue;
    }
    if (k === 3) {
      if ((c === 0xe0 && c1 < 0xa0) || (c === 0xed && c1 > 0x9f)) return i;
      const c2 = b[i + 2]!;
      if (c2 < 0x80 || c2 > 0xbf) return i;
      i += 3;
      continue;
    }
    if ((c === 0xf0 && c1 < 0x90) || (c === 0xf4 && c1 > 0x8f)) return i;
    const c2 = b[i + 2]!;
    const c3 = b[i + 3]!;
    if (c2 < 0x80 || c2 > 0xbf || c3 < 0x80 || c3 > 0xbf) return i;
    i += 4;
  }
  return end;
}

export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Every maximal text run of at least `minRun` bytes in `b[start, end)`.
 *
 * Probes one byte every `minRun` bytes: any run that long contains a probe, so
 * bytes far from text are never touched. From a probe that may be inside text the
 * run is found by walking back over bytes that can be part of text, then scanning
 * forward with full UTF-8 validation (UTF-8 resynchronises, so the forward scan
 * finds the same run boundaries as a scan from the start would). Work is O(n) in
 * the worst case and a small fraction of n on machine code.
 */
export function findLongTextRuns(b: Uint8Array, minRun: number, start = 0, end = b.length): ByteRange[] {
  return [...longTextRuns(b, minRun, start, end)];
}

function* longTextRuns(b: Uint8Array, minRun: number, start: number, end: number): Generator<ByteRange> {
  const step = Math.max(1, Math.floor(minRun));
  let scanned = start;
  let p = start + step - 1;
  while (p < end) {
    if (LOOSE[b[p]!] === 0) {
      p += step;
      continue;
    }
    let left = p;
    while (left > scanned && LOOSE[b[left - 1]!] === 1) left--;
    let s = left;
    for (;;) {
      const e = textRunEnd(b, s, end);
      if (e - s >= minRun) yield { start: s, end: e };
      if (e > p || e >= end) {
        scanned = e;
        break;
      }
      s = e + 1;
    }
    p = scanned + step;
  }
}

export interface StringsResult {
  ranges: ByteRange[];
  /** True when extraction stopped at `maxBytes`. */
  capped: boolean;
  /** Byte offset where extraction stopped when capped. */
  stoppedAt: number;
}

/**
 * Printable strings like `strings -n minLength`, but UTF-8 aware and with newlines
 * kept inside a string (multi-line prompts and messages stay whole); whitespace-only
 * runs are left out. Stops once `maxBytes` of strings were collected.
 */
export function findPrintableStrings(b: Uint8Array, minLength: number, maxBytes: number, start = 0, end = b.length): StringsResult {
  const ranges: ByteRange[] = [];
  let total = 0;
  // Same probing as for long runs: with minLength 6 most bytes of machine code are never looked at twice.
  for (const run of longTextRuns(b, minLength, start, end)) {
    if (isAllWhitespace(b, run.start, run.end)) continue;
    const length = run.end - run.start;
    if (total + length > maxBytes) return { ranges, capped: true, stoppedAt: run.start };
    ranges.push(run);
    total += length;
  }
  return { ranges, capped: false, stoppedAt: end };
}

function isAllWhitespace(b: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = b[i]!;
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return false;
  }
  return true;
}

/** Shannon entropy (bits per byte) of `b[start, end)`. */
export function entropy(b: Uint8Array, start = 0, end = b.length, stride = 1): number {
  const counts = new Uint32Array(256);
  let n = 0;
  for (let i = start; i < end; i += stride) {
    counts[b[i]!]!++;
    n++;
  }
  let bits = 0;
  for (let k = 0; k < 256; k++) {
    const c = counts[k]!;
    if (c > 0) {
      const p = c / n;
      bits -= p * Math.log2(p);
    }
  }
  return bits;
}

/** Compressed or encrypted data: its printable "strings" are noise. Text is ~4.5 bits/byte, machine code ~6. */
export const HIGH_ENTROPY_BITS = 7.2;
const ENTROPY_BLOCK = 16 * 1024;

/**
 * `b[start, end)` split into regions worth searching for strings: blocks of
 * high entropy (compressed or encrypted data) are left out. Returns the regions
 * and how many bytes were left out.
 */
export function lowEntropyRegions(b: Uint8Array, start = 0, end = b.length): { regions: ByteRange[]; skippedBytes: number } {
  const regions: ByteRange[] = [];
  let skippedBytes = 0;
  for (let at = start; at < end; at += ENTROPY_BLOCK) {
    const stop = Math.min(end, at + ENTROPY_BLOCK);
    // A short tail block has too few bytes for a meaningful entropy: keep it.
    // Every 4th byte is sample enough (4096 samples bias the estimate by < 0.05 bits) and 4x cheaper.
    if (stop - at >= 1024 && entropy(b, at, stop, 4) >= HIGH_ENTROPY_BITS) {
      skippedBytes += stop - at;
      continue;
    }
    const last = regions[regions.length - 1];
    if (last && last.end === at) last.end = stop;
    else regions.push({ start: at, end: stop });
  }
  return { regions, skippedBytes };
}
