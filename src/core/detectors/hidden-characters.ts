/**
 * hidden-characters — look-alike and invisible characters in strings, and code
 * that chooses among them.
 *
 * What it finds: (1) code that picks one of several look-alikes of the same
 * character (UTS #39 confusables: `'` U+0027 vs `’` U+2019 vs `ʼ` U+02BC), or
 * inserts an invisible character, depending on a condition — a one-character
 * channel nobody sees on screen; (2) tag characters, bidi controls and other
 * invisible characters inside string literals; (3) mixed-script words.
 * Escaped (`\u2019`) and literal (`’`) forms are the same: the parser decodes them.
 *
 * Why it matters: a choice among look-alikes is how a covert tracker encodes a
 * bit into text a person reads as unchanged. A typographic apostrophe in UI text,
 * or a Unicode mapping table in a homoglyph sanitiser, is not: single typographic
 * characters are not reported and tables (many distinct look-alikes together) are
 * recognised and left alone.
 *
 * Example: `function q(a){return a ? "\u2019" : "'"}`
 */
import type { RuleMeta } from '../findings.js';
import { child, isFunctionNode, stringValue, unwrap, type AstNode } from '../js/ast.js';
import { classifyCodePoint, formatCodePoint, inspectText, characterName, prototypeOf, type HiddenCharKind } from '../unicode/index.js';
import { ancestorsOf, locate, makeFinding, type DetectorContext, type DetectorResult } from './context.js';

export const meta: RuleMeta = {
  id: 'TT004',
  name: 'hidden-characters',
  shortDescription: 'Look-alike or invisible characters chosen by a condition, or hidden in strings',
  help:
    'The code picks between characters that look the same to a person (UTS #39 confusables) or inserts invisible ' +
    'characters (zero-width, tag, bidi, variation selectors) depending on a condition, or string literals contain such ' +
    'characters. That can encode information in text nobody sees change. Check what decides the choice (TT007).',
  category: 'hidden-characters',
  maxLevel: 'warning',
};

export interface ChoiceSite {
  kind: 'lookalike-choice' | 'invisible-insertion';
  /** The function (or expression) that makes the choice. */
  node: AstNode;
  literals: AstNode[];
  chars: string[];
  prototype: string;
  /** Expressions that decide which literal is used. */
  conditions: AstNode[];
}

const MAX_CHOICE_LITERAL = 4;
/** More distinct look-alikes than this in one place is a mapping table, not a channel. */
const TABLE_THRESHOLD = 8;

function isSuspiciousChar(cp: number): boolean {
  return classifyCodePoint(cp) !== null;
}

function hasHidden(value: string): boolean {
  for (const ch of value) if (ch.codePointAt(0)! >= 0x80 && isSuspiciousChar(ch.codePointAt(0)!)) return true;
  return false;
}

function skeletonOf(value: string): string {
  let s = '';
  for (const ch of value) {
    const kind = classifyCodePoint(ch.codePointAt(0)!);
    if (kind === 'invisible' || kind === 'tag' || kind === 'variation-selector' || kind === 'bidi-control') continue;
    s += kind === 'unusual-space' ? ' ' : prototypeOf(ch);
  }
  return s;
}

/** Tests that decide whether `node` is reached/selected, from the node up to `stop`. */
function deciding(ctx: DetectorContext, node: AstNode, stop: AstNode | undefined): AstNode[] {
  const out: AstNode[] = [];
  let prev = node;
  for (const a of ancestorsOf(ctx, node)) {
    if (a.type === 'ConditionalExpression' && child(a, 'test') !== prev) out.push(child(a, 'test')!);
    else if (a.type === 'IfStatement' && child(a, 'test') !== prev) out.push(child(a, 'test')!);
    else if (a.type === 'LogicalExpression' && child(a, 'right') === prev) out.push(child(a, 'left')!);
    else if (a.type === 'SwitchStatement') out.push(child(a, 'discriminant')!);
    else if (a.type === 'MemberExpression' && a.computed && child(a, 'object') === prev) out.push(child(a, 'property')!);
    if (a === stop) break;
    prev = a;
  }
  return out.filter(Boolean);
}

function scopeOf(ctx: DetectorContext, node: AstNode): AstNode {
  for (const a of ancestorsOf(ctx, node)) if (isFunctionNode(a)) return a;
  return ctx.source.program;
}

export function detect(ctx: DetectorContext): DetectorResult<ChoiceSite> {
  const sites: ChoiceSite[] = [];
  const findings = [];

  // (1) Choices: short literals grouped by enclosing function; same skeleton, different characters.
  const groups = new Map<AstNode, Array<{ node: AstNode; value: string }>>();
  for (const s of ctx.collected.strings) {
    if (s.value.length === 0 || [...s.value].length > MAX_CHOICE_LITERAL) continue;
    const scope = scopeOf(ctx, s.node);
    if (scope === ctx.source.program) continue;
    const list = groups.get(scope) ?? [];
    list.push(s);
    groups.set(scope, list);
  }
  for (const [scope, literals] of groups) {
    const bySkeleton = new Map<string, Array<{ node: AstNode; value: string }>>();
    for (const l of literals) {
      const key = skeletonOf(l.value);
      const list = bySkeleton.get(key) ?? [];
      list.push(l);
      bySkeleton.set(key, list);
    }
    const hiddenVariants = literals.filter((l) => hasHidden(l.value));
    if (new Set(hiddenVariants.map((l) => l.value)).size > TABLE_THRESHOLD) continue;
    for (const [proto, list] of bySkeleton) {
      const distinct = [...new Set(list.map((l) => l.value))];
      if (distinct.length < 2 || !distinct.some(hasHidden)) continue;
      const conditions = list.flatMap((l) => deciding(ctx, l.node, scope));
      if (conditions.length === 0) continue;
      const invisibleOnly = proto === '' || distinct.every((d) => skeletonOf(d) === proto && [...d].every((c) => c.codePointAt(0)! < 0x80 || classifyCodePoint(c.codePointAt(0)!) !== 'confusable'));
      sites.push({
        kind: invisibleOnly ? 'invisible-insertion' : 'lookalike-choice',
        node: scope,
        literals: list.map((l) => l.node),
        chars: distinct,
        prototype: proto,
        conditions,
      });
    }
    // Invisible insertion against an empty/plain alternative: `c ? "\u200b" : ""`.
    for (const l of hiddenVariants) {
      if (skeletonOf(l.value) !== '' || sites.some((s) => s.literals.includes(l.node))) continue;
      const conditions = deciding(ctx, l.node, scope);
      if (conditions.length === 0) continue;
      sites.push({ kind: 'invisible-insertion', node: scope, literals: [l.node], chars: [l.value], prototype: '', conditions });
    }
  }
  for (const site of sites) {
    const cps = [...new Set(site.chars.flatMap((c) => [...c].map((ch) => formatCodePoint(ch.codePointAt(0)!))))];
    const first = site.literals.reduce((a, b) => (a.start < b.start ? a : b));
    const last = site.literals.reduce((a, b) => (a.end > b.end ? a : b));
    const what =
      site.kind === 'lookalike-choice'
        ? `Chooses among ${site.chars.length} look-alikes of ${JSON.stringify(site.prototype)} (${cps.map((c) => `${c} ${characterName(parseInt(c.slice(2), 16))}`).join(', ')}) depending on a condition`
        : `Inserts invisible characters (${cps.join(', ')}) depending on a condition`;
    findings.push(
      makeFinding(meta, 'warning', what, locate(ctx, first.start, last.end), { key: `${site.kind}:${JSON.stringify(site.prototype)}:${[...cps].sort().join(',')}`, choice: site.kind, codePoints: [...cps].sort() }, { codePoints: cps }),
    );
  }

  // (2) Hidden characters inside literals, aggregated per kind and code point (one finding each).
  const inChoice = new Set(sites.flatMap((s) => s.literals));
  const aggregate = new Map<string, { node: AstNode; kind: HiddenCharKind; cp: number; count: number; tag?: string }>();
  for (const s of ctx.collected.strings) {
    if (inChoice.has(s.node) || !/[^\x00-\x7f]/.test(s.value)) continue;
    const report = inspectText(s.value, { confusablesInMixedWordsOnly: true, maxChars: 64 });
    if (report.clean) continue;
    const distinctSuspicious = new Set(report.chars.filter((c) => !c.legitimate).map((c) => c.codePoint));
    if (distinctSuspicious.size > TABLE_THRESHOLD) continue; // a Unicode table or test corpus
    for (const c of report.chars) {
      if (c.legitimate || c.kind === 'unusual-space' || c.kind === 'private-use' || c.kind === 'unassigned') continue;
      const key = `${c.kind}:${c.cp}`;
      const seen = aggregate.get(key);
      if (seen) seen.count++;
      else aggregate.set(key, { node: s.node, kind: c.kind, cp: c.codePoint, count: 1, ...(report.tagPayloads[0] ? { tag: report.tagPayloads[0].text } : {}) });
    }
  }
  for (const [key, a] of aggregate) {
    const serious = a.kind === 'tag' || a.kind === 'bidi-control';
    const cp = formatCodePoint(a.cp);
    findings.push(
      makeFinding(
        meta,
        serious ? 'warning' : 'note',
        `String contains ${a.kind} character ${cp} ${characterName(a.cp)}${a.count > 1 ? ` (${a.count} strings)` : ''}${a.tag ? `; tag characters spell ${JSON.stringify(a.tag)}` : ''}`,
        locate(ctx, a.node.start, a.node.end),
        { key, kind: a.kind, codePoints: [cp] },
        { codePoints: [cp], ...(a.tag ? { decoded: a.tag, encoding: 'unicode-tags' } : {}) },
      ),
    );
  }
  return { findings, sites };
}

/** The literal values a choice site chooses between (for reports and tests). */
export function choiceLiterals(site: ChoiceSite): string[] {
  return site.literals.map((l) => stringValue(unwrap(l)) ?? '');
}
