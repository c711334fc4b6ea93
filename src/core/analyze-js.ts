/**
 * Static analysis of one JavaScript source: parse once, pick the regions worth a
 * full look, walk them once collecting what detectors need, run the detectors,
 * then correlate. Pure: text in, findings out.
 *
 * Why regions: a 13 MB bundle has ~18,000 top-level statements and 3 million
 * nodes. Walking all of them costs as much as parsing again; the signals we look
 * for have textual anchors (non-ASCII or escaped characters, `process.env`,
 * `resolvedOptions`, URLs, long encoded-looking strings, separator rewrites…).
 * A regex pass over the text (tens of ms) selects the statements that contain
 * an anchor; only those are walked. Data flow (TT007) still reaches any other
 * statement on demand through JsSource's name lookups. Small files are walked
 * whole.
 */
import type { Finding, RuleMeta } from './findings.js';
import { classifyCodePoint, mixedScript } from './unicode/index.js';
import { child, memberPath, shapeOf, walk, type AstNode } from './js/ast.js';
import { outlineStatements, parseChosenStatements, parseJavaScript, parseStatementAt, type StatementOutline } from './js/parse.js';
import { JsSource, UNPARSED } from './js/source-file.js';
import type { IdentifierIndex } from './js/identifier-index.js';
import type { Collected, DetectorContext } from './detectors/context.js';
import type { ChoiceSite } from './detectors/hidden-characters.js';
import type { FormatSwitchSite } from './detectors/format-switch.js';
import type { PayloadSite } from './detectors/obfuscated-payload.js';
import * as envSignal from './detectors/env-signal.js';
import { envVariableKind } from './detectors/env-signal.js';
import { sameButSeparators } from './detectors/format-switch.js';
import { looksEncoded } from './recovery/index.js';
import * as regionTargeting from './detectors/region-targeting.js';
import * as obfuscatedPayload from './detectors/obfuscated-payload.js';
import * as hiddenCharacters from './detectors/hidden-characters.js';
import * as formatSwitch from './detectors/format-switch.js';
import * as networkEndpoint from './detectors/network-endpoint.js';
import * as covertChannel from './detectors/covert-channel.js';

/** Every JavaScript detector's rule, in id order (SARIF rules are built from this). */
export const JS_RULES: RuleMeta[] = [
  envSignal.meta,
  regionTargeting.meta,
  obfuscatedPayload.meta,
  hiddenCharacters.meta,
  formatSwitch.meta,
  networkEndpoint.meta,
  covertChannel.meta,
];

export interface AnalyzeOptions {
  /** Sources up to this many characters are walked whole (default 1 MiB). */
  fullWalkBelow?: number;
  /** For JavaScript extracted from a binary: maps a text offset to the byte offset in the binary. */
  byteOffsetOf?: (offset: number) => number;
  /** An outline made earlier (outlineStatementsAsync), so the native parse can overlap other work. */
  outline?: StatementOutline;
  /** Anchor offsets found earlier (findAnchors), for the same reason. */
  anchors?: readonly number[];
  /** The text's identifier index, built earlier (IdentifierIndex.build) for the same reason. */
  identifierIndex?: IdentifierIndex;
}

export interface AnalyzeResult {
  findings: Finding[];
  parseErrors: string[];
  stats: { statements: number; walkedStatements: number; parsedOnDemand: number; nodes: number };
}

/**
 * Textual anchors of the things detectors look for. Each is a cheap pattern,
 * optionally confirmed by a predicate on the match; a match selects the
 * enclosing top-level statement and the scan jumps past it. Each confirmation
 * asks what the detector itself will ask (a look-alike only matters in a
 * mixed-script word or a short literal, an environment variable only when it is
 * a signal, a literal only when it looks encoded): test/helpers/analyze.ts runs
 * every detector fixture through both paths and requires the same findings.
 */
const ANCHORS: Array<[RegExp, ((m: RegExpExecArray, text: string) => boolean)?]> = [
  // Characters the Unicode core flags (invisible, bidi, tags, unusual spaces, raw control
  // characters…); look-alikes only where the detector looks at them. Box drawing, emoji and
  // accented text are not anchors.
  [/[^\x09\x0a\x0d\x20-\x7e]/g, (m, text) => {
    const kind = classifyCodePoint(m[0].codePointAt(0)!);
    return kind !== null && (kind !== 'confusable' || lookalikeMatters(text, m.index));
  }],
  // Escapes: `\uXXXX` is exactly four digits, `\u{…}` one to six.
  [/\\u(?:\{([0-9a-fA-F]{1,6})\}|([0-9a-fA-F]{4}))|\\x([89a-fA-F][0-9a-fA-F])/g, (m) => {
    const cp = Number.parseInt(m[1] ?? m[2] ?? m[3] ?? '0', 16);
    return cp >= 0x80 && cp <= 0x10ffff && classifyCodePoint(cp) !== null;
  }],
  // Runs of Latin-1 bytes or control escapes: XOR output written into a literal.
  [/[\x80-\xff]{6,}|(?:\\x[01][0-9a-fA-F]){4,}/g],
  // Environment objects: a read of a named variable only when that variable is a signal
  // (`process.env.NODE_ENV` is not); any other use (computed, aliased, destructured) always.
  [/(?:process|Bun|Deno)\.env\b|import\.meta\.env\b/g, (m, text) => {
    const named = /^\s*(?:\.\s*([A-Za-z_$][\w$]*)|\[\s*(["'`])([^"'`\\]+)\2\s*\])/.exec(text.slice(m.index + m[0].length, m.index + m[0].length + 96));
    const name = named?.[1] ?? named?.[3];
    return name === undefined || name === 'get' || envVariableKind(name) !== undefined;
  }],
  [/\.env\.get\(|resolvedOptions|getTimezoneOffset|navigator\.language|hostname\(|networkInterfaces|userInfo\(|machine-id|IOPlatformUUID|MachineGuid|git config/g],
  [/fromCharCode|\.reverse\(\)\.join|:\/\//g],
  // Whole literals of base64/hex shape, judged by the same gate the payload detector uses.
  [/(["'`])([A-Za-z0-9+/=_-]{8,})\1/g, (m) => looksEncoded(m[2]!)],
  [/\[\s*\d{1,3}\s*(?:,\s*\d{1,3}\s*){7,}\]/g],
  [/\.replace(?:All)?\(\s*(?:\/\\?[-/.:]\/|["'][-/.:]["'])|\.split\(\s*["'][-/.:]["']\s*\)\.join/g],
  // `c ? "YYYY-MM-DD" : "YYYY.MM.DD"`: two literals that differ only in separators.
  [/\?\s*(["'`])((?:[^"'`\\\n]|\\[^\n]){1,64}?)\1\s*:\s*(["'`])((?:[^"'`\\\n]|\\[^\n]){1,64}?)\3/g, (m) =>
    sameButSeparators(unescapeLiteral(m[2]!), unescapeLiteral(m[4]!)) !== undefined],
  [/["'`][A-Z][a-z]+\/[A-Z][A-Za-z_]+["'`]|["'`][a-z]{2,3}[-_][A-Z]{2}["'`]/g],
];

const WORD_CHAR = /[\p{L}\p{M}\p{Nd}]/u;
const LITERAL_OPEN = /["'`}]/;
const LITERAL_CLOSE = /["'`$]/;

/**
 * A look-alike at `at` matters to the hidden-characters detector inside a
 * mixed-script word (mixedScript, as inspectText decides it) or inside a literal
 * short enough to be one side of a choice (MAX_CHOICE_LITERAL code points).
 * Cyrillic or Greek prose, and Latin letters such as Turkish `ı`, do not.
 */
function lookalikeMatters(text: string, at: number): boolean {
  let from = at;
  while (from > 0 && at - from < 64 && WORD_CHAR.test(text[from - 1]!)) from--;
  let to = at + 1;
  while (to < text.length && to - at < 64 && WORD_CHAR.test(text[to]!)) to++;
  if (mixedScript(text.slice(from, to))) return true;
  // The literal around it: from the nearest opening delimiter to the nearest closing one.
  const reach = 8 * hiddenCharacters.MAX_CHOICE_LITERAL;
  let open = at - 1;
  while (open >= 0 && at - open <= reach && !LITERAL_OPEN.test(text[open]!)) open--;
  let close = at + 1;
  while (close < text.length && close - at <= reach && !LITERAL_CLOSE.test(text[close]!)) close++;
  if (open < 0 || at - open > reach || close - at > reach) return false;
  return [...unescapeLiteral(text.slice(open + 1, close))].length <= hiddenCharacters.MAX_CHOICE_LITERAL;
}

/** The value of a literal's source text, near enough for an anchor: `\\u…` and `\\x…` decoded, other escapes reduced to the escaped character. */
function unescapeLiteral(raw: string): string {
  return raw.replace(/\\(?:u\{([0-9a-fA-F]{1,6})\}|u([0-9a-fA-F]{4})|x([0-9a-fA-F]{2})|(.))/g, (_m, braced?: string, four?: string, two?: string, other?: string) => {
    const hex = braced ?? four ?? two;
    if (hex !== undefined) {
      const cp = Number.parseInt(hex, 16);
      return cp <= 0x10ffff ? String.fromCodePoint(cp) : '';
    }
    return other ?? '';
  });
}

/**
 * Offsets of every confirmed anchor, from the text alone: the scanner computes
 * them while oxc is still outlining the file on its own thread.
 */
export function findAnchors(text: string): number[] {
  const found: number[] = [];
  for (const [re, confirm] of ANCHORS) {
    re.lastIndex = 0;
    for (let m = re.exec(text); m; m = re.exec(text)) if (!confirm || confirm(m, text)) found.push(m.index);
  }
  return found;
}

export function selectStatements(source: JsSource, anchors?: readonly number[]): Set<number> {
  const selected = new Set<number>();
  if (anchors) {
    for (const at of anchors) {
      const index = source.statementIndexAt(at);
      if (index >= 0) selected.add(index);
    }
    return selected;
  }
  const { text } = source;
  for (const [re, confirm] of ANCHORS) {
    re.lastIndex = 0;
    for (let m = re.exec(text); m; m = re.exec(text)) {
      if (confirm && !confirm(m, text)) continue;
      const index = source.statementIndexAt(m.index);
      if (index < 0) continue;
      selected.add(index);
      // Jump past this statement: one anchor is enough to select it.
      re.lastIndex = Math.max(re.lastIndex, source.statements[index]!.end);
    }
  }
  return selected;
}

/**
 * One walk over the chosen statements, sorting the nodes detectors look at by
 * kind. No parent links are kept: a map of ~500,000 nodes per bundle half cost
 * more (~0.1 s and its garbage) than finding the few ancestors detectors ask for
 * by descending from the statement (JsSource.pathTo).
 */
function collect(roots: AstNode[]): { collected: Collected; nodes: number } {
  const collected: Collected = { strings: [], members: [], calls: [], binaries: [], conditionals: [], arrays: [], functions: [] };
  // Template literals tagged with String.raw (their chunks are read raw).
  const rawQuasis = new Set<AstNode>();
  let nodes = 0;
  for (const root of roots) {
    walk(root, (node, parent) => {
      nodes++;
      switch (node.type) {
        case 'Literal':
          if (typeof node.value === 'string') collected.strings.push({ node, value: node.value });
          break;
        case 'TemplateElement': {
          // String.raw`\u{200F}` yields the six characters of the escape, never U+200F itself.
          const raw = parent !== null && rawQuasis.has(parent);
          const value = node.value as { cooked?: string | null; raw?: string } | undefined;
          const text = raw ? value?.raw : value?.cooked;
          if (typeof text === 'string' && text.length > 0) collected.strings.push({ node, value: text });
          break;
        }
        case 'TaggedTemplateExpression': {
          const quasi = child(node, 'quasi');
          if (quasi && memberPath(child(node, 'tag')) === 'String.raw') rawQuasis.add(quasi);
          break;
        }
        case 'MemberExpression':
          collected.members.push(node);
          break;
        case 'CallExpression':
        case 'NewExpression':
          collected.calls.push(node);
          break;
        case 'BinaryExpression':
          collected.binaries.push(node);
          break;
        case 'ConditionalExpression':
        case 'IfStatement':
          collected.conditionals.push(node);
          break;
        case 'ArrayExpression':
          collected.arrays.push(node);
          break;
        case 'FunctionDeclaration':
        case 'FunctionExpression':
        case 'ArrowFunctionExpression':
          collected.functions.push(node);
          break;
      }
    });
  }
  return { collected, nodes };
}

export function analyzeJavaScript(path: string, text: string, options: AnalyzeOptions = {}): AnalyzeResult {
  const fullWalkBelow = options.fullWalkBelow ?? 1 << 20;
  const fullWalk = text.length <= fullWalkBelow;
  // Big files: outline the top-level statements with oxc's lazy mode (the native parse,
  // no AST objects), then build the AST of the anchored statements only (analyzePortion).
  const outline = fullWalk ? undefined : (options.outline ?? outlineStatements(path, text));
  let chosen: number[] | undefined;
  if (outline && outline.spans.length > 0) {
    chosen = chooseStatements(path, text, outline, options.anchors);
    const portion = analyzePortion(path, text, outline, chosen, options);
    if (portion) return completeAnalysis(path, text, outline, [portion.result], options, portion.source);
  }
  // Small files, or a partial parse that did not line up: one full parse — slower, never less complete.
  const parsed = parseJavaScript(path, text);
  const source = new JsSource(path, text, parsed.program);
  if (options.identifierIndex) source.useIndex(options.identifierIndex);
  const roots = fullWalk
    ? [parsed.program]
    : (chosen ?? [...selectStatements(source)].sort((a, b) => a - b)).map((i) => source.statements[i]).filter((n): n is AstNode => n !== undefined);
  const { collected, nodes } = collect(roots);
  const ctx: DetectorContext = { source, collected, ...(options.byteOffsetOf ? { byteOffsetOf: options.byteOffsetOf } : {}) };
  const parts = runDetectors(ctx);
  const channels = covertChannel.detect(ctx, parts.sites);
  return finish(source, [...channels, ...parts.findings], channels, parsed.errors, {
    statements: source.statements.length,
    walkedStatements: fullWalk ? source.statements.length : roots.length,
    parsedOnDemand: source.parsedOnDemand,
    nodes,
  });
}

function runDetectors(ctx: DetectorContext): { findings: Finding[]; sites: covertChannel.Sites } {
  const env = envSignal.detect(ctx);
  const region = regionTargeting.detect(ctx);
  const payload = obfuscatedPayload.detect(ctx);
  const hidden = hiddenCharacters.detect(ctx);
  const format = formatSwitch.detect(ctx);
  const endpoints = networkEndpoint.detect(ctx);
  return {
    findings: [...env.findings, ...region.findings, ...payload.findings, ...hidden.findings, ...format.findings, ...endpoints.findings],
    sites: { choices: hidden.sites, formats: format.sites, payloads: payload.sites },
  };
}

function finish(source: JsSource, findings: Finding[], channels: Finding[], parseErrors: string[], stats: AnalyzeResult['stats']): AnalyzeResult {
  // A hidden payload that feeds an environment check in a covert channel is itself an error.
  const usedPayloads = new Set(channels.filter((c) => c.level === 'error').flatMap((c) => (c.related ?? []).map((r) => r.location.offset)));
  for (const f of findings) if (f.ruleId === obfuscatedPayload.meta.id && usedPayloads.has(f.location.offset)) f.level = 'error';
  for (const f of findings) f.shape ??= contextShape(source, f.location.offset, f.location.length);
  return { findings, parseErrors, stats };
}

// ---------------------------------------------------------------- portions
// A big bundle's anchored statements can be analysed in portions (one per
// thread): each portion parses and walks its statements and runs the per-site
// detectors; the correlation (TT007) then runs once over the sites of all
// portions, found again by their offsets.

interface Span {
  start: number;
  end: number;
  type: string;
}

/** Sites of one portion as plain data, so they can cross a thread boundary. */
export interface PortionSites {
  choices: Array<Omit<ChoiceSite, 'node' | 'literals' | 'conditions'> & { node: Span; literals: Span[]; conditions: Span[] }>;
  formats: Array<Omit<FormatSwitchSite, 'node' | 'test'> & { node: Span; test: Span }>;
  payloads: Array<Omit<PayloadSite, 'node'> & { node: Span }>;
}

export interface PortionResult {
  findings: Finding[];
  sites: PortionSites;
  parseErrors: string[];
  walked: number;
  nodes: number;
  parsedOnDemand: number;
}

const span = (n: AstNode): Span => ({ start: n.start, end: n.end, type: n.type });

/** The anchored top-level statements of a big file, in order. */
export function chooseStatements(path: string, text: string, outline: StatementOutline, anchors?: readonly number[]): number[] {
  return [...selectStatements(sourceFor(path, text, outline).source, anchors)].sort((a, b) => a - b);
}

function sourceFor(path: string, text: string, outline: StatementOutline): { source: JsSource; placeholders: AstNode[]; program: AstNode } {
  const placeholders: AstNode[] = outline.spans.map(([start, end]) => ({ type: UNPARSED, start, end }));
  const program: AstNode = { type: 'Program', start: 0, end: text.length, body: [] };
  const loader = { declarations: outline.declarations, parse: (i: number) => parseStatementAt(path, text, outline, i) };
  return { source: new JsSource(path, text, program, placeholders, loader), placeholders, program };
}

/**
 * Parses `chosen` statements only (the rest blanked), walks them and runs the
 * per-site detectors. Undefined when the partial parse does not line up (the
 * caller then analyses the whole file in one piece).
 */
export function analyzePortion(
  path: string,
  text: string,
  outline: StatementOutline,
  chosen: readonly number[],
  options: AnalyzeOptions = {},
): { result: PortionResult; source: JsSource } | undefined {
  const { source, placeholders, program } = sourceFor(path, text, outline);
  if (options.identifierIndex) source.useIndex(options.identifierIndex);
  const nodes = parseChosenStatements(path, text, outline, chosen);
  if (!nodes) return undefined;
  chosen.forEach((i, k) => (placeholders[i] = nodes[k]!));
  program.body = nodes;
  const { collected, nodes: count } = collect(nodes);
  const ctx: DetectorContext = { source, collected, ...(options.byteOffsetOf ? { byteOffsetOf: options.byteOffsetOf } : {}) };
  const { findings, sites } = runDetectors(ctx);
  for (const f of findings) f.shape ??= contextShape(source, f.location.offset, f.location.length);
  return {
    source,
    result: {
      findings,
      sites: {
        choices: sites.choices.map((c) => ({ ...c, node: span(c.node), literals: c.literals.map(span), conditions: c.conditions.map(span) })),
        formats: sites.formats.map((f) => ({ ...f, node: span(f.node), test: span(f.test) })),
        payloads: sites.payloads.map((p) => ({ ...p, node: span(p.node) })),
      },
      parseErrors: outline.errors,
      walked: chosen.length,
      nodes: count,
      parsedOnDemand: source.parsedOnDemand,
    },
  };
}

/** The node with exactly this span and type (parsing its statement if needed). */
function nodeAt(source: JsSource, s: Span): AstNode | undefined {
  const path = source.pathTo(s.start, s.end);
  for (let i = path.length - 1; i >= 0; i--) {
    const n = path[i]!;
    if (n.start === s.start && n.end === s.end && n.type === s.type) return n;
  }
  return undefined;
}

/**
 * Runs the correlation over the sites of every portion and merges the
 * portions' findings: rules that report once per file (TT001 per API, TT006 per
 * host, TT004 per hidden code point) are merged by identity key.
 */
export function completeAnalysis(
  path: string,
  text: string,
  outline: StatementOutline,
  portions: readonly PortionResult[],
  options: AnalyzeOptions = {},
  source: JsSource = sourceFor(path, text, outline).source,
): AnalyzeResult {
  const ctx: DetectorContext = {
    source,
    collected: { strings: [], members: [], calls: [], binaries: [], conditionals: [], arrays: [], functions: [] },
    ...(options.byteOffsetOf ? { byteOffsetOf: options.byteOffsetOf } : {}),
  };
  const sites: covertChannel.Sites = { choices: [], formats: [], payloads: [] };
  for (const p of portions) {
    for (const c of p.sites.choices) {
      const node = nodeAt(source, c.node);
      const literals = c.literals.map((l) => nodeAt(source, l));
      const conditions = c.conditions.map((l) => nodeAt(source, l));
      if (node && literals.every(Boolean) && conditions.every(Boolean)) {
        sites.choices.push({ ...c, node, literals: literals as AstNode[], conditions: conditions as AstNode[] });
      }
    }
    for (const f of p.sites.formats) {
      const node = nodeAt(source, f.node);
      const test = nodeAt(source, f.test);
      if (node && test) sites.formats.push({ ...f, node, test });
    }
    for (const pl of p.sites.payloads) {
      const node = nodeAt(source, pl.node);
      if (node) sites.payloads.push({ ...pl, node });
    }
  }
  const channels = covertChannel.detect(ctx, sites);
  const findings = mergePerFileFindings(portions.flatMap((p) => p.findings));
  return finish(source, [...channels, ...findings], channels, portions[0]?.parseErrors ?? [], {
    statements: outline.spans.length,
    walkedStatements: portions.reduce((n, p) => n + p.walked, 0),
    parsedOnDemand: source.parsedOnDemand + portions.reduce((n, p) => n + p.parsedOnDemand, 0),
    nodes: portions.reduce((n, p) => n + p.nodes, 0),
  });
}

/**
 * How the once-per-file rules write their count into the message (see their
 * detectors); merged portions add the counts up and keep the first place, or
 * the more severe one (a bidi control outside a table beats one inside).
 */
const COUNTED: Record<string, { pattern: RegExp; render: (n: number) => string }> = {
  [envSignal.meta.id]: { pattern: /, (\d+) places in this file$/, render: (n) => (n > 1 ? `, ${n} places in this file` : '') },
  [networkEndpoint.meta.id]: { pattern: / \((\d+) references\)(?=: )/, render: (n) => (n > 1 ? ` (${n} references)` : '') },
  [hiddenCharacters.meta.id]: { pattern: / \((\d+) strings\)/, render: (n) => (n > 1 ? ` (${n} strings)` : '') },
};

function mergePerFileFindings(findings: Finding[]): Finding[] {
  const out: Finding[] = [];
  const byKey = new Map<string, { finding: Finding; count: number }>();
  const countOf = (f: Finding, c: { pattern: RegExp }) => Number(c.pattern.exec(f.message)?.[1] ?? 1);
  for (const f of findings) {
    const counted = COUNTED[f.ruleId];
    const perFile = counted && (f.ruleId !== hiddenCharacters.meta.id || f.facts.choice === undefined);
    if (!perFile) {
      out.push(f);
      continue;
    }
    const key = `${f.ruleId}\u0000${f.facts.key}`;
    const seen = byKey.get(key);
    if (!seen) {
      byKey.set(key, { finding: f, count: countOf(f, counted) });
      out.push(f);
      continue;
    }
    seen.count += countOf(f, counted);
    const better = RANK_OF[f.level] < RANK_OF[seen.finding.level] || (f.level === seen.finding.level && f.location.offset < seen.finding.location.offset);
    if (better) {
      out[out.indexOf(seen.finding)] = f;
      seen.finding = f;
    }
  }
  for (const { finding, count } of byKey.values()) {
    const counted = COUNTED[finding.ruleId]!;
    const base = finding.message.replace(counted.pattern, '');
    // The count sits at the end (TT001), before ": url" (TT006) or after the character name (TT004).
    finding.message =
      finding.ruleId === networkEndpoint.meta.id
        ? base.replace(/: /, `${counted.render(count)}: `)
        : finding.ruleId === hiddenCharacters.meta.id
          ? base.replace(/^(String contains [^;]*?)(;|$)/, (_m, head: string, tail: string) => `${head}${counted.render(count)}${tail}`)
          : base + counted.render(count);
    if (typeof finding.facts.count === 'number') finding.facts.count = count;
  }
  return out;
}

const RANK_OF = { error: 0, warning: 1, note: 2 } as const;

/** Shape of the statement around a finding, identifiers and values erased (used by `diff`). */
function contextShape(source: JsSource, offset: number, length: number): string | undefined {
  const path = source.pathTo(offset, offset + Math.max(1, length));
  for (let i = path.length - 1; i > 0; i--) {
    if (/(Statement|Declaration|Declarator)$/.test(path[i]!.type)) return shapeOf(path[i]!);
  }
  return undefined;
}
