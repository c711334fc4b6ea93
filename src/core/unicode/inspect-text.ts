/**
 * Hidden-channel inspection of any text: every invisible, look-alike or unusual
 * character with its position, code point, name and why it matters. Shared by
 * `inspect`, `scan` (string literals), `probe` (captured prompts) and `guard`
 * (outgoing requests). Pure: no I/O.
 *
 * Legitimate sequences are recognised from Unicode data rather than ignored
 * wholesale: emoji ZWJ sequences, emoji flag tag sequences, emoji/text
 * presentation selectors, a leading byte-order mark, and joiners inside scripts
 * that need them (Arabic, Indic). They are reported with `legitimate: true` so a
 * caller can show them without raising an alarm.
 */
import { isAsciiLookalike, prototypeOf } from './confusables.js';
import { characterName, formatCodePoint } from './names.js';
import {
  BIDI_CONTROL,
  BYTE_ORDER_MARK,
  CANCEL_TAG,
  CONTROL,
  DEFAULT_IGNORABLE,
  EMOJI_MODIFIER,
  EXTENDED_PICTOGRAPHIC,
  JOIN_CONTROL,
  LETTER,
  MARK,
  NONCHARACTER,
  PRIVATE_USE,
  SPACE_SEPARATOR,
  UNASSIGNED,
  VARIATION_SELECTOR,
  WHITE_SPACE,
  ZERO_WIDTH_JOINER,
  isTag,
} from './properties.js';
import { scriptOf, type ScriptName } from './scripts.js';

export type HiddenCharKind =
  | 'tag' // U+E0000–E007F
  | 'bidi-control' // can reorder what a person sees (Trojan Source)
  | 'invisible' // default-ignorable: zero-width and format characters
  | 'variation-selector'
  | 'unusual-space' // a space other than U+0020, tab, CR, LF
  | 'confusable' // looks like ASCII per UTS #39
  | 'control' // C0/C1 controls other than tab, CR, LF
  | 'private-use'
  | 'noncharacter'
  | 'unassigned';

export interface HiddenChar {
  /** UTF-16 offset in the inspected text. */
  offset: number;
  /** UTF-16 length (2 for astral code points). */
  length: number;
  line: number;
  column: number;
  codePoint: number;
  /** `U+XXXX` */
  cp: string;
  name: string;
  kind: HiddenCharKind;
  /** For confusables: the ASCII text it imitates. */
  prototype?: string;
  /** Part of a sequence Unicode defines for legitimate use (emoji ZWJ, flag tags, BOM, script joiners). */
  legitimate: boolean;
  /** Why it is (or is not) suspicious, in a few words. */
  reason: string;
}

export interface TagPayload {
  offset: number;
  /** The ASCII the tag characters spell out. */
  text: string;
  length: number;
}

export interface MixedScriptWord {
  offset: number;
  word: string;
  scripts: ScriptName[];
  /** The word with every look-alike replaced by its prototype. */
  skeleton: string;
}

export interface TextInspection {
  chars: HiddenChar[];
  tagPayloads: TagPayload[];
  mixedScriptWords: MixedScriptWord[];
  /** Count of suspicious (non-legitimate) characters per kind. */
  counts: Partial<Record<HiddenCharKind, number>>;
  /** True when nothing suspicious was found. */
  clean: boolean;
}

export interface InspectOptions {
  /** Report confusables only inside mixed-script words (default false: report every ASCII look-alike). */
  confusablesInMixedWordsOnly?: boolean;
  /** Stop after this many characters (protects callers from pathological inputs). Default 10,000. */
  maxChars?: number;
}

/** Quick check used as a pre-filter: does the text contain anything `inspectText` could report? */
export function hasNonAscii(text: string): boolean {
  // eslint-disable-next-line no-control-regex
  return /[^\x09\x0a\x0d\x20-\x7e]/.test(text);
}

const JOINER_SCRIPTS = new Set<ScriptName>(['Arabic', 'Other', 'Hebrew']);

/** Kinds in the order of their codes in the memo below (0: not yet classified, 1: nothing). */
const KIND_CODES: ReadonlyArray<HiddenCharKind> = ['tag', 'bidi-control', 'invisible', 'variation-selector', 'unusual-space', 'confusable', 'control', 'private-use', 'noncharacter', 'unassigned'];
/**
 * classifyCodePoint's answers, one byte per code point (1.1 MB, allocated on first
 * use): a 13 MB bundle asks about the same few hundred characters ~100,000 times,
 * and each fresh answer is up to nine range searches.
 */
let memo: Uint8Array | undefined;

/** Classifies one code point; null for ordinary characters. */
export function classifyCodePoint(codePoint: number): HiddenCharKind | null {
  if (codePoint < 0x80 || codePoint > 0x10ffff) return classifyUncached(codePoint);
  memo ??= new Uint8Array(0x110000);
  let code = memo[codePoint]!;
  if (code === 0) {
    const kind = classifyUncached(codePoint);
    code = kind === null ? 1 : 2 + KIND_CODES.indexOf(kind);
    memo[codePoint] = code;
  }
  return code === 1 ? null : KIND_CODES[code - 2]!;
}

function classifyUncached(codePoint: number): HiddenCharKind | null {
  if (codePoint < 0x80) {
    if (codePoint === 0x09 || codePoint === 0x0a || codePoint === 0x0d) return null;
    return codePoint < 0x20 || codePoint === 0x7f ? 'control' : null;
  }
  if (isTag(codePoint)) return 'tag';
  if (BIDI_CONTROL.has(codePoint)) return 'bidi-control';
  if (VARIATION_SELECTOR.has(codePoint)) return 'variation-selector';
  if (DEFAULT_IGNORABLE.has(codePoint)) return 'invisible';
  if (CONTROL.has(codePoint)) return codePoint === 0x85 ? 'unusual-space' : 'control';
  if (WHITE_SPACE.has(codePoint) || SPACE_SEPARATOR.has(codePoint)) return 'unusual-space';
  if (isAsciiLookalike(codePoint)) return 'confusable';
  if (PRIVATE_USE.has(codePoint)) return 'private-use';
  if (NONCHARACTER.has(codePoint)) return 'noncharacter';
  if (UNASSIGNED.has(codePoint)) return 'unassigned';
  return null;
}

function codePointBefore(text: string, index: number): number | undefined {
  if (index <= 0) return undefined;
  const low = text.charCodeAt(index - 1);
  if (low >= 0xdc00 && low <= 0xdfff && index >= 2) {
    const high = text.charCodeAt(index - 2);
    if (high >= 0xd800 && high <= 0xdbff) return text.codePointAt(index - 2);
  }
  return low;
}

function isEmojiBase(codePoint: number | undefined): boolean {
  return codePoint !== undefined && (EXTENDED_PICTOGRAPHIC.has(codePoint) || EMOJI_MODIFIER.has(codePoint));
}

function isKeycapBase(codePoint: number | undefined): boolean {
  return codePoint !== undefined && ((codePoint >= 0x30 && codePoint <= 0x39) || codePoint === 0x23 || codePoint === 0x2a);
}

/**
 * Decides whether a flagged character is part of a sequence Unicode defines for
 * ordinary use. `text` and `offset` locate the character.
 */
function legitimacy(text: string, offset: number, codePoint: number, kind: HiddenCharKind): string | null {
  const before = codePointBefore(text, offset);
  const after = text.codePointAt(offset + (codePoint > 0xffff ? 2 : 1));
  if (codePoint === BYTE_ORDER_MARK && offset === 0) return 'byte-order mark at start of text';
  if (kind === 'variation-selector') {
    // Emoji/text presentation (FE0E/FE0F) after an emoji or keycap base; standardized
    // variation sequences (FE00–FE0D, E0100–E01EF) after an ideograph or other letter.
    if ((codePoint === 0xfe0e || codePoint === 0xfe0f) && (isEmojiBase(before) || isKeycapBase(before))) {
      return 'emoji presentation selector';
    }
    if (before !== undefined && before >= 0x80 && LETTER.has(before) && !VARIATION_SELECTOR.has(before)) {
      return 'standardized variation sequence';
    }
    return null;
  }
  if (JOIN_CONTROL.has(codePoint)) {
    if (codePoint === ZERO_WIDTH_JOINER && isEmojiBase(before) && isEmojiBase(after)) return 'emoji ZWJ sequence';
    if (codePoint === ZERO_WIDTH_JOINER && before === 0xfe0f && isEmojiBase(after)) return 'emoji ZWJ sequence';
    if (before !== undefined && after !== undefined && before >= 0x80 && after >= 0x80) {
      const scriptBefore = scriptOf(before);
      if (JOINER_SCRIPTS.has(scriptBefore) && (LETTER.has(before) || MARK.has(before))) return 'joiner in a script that uses it';
    }
    return null;
  }
  if (kind === 'tag') {
    // Emoji tag sequence: a black flag followed by tag letters and CANCEL TAG (e.g. the flag of Scotland).
    let start = offset;
    while (start >= 2 && isTag(text.codePointAt(start - 2) ?? 0)) start -= 2;
    const base = codePointBefore(text, start);
    if (base === 0x1f3f4) {
      let end = offset;
      while (isTag(text.codePointAt(end) ?? 0) && text.codePointAt(end) !== CANCEL_TAG) end += 2;
      if (text.codePointAt(end) === CANCEL_TAG && end - start <= 14) return 'emoji flag tag sequence';
    }
    return null;
  }
  if (codePoint === 0x3000 && before !== undefined && before >= 0x2e80) return 'ideographic space in CJK text';
  return null;
}

const SUSPICION: Record<HiddenCharKind, string> = {
  tag: 'invisible tag character: can spell out hidden ASCII',
  'bidi-control': 'bidirectional control: changes what a person sees',
  invisible: 'zero-width / format character: invisible to a person',
  'variation-selector': 'variation selector outside an emoji or ideographic sequence: can carry hidden bits',
  'unusual-space': 'space character other than U+0020',
  confusable: 'looks like ASCII',
  control: 'control character',
  'private-use': 'private-use character: no standard meaning',
  noncharacter: 'noncharacter',
  unassigned: 'unassigned code point',
};

/** Splits text into word-ish runs of letters and marks (any script) for mixed-script checks. */
function* words(text: string): Generator<{ offset: number; word: string }> {
  const re = /[\p{L}\p{M}\p{Nd}]+/gu;
  for (let m = re.exec(text); m; m = re.exec(text)) yield { offset: m.index, word: m[0] };
}

/** Scripts of a word that mixes ASCII letters with letters of another script (Latin look-alikes are Latin), or null. */
export function mixedScript(word: string): ScriptName[] | null {
  const scripts = new Set<ScriptName>();
  let hasAsciiLetter = false;
  for (const ch of word) {
    const cp = ch.codePointAt(0)!;
    if (cp < 0x80) {
      if (/[A-Za-z]/.test(ch)) hasAsciiLetter = true;
      continue;
    }
    const s = scriptOf(cp);
    if (s !== 'Common' && s !== 'Inherited') scripts.add(s);
  }
  if (!hasAsciiLetter) return null;
  scripts.add('Latin');
  return scripts.size > 1 ? [...scripts] : null;
}

export function inspectText(text: string, options: InspectOptions = {}): TextInspection {
  const maxChars = options.maxChars ?? 10_000;
  const chars: HiddenChar[] = [];
  const tagPayloads: TagPayload[] = [];
  const mixedScriptWords: MixedScriptWord[] = [];
  const counts: Partial<Record<HiddenCharKind, number>> = {};
  if (!hasNonAscii(text)) return { chars, tagPayloads, mixedScriptWords, counts, clean: true };

  const mixedOffsets = new Set<number>();
  for (const { offset, word } of words(text)) {
    const scripts = mixedScript(word);
    if (!scripts) continue;
    let skel = '';
    for (const ch of word) skel += isAsciiLookalike(ch.codePointAt(0)!) ? prototypeOf(ch) : ch;
    mixedScriptWords.push({ offset, word, scripts, skeleton: skel });
    for (let i = 0; i < word.length; i++) mixedOffsets.add(offset + i);
  }

  let line = 1;
  let lineStart = 0;
  let tagRun: { offset: number; text: string; length: number } | null = null;
  const flushTags = () => {
    if (tagRun && tagRun.text.length > 0) tagPayloads.push(tagRun);
    tagRun = null;
  };
  for (let i = 0; i < text.length; ) {
    const cp = text.codePointAt(i)!;
    const len = cp > 0xffff ? 2 : 1;
    if (cp === 0x0a) {
      line++;
      lineStart = i + 1;
    }
    const kind = cp >= 0x80 || cp < 0x20 || cp === 0x7f ? classifyCodePoint(cp) : null;
    if (kind === 'tag') {
      tagRun ??= { offset: i, text: '', length: 0 };
      if (cp >= 0xe0020 && cp <= 0xe007e) tagRun.text += String.fromCharCode(cp - 0xe0000);
      tagRun.length = i + len - tagRun.offset;
    } else flushTags();
    if (kind && !(kind === 'confusable' && options.confusablesInMixedWordsOnly && !mixedOffsets.has(i))) {
      const legit = legitimacy(text, i, cp, kind);
      const entry: HiddenChar = {
        offset: i,
        length: len,
        line,
        column: i - lineStart + 1,
        codePoint: cp,
        cp: formatCodePoint(cp),
        name: characterName(cp),
        kind,
        legitimate: legit !== null,
        reason: legit ?? SUSPICION[kind],
      };
      if (kind === 'confusable') {
        entry.prototype = prototypeOf(String.fromCodePoint(cp));
        if (mixedOffsets.has(i)) entry.reason = `looks like "${entry.prototype}" inside a mixed-script word`;
        else entry.reason = `looks like "${entry.prototype}"`;
      }
      if (!entry.legitimate) counts[kind] = (counts[kind] ?? 0) + 1;
      chars.push(entry);
      if (chars.length >= maxChars) break;
    }
    i += len;
  }
  flushTags();
  const clean = Object.keys(counts).length === 0;
  return { chars, tagPayloads, mixedScriptWords, counts, clean };
}
