/**
 * Look-alike characters per UTS #39 confusables.txt (Unicode's own data, via the
 * `unhomoglyph` package, which ships the v13.0.0 table: the newest the npm registry
 * offers; see docs/limits.md for the gap).
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const TABLE = require('unhomoglyph/data.json') as Record<string, string>;

let reverse: Map<string, string[]> | undefined;

/** The UTS #39 prototype (skeleton) of one character; the character itself when it has none. */
export function prototypeOf(char: string): string {
  return TABLE[char] ?? char;
}

/** True when a non-ASCII character is confusable with ASCII text (e.g. U+0430 → "a", U+2019 → "'"). */
export function isAsciiLookalike(codePoint: number): boolean {
  if (codePoint < 0x80) return false;
  const proto = TABLE[String.fromCodePoint(codePoint)];
  return proto !== undefined && /^[\x20-\x7e]+$/.test(proto);
}

/** The skeleton of a string: each character replaced by its prototype (UTS #39 §4, without NFD). */
export function skeleton(text: string): string {
  let out = '';
  for (const ch of text) out += TABLE[ch] ?? ch;
  return out;
}

/** Every character whose prototype is `prototype` (including the prototype itself). */
export function lookalikesOf(prototype: string): string[] {
  if (!reverse) {
    reverse = new Map();
    for (const [source, proto] of Object.entries(TABLE)) {
      const list = reverse.get(proto) ?? [];
      list.push(source);
      reverse.set(proto, list);
    }
  }
  return [prototype, ...(reverse.get(prototype) ?? [])];
}

/** Number of entries in the confusables table (for docs and sanity tests). */
export const CONFUSABLES_ENTRIES = Object.keys(TABLE).length;
export const CONFUSABLES_VERSION = '13.0.0';
