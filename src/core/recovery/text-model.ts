/**
 * Character-class statistics of English prose and code, used to tell real text from decoding
 * noise. The costs come from bigram-table.ts (learned, not hand-set); this file only reads them.
 */
import { BIGRAM_COSTS, MODEL_CLASSES, UNIGRAM_COSTS, WITHIN_CLASS_COSTS } from './bigram-table.js';

/** Class of a UTF-16 code unit in the model, or -1 outside printable ASCII (the table generator imports it too). */
export function classOf(c: number): number {
  if (c >= 97 && c <= 122) return c - 97;
  if (c >= 65 && c <= 90) return c - 65;
  if (c >= 48 && c <= 57) return 26;
  if (c === 32 || c === 9 || c === 10 || c === 13) return 27;
  if (c === 46) return 28;
  if (c === 45 || c === 95) return 29;
  if (c === 47 || c === 58) return 30;
  if (c > 32 && c < 127) return 31;
  return -1;
}

function decodeCosts(s: string): Float64Array {
  const out = new Float64Array(s.length);
  // Quarter bits to bits.
  for (let i = 0; i < s.length; i++) out[i] = (s.charCodeAt(i) - 0x30) / 4;
  return out;
}

const BIGRAM = decodeCosts(BIGRAM_COSTS);
const UNIGRAM = decodeCosts(UNIGRAM_COSTS);
/**
 * Which character of its class: classes pool characters (27 punctuation marks share one), so a
 * class probability alone would make symbol soup look as likely as letters.
 */
const WITHIN = decodeCosts(WITHIN_CLASS_COSTS);

/** Per code unit 0..255: model class, so hot loops index an array instead of branching. */
export const BYTE_CLASS: Int8Array = (() => {
  const t = new Int8Array(256);
  for (let b = 0; b < 256; b++) t[b] = classOf(b);
  return t;
})();

/** Cost in bits of each byte value on its own (unigram); non-printable bytes cost the maximum. */
export const BYTE_UNIGRAM_COST: Float64Array = (() => {
  const t = new Float64Array(256);
  for (let b = 0; b < 256; b++) {
    const k = BYTE_CLASS[b]!;
    t[b] = k < 0 ? 16 : UNIGRAM[k]! + WITHIN[b]!;
  }
  return t;
})();

export interface BigramStats {
  /** Mean cost in bits of each character given the previous one (lower = more like English/code). */
  meanCost: number;
  /** Number of transitions measured. */
  transitions: number;
  /** Letters whose case differs from the previous letter's, per letter pair (camelCase is low, random base64 high). */
  caseFlipRate: number;
  /** Digits directly between two letters, per character (random base64 has many). */
  embeddedDigitRate: number;
}

/** Bigram statistics over the printable-ASCII runs of a text. */
export function bigramStats(text: string): BigramStats {
  let cost = 0;
  let transitions = 0;
  let prev = -1;
  let prevCode = 0;
  let letterPairs = 0;
  let caseFlips = 0;
  let embeddedDigits = 0;
  let prevPrevLetter = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const k = c < 128 ? BYTE_CLASS[c]! : -1;
    if (k >= 0 && prev >= 0) {
      cost += BIGRAM[prev * MODEL_CLASSES + k]! + WITHIN[c]!;
      transitions++;
      if (k < 26 && prev < 26) {
        letterPairs++;
        // Upper after lower, or lower after two uppers: a case change inside a word.
        if ((c < 97) !== (prevCode < 97)) caseFlips++;
      }
      if (k < 26 && prev === 26 && prevPrevLetter) embeddedDigits++;
    }
    prevPrevLetter = prev >= 0 && prev < 26;
    prev = k;
    prevCode = c;
  }
  return {
    meanCost: transitions > 0 ? cost / transitions : 8,
    transitions,
    caseFlipRate: letterPairs > 0 ? caseFlips / letterPairs : 0,
    embeddedDigitRate: text.length > 0 ? embeddedDigits / text.length : 0,
  };
}
