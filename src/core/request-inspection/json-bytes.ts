/**
 * A minimal structural scanner over JSON bytes: value boundaries only, strings skipped.
 * It works on the bytes' latin1 view (one character per byte, so offsets are byte
 * offsets; string search runs at memchr speed): multi-byte UTF-8 sequences never contain
 * ASCII bytes, so structure found on bytes is structure of the text. It does not
 * validate: callers only trust its offsets for bodies that JSON.parse accepts. Used to
 * find the items of a request's history (`messages`, `input`, `contents`) so that a body
 * whose leading bytes equal those of a body already seen is parsed, inspected and stored
 * only from where it differs.
 */

export function skipWs(s: string, i: number): number {
  for (;;) {
    const c = s.charCodeAt(i);
    if (c === 32 || c === 10 || c === 13 || c === 9) i++;
    else return i;
  }
}

/** Index after the closing quote of the string whose opening quote is at `i`. */
export function stringEnd(s: string, i: number): number {
  let j = i + 1;
  for (;;) {
    const q = s.indexOf('"', j);
    if (q < 0) throw new Error('unterminated string');
    let backslashes = 0;
    for (let k = q - 1; s.charCodeAt(k) === 92; k--) backslashes++;
    if ((backslashes & 1) === 0) return q + 1;
    j = q + 1;
  }
}

/** Index after the JSON value that starts at `i`. */
export function valueEnd(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c === 34) return stringEnd(s, i);
  if (c === 0x7b || c === 0x5b) {
    let depth = 0;
    let j = i;
    const n = s.length;
    while (j < n) {
      const d = s.charCodeAt(j);
      if (d === 34) {
        j = stringEnd(s, j);
        continue;
      }
      if (d === 0x7b || d === 0x5b) depth++;
      else if (d === 0x7d || d === 0x5d) {
        depth--;
        if (depth === 0) return j + 1;
      }
      j++;
    }
    throw new Error('unterminated container');
  }
  let j = i;
  const n = s.length;
  while (j < n) {
    const d = s.charCodeAt(j);
    if (d === 44 || d === 0x7d || d === 0x5d || d === 32 || d === 10 || d === 13 || d === 9) break;
    j++;
  }
  if (j === i) throw new Error('empty value');
  return j;
}

/**
 * Scans array items from `i`, a position inside an array: right after its `[` when
 * `first`, else right after an item. Reports each item's [start, end); returns the index
 * after the closing `]`.
 */
export function scanItems(s: string, i: number, first: boolean, onItem: (start: number, end: number) => void): number {
  i = skipWs(s, i);
  if (s.charCodeAt(i) === 0x5d) return i + 1;
  if (!first) {
    if (s.charCodeAt(i) !== 44) throw new Error('expected , or ]');
    i = skipWs(s, i + 1);
  }
  for (;;) {
    const end = valueEnd(s, i);
    onItem(i, end);
    i = skipWs(s, end);
    const c = s.charCodeAt(i);
    i++;
    if (c === 0x5d) return i;
    if (c !== 44) throw new Error('expected , or ]');
    i = skipWs(s, i);
  }
}

/**
 * The key at `i` and the index after it. ASCII keys come out decoded; other keys as
 * their latin1 view, which is still one distinct string per distinct byte sequence.
 */
export function readKey(s: string, i: number): { key: string; end: number } {
  if (s.charCodeAt(i) !== 34) throw new Error('expected a key');
  const end = stringEnd(s, i);
  const raw = s.slice(i + 1, end - 1);
  if (!raw.includes('\\')) return { key: raw, end };
  // An escaped non-ASCII key could equal another spelled differently: not followed.
  if (/[^\x00-\x7f]/.test(raw)) throw new Error('escaped non-ASCII key');
  return { key: JSON.parse(`"${raw}"`) as string, end };
}
