/**
 * Where each short identifier occurs in a big source, for the data-flow name
 * searches of JsSource. A whole-file `indexOf` over a 13 MB bundle (a 26 MB
 * two-byte string) costs 2–4 ms however rare the name is; the correlation asks
 * ~150 of them on a real agent bundle. One pass over the text (~0.1 s) answers
 * every later search in microseconds.
 *
 * Written by hand: the occurrences we need are the text search's (maximal runs
 * of identifier characters not preceded by `.`, in code, strings and comments
 * alike), and no tokenizer we could run on the text would give them without a
 * second native parse of the file.
 *
 * Minified bundles name things with one to a few characters, so the index keeps
 * runs of up to MAX_LENGTH ASCII characters, bucketed by length and first two
 * characters (a counting sort: no hashing, no strings made). Longer or
 * non-ASCII names are not covered: the caller searches the text for them.
 */

/** 0–63 for ASCII identifier characters, NON_ASCII for the others (part of a run, never of an indexed name), -1 otherwise. */
const CODE = new Int8Array(65536).fill(-1);
for (let c = 48; c <= 57; c++) CODE[c] = c - 48;
for (let c = 65; c <= 90; c++) CODE[c] = 10 + c - 65;
for (let c = 97; c <= 122; c++) CODE[c] = 36 + c - 97;
CODE[36] = 62; // $
CODE[95] = 63; // _
const NON_ASCII = 64;
CODE.fill(NON_ASCII, 128);

const DOT = 46;
const MAX_LENGTH = 6;
const BUCKETS = (MAX_LENGTH + 1) << 12;

function keyOf(length: number, first: number, second: number): number {
  return (length << 12) | (first << 6) | second;
}

export class IdentifierIndex {
  private constructor(
    private readonly text: string,
    /** Bucket k's positions are positions[bucketStart[k] .. bucketStart[k + 1]), ascending. */
    private readonly bucketStart: Int32Array,
    private readonly positions: Int32Array,
  ) {}

  static build(text: string): IdentifierIndex {
    const n = text.length;
    let capacity = 1 << 16;
    let keys = new Int32Array(capacity);
    let starts = new Int32Array(capacity);
    let count = 0;
    let i = 0;
    while (i < n) {
      const first = CODE[text.charCodeAt(i)]!;
      if (first < 0) {
        i++;
        continue;
      }
      const start = i++;
      while (i < n && CODE[text.charCodeAt(i)]! >= 0) i++;
      const length = i - start;
      // Names never start with a digit; `a.b` is a property, not a reference to `b`.
      if (length > MAX_LENGTH || first < 10 || first === NON_ASCII || (start > 0 && text.charCodeAt(start - 1) === DOT)) continue;
      const second = length > 1 ? CODE[text.charCodeAt(start + 1)]! : 0;
      if (second === NON_ASCII) continue;
      if (count === capacity) {
        capacity *= 2;
        const k = new Int32Array(capacity);
        k.set(keys);
        keys = k;
        const s = new Int32Array(capacity);
        s.set(starts);
        starts = s;
      }
      keys[count] = keyOf(length, first, second);
      starts[count++] = start;
    }
    // Counting sort by bucket; stable, so each bucket stays in text order.
    const bucketStart = new Int32Array(BUCKETS + 1);
    for (let j = 0; j < count; j++) bucketStart[keys[j]! + 1]!++;
    for (let k = 0; k < BUCKETS; k++) bucketStart[k + 1]! += bucketStart[k]!;
    const next = bucketStart.slice(0, BUCKETS);
    const positions = new Int32Array(count);
    for (let j = 0; j < count; j++) positions[next[keys[j]!]!++] = starts[j]!;
    return new IdentifierIndex(text, bucketStart, positions);
  }

  /** True when this index was built from `text` (the very string, not an equal copy). */
  isFor(text: string): boolean {
    return this.text === text;
  }

  /** True when the index answers searches for `name` (1–6 ASCII identifier characters, not starting with a digit). */
  covers(name: string): boolean {
    if (name.length === 0 || name.length > MAX_LENGTH) return false;
    for (let i = 0; i < name.length; i++) {
      const c = name.charCodeAt(i);
      if (c >= 128 || CODE[c]! < 0 || (i === 0 && c >= 48 && c <= 57)) return false;
    }
    return true;
  }

  /**
   * Offsets in [from, to), ascending, where `name` occurs as a whole identifier
   * not preceded by `.` (the caller checks `covers(name)` first).
   */
  *occurrences(name: string, from = 0, to = this.text.length): Generator<number> {
    const key = keyOf(name.length, CODE[name.charCodeAt(0)]!, name.length > 1 ? CODE[name.charCodeAt(1)]! : 0);
    let lo = this.bucketStart[key]!;
    const end = this.bucketStart[key + 1]!;
    // First position >= from.
    let hi = end;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.positions[mid]! < from) lo = mid + 1;
      else hi = mid;
    }
    for (let j = lo; j < end; j++) {
      const at = this.positions[j]!;
      if (at >= to) return;
      // The bucket holds every run of this length and first two characters: longer names are compared.
      if (name.length <= 2 || this.text.startsWith(name, at)) yield at;
    }
  }
}
