/** A set of code points stored as sorted, non-overlapping inclusive ranges; membership is a binary search. */
export class RangeSet {
  private readonly starts: Uint32Array;
  private readonly ends: Uint32Array;

  constructor(ranges: Iterable<readonly [number, number]>) {
    const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
    const merged: Array<[number, number]> = [];
    for (const [start, end] of sorted) {
      const last = merged[merged.length - 1];
      if (last && start <= last[1] + 1) last[1] = Math.max(last[1], end);
      else merged.push([start, end]);
    }
    this.starts = Uint32Array.from(merged, (r) => r[0]);
    this.ends = Uint32Array.from(merged, (r) => r[1]);
  }

  static fromUnicode(ranges: ReadonlyArray<{ begin: number; end: number }>): RangeSet {
    // @unicode ranges are half-open: [begin, end).
    return new RangeSet(ranges.map((r) => [r.begin, r.end - 1] as const));
  }

  static union(...sets: RangeSet[]): RangeSet {
    return new RangeSet(sets.flatMap((s) => s.ranges()));
  }

  has(codePoint: number): boolean {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (codePoint < this.starts[mid]!) hi = mid - 1;
      else if (codePoint > this.ends[mid]!) lo = mid + 1;
      else return true;
    }
    return false;
  }

  ranges(): Array<readonly [number, number]> {
    return Array.from(this.starts, (s, i) => [s, this.ends[i]!] as const);
  }
}
