/**
 * What kind of change turns one piece of text into another: honest variation,
 * an invisible character, a look-alike swap (UTS #39 skeletons), a whitespace
 * change, the same date in another format, or a plain text change. Pure.
 */
import { characterName, classifyCodePoint, formatCodePoint, skeleton } from '../unicode/index.js';
import { compareDates, datesAsFormats, normalizeIds } from './honest.js';
import type { CharChange, DifferenceKind } from './types.js';

export type SegmentVerdict =
  | { kind: 'equal' }
  | { kind: 'honest'; reason: string }
  | { kind: DifferenceKind; chars: CharChange[] };

/** Invisible in the sense of a hidden channel: nothing on screen. */
export function isInvisibleCodePoint(cp: number): boolean {
  const kind = classifyCodePoint(cp);
  return kind === 'invisible' || kind === 'tag' || kind === 'bidi-control' || kind === 'variation-selector' || kind === 'control';
}

function stripInvisible(text: string): string {
  let out = '';
  for (const ch of text) if (!isInvisibleCodePoint(ch.codePointAt(0)!)) out += ch;
  return out;
}

function isSpaceLike(cp: number): boolean {
  return cp === 0x20 || cp === 0x09 || cp === 0x0a || cp === 0x0d || classifyCodePoint(cp) === 'unusual-space';
}

function stripSpaces(text: string): string {
  let out = '';
  for (const ch of text) if (!isSpaceLike(ch.codePointAt(0)!)) out += ch;
  return out;
}

function describe(cp: number): { cp: string; name: string } {
  return { cp: formatCodePoint(cp), name: characterName(cp) };
}

/**
 * The characters that differ, from a character-level LCS of the two (short)
 * segments. A removal followed by an addition at the same place is a swap.
 */
export function charChanges(a: string, b: string): CharChange[] {
  const x = Array.from(a);
  const y = Array.from(b);
  if (x.length * y.length > 250_000) {
    // Too long to align character by character: list what is new on each side.
    const inA = new Set(x);
    const inB = new Set(y);
    const out: CharChange[] = [];
    for (const ch of inA) if (!inB.has(ch)) out.push({ change: 'removed', ...describe(ch.codePointAt(0)!) });
    for (const ch of inB) if (!inA.has(ch)) out.push({ change: 'added', ...describe(ch.codePointAt(0)!) });
    return out;
  }
  const n = x.length;
  const m = y.length;
  const lcs: Uint16Array[] = Array.from({ length: n + 1 }, () => new Uint16Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i]![j] = x[i] === y[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const out: CharChange[] = [];
  let i = 0;
  let j = 0;
  const removed: string[] = [];
  const added: string[] = [];
  const flush = (): void => {
    const pairs = Math.min(removed.length, added.length);
    for (let k = 0; k < pairs; k++) {
      const from = describe(removed[k]!.codePointAt(0)!);
      out.push({ change: 'swapped', ...describe(added[k]!.codePointAt(0)!), from: from.cp, fromName: from.name });
    }
    for (const ch of removed.slice(pairs)) out.push({ change: 'removed', ...describe(ch.codePointAt(0)!) });
    for (const ch of added.slice(pairs)) out.push({ change: 'added', ...describe(ch.codePointAt(0)!) });
    removed.length = 0;
    added.length = 0;
  };
  while (i < n || j < m) {
    if (i < n && j < m && x[i] === y[j]) {
      flush();
      i++;
      j++;
    } else if (j < m && (i >= n || lcs[i]![j + 1]! >= lcs[i + 1]![j]!)) added.push(y[j++]!);
    else removed.push(x[i++]!);
  }
  flush();
  return out;
}

/** Keeps the changes a reader needs: everything non-ASCII, and ASCII only when it is all there is. */
function relevantChars(changes: CharChange[]): CharChange[] {
  const nonAscii = changes.filter((c) => parseInt(c.cp.slice(2), 16) > 0x7f || (c.from !== undefined && parseInt(c.from.slice(2), 16) > 0x7f));
  return nonAscii.length > 0 ? nonAscii : changes.slice(0, 12);
}

export interface CompareContext {
  /** The runs had different timezones: a date may legitimately be one day off. */
  timezoneChanged: boolean;
}

/**
 * Classifies the change from `baseline` to `variant` (two short segments).
 * The order of the checks matters: honest first, then the covert kinds.
 */
export function compareSegments(baseline: string, variant: string, ctx: CompareContext): SegmentVerdict {
  if (baseline === variant) return { kind: 'equal' };
  const a = normalizeIds(baseline);
  const b = normalizeIds(variant);
  if (a === b) return { kind: 'honest', reason: 'ids or timestamps' };
  const maxShift = ctx.timezoneChanged ? 1 : 0;
  const dates = compareDates(a, b, maxShift);
  if (dates && dates.sameDates && !dates.formatChanged) return { kind: 'honest', reason: 'date shifted by the timezone' };

  const chars = relevantChars(charChanges(baseline, variant));
  const addedInvisible = charChanges(a, b).some(
    (c) => (c.change === 'added' || c.change === 'swapped') && isInvisibleCodePoint(parseInt(c.cp.slice(2), 16)),
  );
  const removedInvisible = charChanges(a, b).some(
    (c) => (c.change === 'removed' || c.change === 'swapped') && isInvisibleCodePoint(parseInt((c.from ?? c.cp).slice(2), 16)),
  );
  const a1 = stripInvisible(a);
  const b1 = stripInvisible(b);
  if (addedInvisible || removedInvisible) {
    if (a1 === b1) return { kind: 'invisible-char', chars };
    if (addedInvisible) return { kind: 'invisible-char', chars };
  }
  const a2 = stripSpaces(a1);
  const b2 = stripSpaces(b1);
  const a3 = skeleton(a2);
  const b3 = skeleton(b2);
  if (a2 === b2) {
    // Only spacing differs: a look-alike space (U+00A0 for U+0020) is still whitespace.
    return { kind: 'whitespace-change', chars };
  }
  if (a3 === b3) return { kind: 'confusable-swap', chars };
  if (dates && dates.sameDates && dates.formatChanged) return { kind: 'format-change', chars };
  const d2 = compareDates(a3, b3, maxShift);
  if (d2 && d2.sameDates && d2.formatChanged) return { kind: 'format-change', chars };
  return { kind: 'text-change', chars };
}

/**
 * A stable value for a segment, used to decide whether two runs changed a place
 * in the same way: ids erased, dates written as their format (so the same date
 * format on another day counts as the same value).
 */
export function canonicalSegment(text: string): string {
  return datesAsFormats(normalizeIds(text));
}
