/**
 * How much a string looks like real text, 0..1, and what kind of text. Decoding noise (a wrong
 * XOR key, random bytes, base64 of binary data) must score low; structured payloads (domain and
 * time-zone lists, URLs, word lists) and prose or code score high. See docs/recovery.md.
 */
import type { PayloadKind } from './types.js';
import { bigramStats } from './text-model.js';
import { isGenericTld, isHostName, isTimeZone, isUrl, isWordItem, splitList } from './structure.js';
import { CONTROL, NONCHARACTER, PRIVATE_USE, UNASSIGNED } from '../unicode/properties.js';
import { scriptOf } from '../unicode/scripts.js';

/** A candidate at or above this score is reported as recovered text. */
export const REPORT_THRESHOLD = 0.5;

export interface TextScore {
  score: number;
  kind: PayloadKind;
  items?: string[];
}

/** Below this share of printable characters a decoding is binary, not text. */
const MIN_PRINTABLE = 0.85;
/** Characters the bigram model reads: enough to judge, bounded for multi-megabyte payloads. */
const LANGUAGE_SAMPLE = 2048;
/** List items validated one by one; longer lists are judged on their first items. */
const ITEM_SAMPLE = 256;
/** A run this long without a space or separator is a blob (base64, hex, a hash), not prose. */
const MAX_TOKEN = 100;

/** Mean bigram cost (bits) of English prose and of decoding noise, measured on the model's own table. */
const COST_TEXT = 4.5;
const COST_NOISE = 7.5;

const NOTHING: TextScore = { score: 0, kind: 'text' };

export function scoreText(text: string): TextScore {
  return scoreDecoded(text, false);
}

interface CharStats {
  printable: number;
  nonAscii: number;
  letters: number;
  digits: number;
  spaces: number;
  symbols: number;
  upper: number;
  /** List separators: `,` `;` `|` and newlines. */
  separators: number;
  /** Non-ASCII characters of a specific script (not Common or Inherited). */
  scriptLetters: number;
  /** Share of those that belong to the most common script among them. */
  scriptDominance: number;
  topScript: string;
}

function charStats(text: string, latin1: boolean): CharStats {
  let printable = 0;
  let nonAscii = 0;
  let letters = 0;
  let digits = 0;
  let spaces = 0;
  let symbols = 0;
  let upper = 0;
  let separators = 0;
  let scripts: Map<string, number> | null = null;
  let scriptTotal = 0;
  // Most candidates are binary noise: stop as soon as too much of it is unprintable to be text.
  const maxUnprintable = Math.floor(text.length * (1 - MIN_PRINTABLE));
  for (let i = 0; i < text.length; i++) {
    if (i - printable > maxUnprintable) {
      return {
        printable: printable / (i + 1),
        nonAscii,
        letters,
        digits,
        spaces,
        symbols,
        upper,
        separators,
        scriptLetters: 0,
        scriptDominance: 0,
        topScript: '',
      };
    }
    const c = text.charCodeAt(i);
    if (c < 128) {
      if (c >= 97 && c <= 122) letters++;
      else if (c >= 65 && c <= 90) {
        letters++;
        upper++;
      } else if (c >= 48 && c <= 57) digits++;
      else if (c === 32 || c === 9 || c === 10 || c === 13) {
        spaces++;
        if (c === 10) separators++;
      } else if (c > 32 && c < 127) {
        symbols++;
        if (c === 44 || c === 59 || c === 124) separators++;
      } else continue;
      printable++;
      continue;
    }
    nonAscii++;
    // One byte per character from invalid UTF-8: anything above ASCII is binary.
    if (latin1 || c < 0xa0) continue;
    let cp = c;
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
        printable++;
        nonAscii++;
      }
    }
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    if (CONTROL.has(cp) || PRIVATE_USE.has(cp) || UNASSIGNED.has(cp) || NONCHARACTER.has(cp)) continue;
    printable++;
    const script = scriptOf(cp);
    if (script !== 'Common' && script !== 'Inherited') {
      scripts ??= new Map();
      scripts.set(script, (scripts.get(script) ?? 0) + 1);
      scriptTotal++;
    }
  }
  let top = 0;
  let topScript = '';
  if (scripts) {
    for (const [k, v] of scripts) {
      if (v > top) {
        top = v;
        topScript = k;
      }
    }
  }
  return {
    printable: text.length > 0 ? printable / text.length : 0,
    nonAscii,
    letters,
    digits,
    spaces,
    symbols,
    upper,
    separators,
    scriptLetters: scriptTotal,
    scriptDominance: scriptTotal > 0 ? top / scriptTotal : 1,
    topScript,
  };
}

const clamp01 = (x: number) => (x < 0 ? 0 : x > 1 ? 1 : x);

/** Confidence from length alone: a four-character result is weak evidence, twenty characters is not. */
function lengthConfidence(n: number): number {
  return clamp01(0.55 + n / 20);
}

const JS_KEYWORDS = /\b(?:function|return|var|let|const|if|else|for|while|new|this|typeof|null|true|false|undefined|await|async)\b|=>/g;

function letterCases(text: string): { lower: boolean; upper: boolean } {
  let lower = false;
  let upper = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 97 && c <= 122) lower = true;
    else if (c >= 65 && c <= 90) upper = true;
  }
  return { lower, upper };
}

/** Language-likeness of text, 0..1, from the bigram model and case/digit patterns. */
export function language(text: string): number {
  const { lower, upper } = letterCases(text);
  // ALL CAPS (constants, acronyms) is judged as lower case, with a slight preference for lower
  // case that breaks the tie between an XOR key and the same key ^ 0x20.
  const upperOnly = upper && !lower;
  const sample = text.length > LANGUAGE_SAMPLE ? text.slice(0, LANGUAGE_SAMPLE) : text;
  const stats = bigramStats(upperOnly ? sample.toLowerCase() : sample);
  let lang = clamp01((COST_NOISE - stats.meanCost) / (COST_NOISE - COST_TEXT));
  // Random base64-like text flips case inside words and puts digits between letters.
  lang *= clamp01(1 - 2 * Math.max(0, stats.caseFlipRate - 0.45)) * clamp01(1 - 8 * stats.embeddedDigitRate);
  // Lower case and mixed case read as text more often than ALL CAPS (breaks XOR 0x20 ties).
  if (upperOnly) lang *= 0.9;
  return lang;
}

/** Mean language-likeness of list items, weighted by length (separators between items are not language). */
function itemsLanguage(items: string[]): number {
  let sum = 0;
  let weight = 0;
  for (const it of items.length > ITEM_SAMPLE ? items.slice(0, ITEM_SAMPLE) : items) {
    sum += language(it) * it.length;
    weight += it.length;
  }
  return weight > 0 ? sum / weight : 0;
}

/** The first MAX_TOKEN characters are printable ASCII with no space or list separator, and not a URL. */
function startsWithBlob(text: string): boolean {
  for (let i = 0; i <= MAX_TOKEN; i++) {
    const c = text.charCodeAt(i);
    if (c <= 32 || c >= 127 || c === 44 || c === 59 || c === 124) return false;
  }
  return !/^(?:https?|wss?):\/\//i.test(text);
}

/**
 * Scores decoded text. `latin1` says the text came from bytes that are not valid UTF-8, read
 * one byte per character, so characters 0x80–0xFF count as binary.
 */
export function scoreDecoded(text: string, latin1: boolean): TextScore {
  const n = text.length;
  if (n < 4) return NOTHING;
  // A long first token (a base64 or hex blob, a hash) is not readable text; a URL may be long.
  if (n > MAX_TOKEN && startsWithBlob(text)) return NOTHING;
  const cs = charStats(text, latin1);
  const p = cs.printable;
  // Binary: random bytes are about 37% printable ASCII; text is all printable.
  if (p < MIN_PRINTABLE) return { score: 0.3 * p * p, kind: 'text' };
  const printablePenalty = p ** 4;
  const lenConf = lengthConfidence(n);

  // Mostly non-ASCII: readable if it is mostly letters of one script (random code units
  // scatter over many; regex ranges of combining marks have no letters at all). Not Latin:
  // Latin-script languages are mostly ASCII, so mostly-accented "Latin" is bytes read as Latin-1.
  if (cs.nonAscii > n / 2) {
    const readable = cs.scriptLetters >= cs.nonAscii / 2 && cs.scriptDominance >= 0.85 && cs.topScript !== 'Latin';
    return { score: readable ? 0.6 * printablePenalty * lenConf : 0.1, kind: 'text' };
  }

  // Language-likeness from the bigram model: 1 for English/code, 0 for noise.
  const lang = language(text);

  let best: TextScore = NOTHING;
  const consider = (score: number, kind: PayloadKind, items?: string[]) => {
    const s = clamp01(score) * printablePenalty * lenConf;
    if (s > best.score) best = items ? { score: s, kind, items } : { score: s, kind };
  };

  const split = splitList(text);
  if (split) {
    const { items } = split;
    const checked = items.length > ITEM_SAMPLE ? items.slice(0, ITEM_SAMPLE) : items;
    const m = checked.length;
    const total = items.length;
    let hosts = 0;
    let tz = 0;
    let urls = 0;
    let words = 0;
    for (const it of checked) {
      if (isTimeZone(it)) tz++;
      else if (isUrl(it)) urls++;
      else if (isHostName(it)) hosts++;
      if (isWordItem(it)) words++;
    }
    const listBonus = 0.1 * clamp01((total - 1) / 3);
    // Most items must validate; a stray item (a placeholder, a typo) may remain.
    const enough = (k: number) => k === m || (m >= 4 && k >= 0.75 * m);
    // Every invalid item costs: noise that happens to contain some hosts must not pass as a list.
    const valid = (k: number) => (k / m) ** 2;
    if (tz > 0 && enough(tz)) consider((0.85 + listBonus) * valid(tz), 'timezone-list', items);
    if (urls > 0 && enough(urls)) consider((0.85 + listBonus) * valid(urls), 'url', items);
    if (hosts > 0 && enough(hosts + tz + urls)) {
      // Two random letters are a country code a third of the time, and labels of noise are not
      // words: a generic TLD and word-like labels make a host list believable.
      let generic = 0;
      const labels: string[] = [];
      for (const it of checked) {
        const dot = it.lastIndexOf('.');
        if (dot < 0) continue;
        if (isGenericTld(it.slice(dot + 1).replace(/:\d+$/, ''))) generic++;
        for (const l of it.slice(0, dot).split('.')) if (l && l !== '*') labels.push(l);
      }
      const labelLang = labels.length > 0 ? itemsLanguage(labels) : 0.5;
      consider((0.55 + 0.15 * (generic / m) + 0.2 * labelLang + listBonus) * valid(hosts + tz + urls), 'domain-list', items);
    }
    // Hosts, zones and URLs are lists of words too: a structured reading wins.
    if (m >= 2 && split.separator !== ' ' && enough(words) && best.score === 0) {
      // Items must read like words: one-character items or digit strings are not a keyword list.
      const avg = (n - (total - 1)) / total;
      // Item language of real word lists is ~0.55–1; of decoding noise that splits into items
      // (wrong keys, substitution-like garbage) ~0.1–0.5: the mapping is steep in between.
      const itemLang = clamp01((itemsLanguage(checked) - 0.35) / 0.4);
      if (avg >= 2.5) consider((0.25 + 0.55 * itemLang + listBonus) * valid(words), 'keyword-list', items);
    }
  }
  if (best.score > 0 && best.kind !== 'keyword-list') return best;

  const symbolRatio = cs.symbols / n;
  const codeTokens = cs.symbols >= 2 && lang >= 0.3 ? (text.slice(0, LANGUAGE_SAMPLE).match(JS_KEYWORDS)?.length ?? 0) : 0;
  if (codeTokens >= 2 || (codeTokens >= 1 && /[(){};=]/.test(text))) consider(0.35 + 0.6 * lang, 'code');
  // Prose and single identifiers: penalise symbol soup (random printable bytes are a third punctuation).
  const wordy = clamp01(1 - 3 * Math.max(0, symbolRatio - 0.08)) * clamp01(1 - 2 * Math.max(0, cs.digits / n - 0.3));
  const prose = cs.spaces > 0 ? 0.95 : 0.8;
  consider(prose * lang * wordy, 'text');
  if (/^(?:https?|wss?):\/\//i.test(text) && isUrl(text.trim())) consider(0.9, 'url', [text.trim()]);
  return best;
}
