/**
 * Word-level text diff: texts are split into runs of whitespace and runs of
 * anything else, and compared with Myers' O(ND) algorithm. A look-alike or an
 * invisible character changes one word, so a hunk is a few words: small enough
 * to classify, large enough to read. Pure.
 */

export interface Token {
  text: string;
  /** UTF-16 offset in the whole text. */
  start: number;
}

/** A changed region: tokens [aStart, aEnd) of the first text became [bStart, bEnd) of the second. */
export interface TokenHunk {
  aStart: number;
  aEnd: number;
  bStart: number;
  bEnd: number;
}

export function tokenize(text: string): Token[] {
  const out: Token[] = [];
  const re = /\s+|\S+/gu;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push({ text: m[0], start: m.index });
  return out;
}

/** Character offset where token `index` starts (the text length past the end). */
export function tokenOffset(tokens: Token[], index: number, textLength: number): number {
  return index < tokens.length ? tokens[index]!.start : textLength;
}

/**
 * Myers diff over two token arrays. When the edit distance exceeds `maxEdits`
 * the middle (after common prefix and suffix) is returned as a single hunk.
 */
export function diffTokens(a: readonly string[], b: readonly string[], maxEdits = 2000): TokenHunk[] {
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  if (start === endA && start === endB) return [];
  if (start === endA || start === endB) return [{ aStart: start, aEnd: endA, bStart: start, bEnd: endB }];

  const n = endA - start;
  const m = endB - start;
  const max = Math.min(n + m, maxEdits);
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let found = false;
  outer: for (let d = 0; d <= max; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x: number;
      if (k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!)) x = v[offset + k + 1]!;
      else x = v[offset + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[start + x] === b[start + y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) {
        found = true;
        break outer;
      }
    }
  }
  if (!found) return [{ aStart: start, aEnd: endA, bStart: start, bEnd: endB }];

  // Walk the trace back into a list of edit operations, then group them into hunks.
  const ops: Array<{ kind: 'eq' | 'del' | 'ins'; x: number; y: number }> = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 1; d > 0; d--) {
    const vd = trace[d]!;
    const k = x - y;
    let prevK: number;
    if (k === -d || (k !== d && vd[offset + k - 1]! < vd[offset + k + 1]!)) prevK = k + 1;
    else prevK = k - 1;
    const prevX = vd[offset + prevK]!;
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      x--;
      y--;
      ops.push({ kind: 'eq', x, y });
    }
    if (x === prevX) {
      y--;
      ops.push({ kind: 'ins', x, y });
    } else {
      x--;
      ops.push({ kind: 'del', x, y });
    }
  }
  while (x > 0 && y > 0) {
    x--;
    y--;
    ops.push({ kind: 'eq', x, y });
  }
  ops.reverse();

  const hunks: TokenHunk[] = [];
  let current: TokenHunk | null = null;
  let ai = 0;
  let bi = 0;
  for (const op of ops) {
    if (op.kind === 'eq') {
      if (current) hunks.push(current);
      current = null;
      ai++;
      bi++;
      continue;
    }
    current ??= { aStart: start + ai, aEnd: start + ai, bStart: start + bi, bEnd: start + bi };
    if (op.kind === 'del') {
      ai++;
      current.aEnd = start + ai;
    } else {
      bi++;
      current.bEnd = start + bi;
    }
  }
  if (current) hunks.push(current);
  return hunks;
}
