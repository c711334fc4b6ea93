/**
 * Hidden characters in one request field, and how to neutralize them precisely.
 * Detection is the shared Unicode core (`inspectText`); this file decides which of its
 * results matter for a field written by a given author and which characters to rewrite.
 *
 * - Agent-written fields: every non-legitimate hidden character counts, including any
 *   ASCII look-alike (the agent's own prompt has no reason to carry U+2019 in
 *   "Today's date"). Neutralize maps look-alikes to their prototype, unusual spaces to
 *   U+0020, and strips invisible, tag, bidi, control and stray variation-selector
 *   characters.
 * - Everything else (user text, tool results, model output): tag, bidi, invisible and
 *   variation-selector characters count, and look-alikes only inside mixed-script
 *   words, so Greek or Cyrillic prose is left alone. Neutralize
 *   rewrites only those mixed-script words and strips tag characters (ASCII smuggling);
 *   other characters are reported, never rewritten.
 * Legitimate sequences (emoji ZWJ, flag tags, a leading BOM, script joiners) are kept.
 * Pure.
 */
import { inspectText, type HiddenChar, type TextInspection } from '../unicode/inspect-text.js';
import type { Part } from './fields.js';

export interface HiddenFieldReport {
  inspection: TextInspection;
  /** Non-legitimate characters that count for this field's author. */
  suspicious: HiddenChar[];
}

/**
 * Outside agent-written text only characters that hide or disguise content count:
 * terminal output legitimately carries escape codes, NBSPs and private-use icons.
 */
const OTHERS_COUNT = new Set<HiddenChar['kind']>(['tag', 'bidi-control', 'invisible', 'variation-selector', 'confusable']);

const ASCII_ONLY = /^[\x09\x0a\x0d\x20-\x7e]*$/;

export function inspectField(value: string, part: Part): HiddenFieldReport | null {
  if (ASCII_ONLY.test(value)) return null;
  const inspection = inspectText(value, { confusablesInMixedWordsOnly: part !== 'agent', maxChars: 2_000 });
  const suspicious = inspection.chars.filter((c) => !c.legitimate && (part === 'agent' || OTHERS_COUNT.has(c.kind)));
  if (suspicious.length === 0 && inspection.mixedScriptWords.length === 0) return null;
  return { inspection, suspicious };
}

function replacementFor(c: HiddenChar): string {
  switch (c.kind) {
    case 'confusable':
      return c.prototype ?? '';
    case 'unusual-space':
      return ' ';
    case 'private-use':
    case 'unassigned':
    case 'noncharacter':
      return '\uFFFD';
    default:
      return '';
  }
}

/** The field's text with hidden characters neutralized per its author (see file header). */
export function neutralizeField(value: string, part: Part, report: HiddenFieldReport): string {
  const edits: { start: number; end: number; text: string }[] = [];
  if (part === 'agent') {
    for (const c of report.suspicious) edits.push({ start: c.offset, end: c.offset + c.length, text: replacementFor(c) });
  } else {
    const mixed = report.inspection.mixedScriptWords;
    for (const c of report.suspicious) {
      const inMixed = mixed.some((w) => c.offset >= w.offset && c.offset < w.offset + w.word.length);
      if (c.kind === 'tag' || (c.kind === 'confusable' && inMixed)) edits.push({ start: c.offset, end: c.offset + c.length, text: replacementFor(c) });
    }
  }
  if (edits.length === 0) return value;
  edits.sort((a, b) => a.start - b.start);
  let out = '';
  let pos = 0;
  for (const e of edits) {
    if (e.start < pos) continue;
    out += value.slice(pos, e.start) + e.text;
    pos = e.end;
  }
  return out + value.slice(pos);
}
