/**
 * looksEncoded: the cheap gate in front of recovery, called on every string literal of a
 * bundle. One pass over at most SAMPLE characters per end, no allocation, no regex. It must
 * say no to ordinary text, identifiers, URLs, paths, CSS and regex sources, and yes to the
 * shapes recovery can decode. A yes costs a recovery attempt; a wrong no loses a payload, so
 * borderline shapes pass.
 */
import { isTld } from './structure.js';

/** Characters examined at each end of a long literal. */
const SAMPLE = 256;
/** Shortest literal worth decoding: 8 base64 characters carry 6 bytes ("qq.com"). */
const MIN_LENGTH = 8;

// Character classes as bit flags, so one OR per character records everything seen.
const Cls = {
  Upper: 1,
  Lower: 2,
  Digit: 4,
  PlusSlash: 8,
  DashUnderscore: 16,
  Pad: 32,
  HexLetter: 64,
  Other: 128,
  Control: 256,
  High: 512,
  Space: 1024,
  Comma: 2048,
  Dot: 4096,
} as const;

const ASCII_CLASS = (() => {
  const t = new Uint16Array(128);
  for (let c = 0; c < 128; c++) {
    let v: number = Cls.Other;
    if (c >= 65 && c <= 90) v = Cls.Upper | (c <= 70 ? Cls.HexLetter : 0);
    else if (c >= 97 && c <= 122) v = Cls.Lower | (c <= 102 ? Cls.HexLetter : 0);
    else if (c >= 48 && c <= 57) v = Cls.Digit;
    else if (c === 43 || c === 47) v = Cls.PlusSlash;
    else if (c === 45 || c === 95) v = Cls.DashUnderscore;
    else if (c === 61) v = Cls.Pad;
    else if (c === 32) v = Cls.Space;
    else if (c === 44) v = Cls.Comma;
    else if (c === 46) v = Cls.Dot;
    else if (c === 9 || c === 10 || c === 13) v = Cls.Space;
    else if (c < 32 || c === 127) v = Cls.Control;
    t[c] = v;
  }
  return t;
})();

interface Tally {
  seen: number;
  controls: number;
  high: number;
  latin1High: number;
  /** Lower-case letter directly followed by an upper-case one, or a digit between letters. */
  flips: number;
  /** Characters inside `\x41`, `\u0041`, `%41` escape sequences. */
  escaped: number;
}

function tally(s: string, from: number, to: number, t: Tally): number {
  let seen = 0;
  let prev = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    let v: number;
    if (c < 128) {
      v = ASCII_CLASS[c]!;
      if (v === Cls.Control && c === 27 && s.charCodeAt(i + 1) === 91) v = Cls.Other; // ANSI colour codes
      if (c === 92 || c === 37) {
        const n = s.charCodeAt(i + 1);
        if (c === 92 && n === 120) t.escaped += 4;
        else if (c === 92 && n === 117) t.escaped += 6;
        else if (c === 37 && ((n >= 48 && n <= 57) || ((n | 32) >= 97 && (n | 32) <= 102))) t.escaped += 3;
      }
    } else if (c < 0x100) {
      v = Cls.High;
      t.latin1High++;
      if (c < 0xa0) t.controls++;
    } else v = Cls.High;
    if (v === Cls.Control) t.controls++;
    if (v === Cls.High) t.high++;
    if ((prev & Cls.Lower && v & Cls.Upper) || (prev & Cls.Digit && v & (Cls.Upper | Cls.Lower) && i >= 2 && ASCII_CLASS[s.charCodeAt(i - 2) & 127]! & (Cls.Upper | Cls.Lower))) t.flips++;
    seen |= v;
    prev = v;
  }
  t.seen |= seen;
  return seen;
}

/** True when `literal` has the shape of an encoded string worth a recovery attempt. */
export function looksEncoded(literal: string): boolean {
  const n = literal.length;
  if (n < MIN_LENGTH) return false;
  const t: Tally = { seen: 0, controls: 0, high: 0, latin1High: 0, flips: 0, escaped: 0 };
  let examined: number;
  if (n <= 2 * SAMPLE) {
    tally(literal, 0, n, t);
    examined = n;
  } else {
    tally(literal, 0, SAMPLE, t);
    tally(literal, n - SAMPLE, n, t);
    examined = 2 * SAMPLE;
  }
  const seen = t.seen;

  // XOR output kept as raw characters: control characters (not tab/newline/ANSI), or mostly
  // Latin-1 high characters with nothing above U+00FF (accented UI text is mostly ASCII).
  if (t.controls >= 2 && t.controls >= examined * 0.05) return true;
  if (t.latin1High === t.high && t.high >= examined * 0.5) return true;
  if (t.high > 0 || t.controls > 0) return false;

  // Escape sequences written out as text (`\x41\x42…`, `%41%42…`) making up the string.
  if (t.escaped >= examined * 0.8) return true;

  const LETTERS = Cls.Upper | Cls.Lower | Cls.HexLetter;
  const B64 = LETTERS | Cls.Digit | Cls.PlusSlash | Cls.DashUnderscore | Cls.Pad;
  if ((seen & ~B64) === 0) {
    // Hex: digits and a-f letters (both: a run of digits is a number), in one case.
    if ((seen & ~(LETTERS | Cls.Digit)) === 0 && seen & Cls.Digit && seen & Cls.HexLetter && n % 2 === 0 && isHexRun(literal)) return true;
    if (seen & Cls.PlusSlash && seen & Cls.DashUnderscore) return false;
    if (n % 4 === 1) return false;
    // Padding at the end, or at the start of a reversed string.
    if (seen & Cls.Pad && !paddingOnlyAtOneEnd(literal)) return false;
    // Base64 of anything has both cases and, at this length, digits or `+/` and frequent case
    // changes; identifiers are words with a capital every few letters.
    if ((seen & (Cls.Upper | Cls.Lower)) !== (Cls.Upper | Cls.Lower)) return false;
    if (seen & Cls.Pad) return true;
    return (seen & (Cls.Digit | Cls.PlusSlash)) !== 0 && t.flips >= examined / 10;
  }

  // Character codes written out: digits separated by commas or spaces.
  if ((seen & ~(Cls.Digit | Cls.Comma | Cls.Space)) === 0 && seen & Cls.Comma) return true;

  // A reversed host name or list of them: `moc.elpmaxe`.
  if ((seen & ~(Cls.Lower | Cls.HexLetter | Cls.Digit | Cls.Dot | Cls.Comma | Cls.DashUnderscore | Cls.Space)) === 0 && seen & Cls.Dot) {
    return reversedHostShape(literal);
  }
  return false;
}

function paddingOnlyAtOneEnd(s: string): boolean {
  const n = s.length;
  if (n % 4 !== 0) return false;
  let lead = 0;
  while (lead < n && s.charCodeAt(lead) === 61) lead++;
  let trail = 0;
  while (trail < n - lead && s.charCodeAt(n - 1 - trail) === 61) trail++;
  if ((lead > 0 && trail > 0) || lead > 2 || trail > 2) return false;
  return s.indexOf('=', lead) === (trail > 0 ? n - trail : -1);
}

function isHexRun(s: string): boolean {
  let lower = false;
  let upper = false;
  for (let i = 0; i < s.length; i++) {
    const v = ASCII_CLASS[s.charCodeAt(i)]!;
    if (v & Cls.Digit) continue;
    if (!(v & Cls.HexLetter)) return false;
    if (v & Cls.Lower) lower = true;
    else upper = true;
  }
  return !(lower && upper);
}

/** The first label, read backwards, is a TLD, and the last label is not: a host name written backwards. */
function reversedHostShape(s: string): boolean {
  const firstDot = s.indexOf('.');
  if (firstDot < 2 || firstDot > 6) return false;
  const head = s.slice(0, firstDot).split('').reverse().join('');
  if (!isTld(head)) return false;
  let end = s.length;
  const sep = Math.max(s.indexOf(','), -1);
  if (sep > 0) end = sep;
  const tail = s.slice(s.lastIndexOf('.', end - 1) + 1, end);
  return !isTld(tail);
}
