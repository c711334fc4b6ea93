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
import { child, childList, isFunctionNode, memberProperty, stringValue, unwrap, type AstNode } from '../js/ast.js';
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

export const MAX_CHOICE_LITERAL = 4;
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

/** Methods whose (first) argument is a pattern searched for, not text that is produced. */
const PATTERN_METHODS = new Set(['includes', 'startsWith', 'endsWith', 'indexOf', 'lastIndexOf', 'split', 'replace', 'replaceAll', 'has', 'search', 'match', 'test']);

/**
 * A literal used as a value (returned, assigned, concatenated, chosen) rather
 * than as something the code compares with or searches for: `c === "\u200c"`
 * and `s.startsWith("\ufeff")` handle such characters, they do not emit them.
 */
function inValuePosition(ctx: DetectorContext, node: AstNode): boolean {
  const parent = ancestorsOf(ctx, node)[0];
  if (!parent) return true;
  if (parent.type === 'BinaryExpression' && ['==', '===', '!=', '!=='].includes(parent.operator as string)) return false;
  if (parent.type === 'SwitchCase' && child(parent, 'test') === node) return false;
  if (parent.type === 'CallExpression' && child(parent, 'callee') !== node) {
    const method = memberProperty(unwrap(child(parent, "callee")) as AstNode);
    if (method && PATTERN_METHODS.has(method)) {
      const index = childList(parent, 'arguments').indexOf(node);
      if (index === 0 || !method.startsWith('replace')) return false;
    }
  }
  return true;
}

/** Node types under which two literals are alternatives (one or the other is used), not parts of one output. */
const ALTERNATIVE_PARENTS = new Set(['ConditionalExpression', 'IfStatement', 'SwitchStatement', 'SwitchCase', 'LogicalExpression', 'BlockStatement', 'FunctionBody', 'ObjectExpression', 'ArrayExpression']);

/** True when some pair of the given literals meets at a node that makes them alternatives. */
function areAlternatives(ctx: DetectorContext, nodes: AstNode[]): boolean {
  for (let i = 0; i < nodes.length; i++) {
    const above = new Set(ancestorsOf(ctx, nodes[i]!));
    for (let j = i + 1; j < nodes.length; j++) {
      const meet = ancestorsOf(ctx, nodes[j]!).find((a) => above.has(a));
      if (meet && ALTERNATIVE_PARENTS.has(meet.type)) return true;
    }
  }
  return false;
}

/** A string that is one value of a big object literal (an entity or transliteration table). */
function inLookupTable(ctx: DetectorContext, node: AstNode): boolean {
  const [parent, grand] = ancestorsOf(ctx, node);
  return parent?.type === 'Property' && grand?.type === 'ObjectExpression' && childList(grand, 'properties').length >= 16;
}

/**
 * `c === 32 ? " " : c === 133 ? "\x85" : c === 160 ? "\xa0" : …` is an escape
 * decoder (YAML, JSON5, terminal parsers): the character follows from the input
 * value, one branch per code. Six or more distinct literal comparisons deciding
 * the literals mark such a switch; a covert choice is decided by a few flags.
 */
function isDecodeSwitch(ctx: DetectorContext, conditions: AstNode[]): boolean {
  const compared = new Set<string>();
  for (const c of conditions) {
    const parent = ancestorsOf(ctx, c)[0];
    if (parent?.type === 'SwitchStatement' && child(parent, 'discriminant') === c) {
      const literalCases = childList(parent, 'cases').filter((k) => unwrap(child(k, 'test'))?.type === 'Literal');
      if (literalCases.length >= 6) return true;
    }
    const n = unwrap(c);
    if (!n || n.type !== 'BinaryExpression' || !['==', '==='].includes(n.operator as string)) continue;
    for (const side of [unwrap(child(n, 'left')), unwrap(child(n, 'right'))]) {
      if (side?.type === 'Literal' && (typeof side.value === 'number' || typeof side.value === 'string')) compared.add(String(side.value));
    }
  }
  return compared.size >= 6;
}

function distinctNonAscii(value: string): number {
  const seen = new Set<number>();
  for (const ch of value) {
    const cp = ch.codePointAt(0)!;
    if (cp >= 0x80) seen.add(cp);
  }
  return seen.size;
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
    if (s.value.length === 0 || [...s.value].length > MAX_CHOICE_LITERAL || !inValuePosition(ctx, s.node)) continue;
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
      if (isDecodeSwitch(ctx, conditions)) continue;
      // One representative per distinct value: they must be alternatives, not parts of one output (`"“" + x + "”"`).
      const representatives = distinct.map((d) => list.find((l) => l.value === d)!.node);
      if (!areAlternatives(ctx, representatives)) continue;
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
      if (conditions.length === 0 || isDecodeSwitch(ctx, conditions)) continue;
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
      // A choice alone is a note: terminals pick `❯` or `>` by platform, editors insert
      // zero-width spaces to measure text. TT007 raises it when an environment
      // signal compared with targeting values decides the choice.
      makeFinding(meta, 'note', what, locate(ctx, first.start, last.end), { key: `${site.kind}:${JSON.stringify(site.prototype)}:${[...cps].sort().join(',')}`, choice: site.kind, codePoints: [...cps].sort() }, { codePoints: cps }),
    );
  }

  // (2) Hidden characters inside literals, aggregated per kind and code point (one finding each).
  const inChoice = new Set(sites.flatMap((s) => s.literals));
  const aggregate = new Map<string, { node: AstNode; kind: HiddenCharKind; cp: number; count: number; tag?: string; outsideTables: boolean }>();
  for (const s of ctx.collected.strings) {
    if (inChoice.has(s.node) || !/[^\x00-\x7f]/.test(s.value)) continue;
    const report = inspectText(s.value, { confusablesInMixedWordsOnly: true, maxChars: 64 });
    if (report.clean) continue;
    const distinctSuspicious = new Set(report.chars.filter((c) => !c.legitimate).map((c) => c.codePoint));
    if (distinctSuspicious.size > TABLE_THRESHOLD) continue; // a Unicode table or test corpus
    // A code-page or transliteration string (`"€\uFFFD‚ƒ„…"`) lists many characters as data.
    // So is a literal that is nothing but the mark itself (`{ ltr: "\u200E", rtl: "\u200F" }`):
    // a named constant for laying out bidirectional text, not text hiding something.
    const charTable = distinctNonAscii(s.value) >= 24 || [...s.value].every((ch) => classifyCodePoint(ch.codePointAt(0)!) !== null);
    for (const c of report.chars) {
      if (c.legitimate || c.kind === 'unusual-space' || c.kind === 'private-use' || c.kind === 'unassigned') continue;
      // A range end in a regular-expression source (`[\u2027-\u202A]`) names the character, it does not emit it.
      if (s.value[c.offset - 1] === '-' || s.value[c.offset + 1] === '-') continue;
      const key = `${c.kind}:${c.cp}`;
      const seen = aggregate.get(key);
      const outsideTable = !charTable && !inLookupTable(ctx, s.node);
      if (seen) {
        seen.count++;
        if (outsideTable && !seen.outsideTables) Object.assign(seen, { node: s.node, outsideTables: true });
      } else {
        aggregate.set(key, { node: s.node, kind: c.kind, cp: c.codePoint, count: 1, outsideTables: outsideTable, ...(report.tagPayloads[0] ? { tag: report.tagPayloads[0].text } : {}) });
      }
    }
  }
  for (const [key, a] of aggregate) {
    // Bidi controls and tags matter in prose; as one entry of an entity table they are data.
    const serious = (a.kind === 'tag' || a.kind === 'bidi-control') && a.outsideTables;
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
