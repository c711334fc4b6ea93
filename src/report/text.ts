/**
 * `--format text` (the default): a report a person reads at a terminal in a
 * minute. The verdict comes first, then findings by level (errors in full;
 * warnings capped per rule; notes of a busy rule folded into one line), then
 * skipped files and scanner notes. A clean package takes two lines.
 *
 * Every piece of analysed text (snippets, decoded payloads, paths) passes
 * through terminal.ts, so hidden characters show as `<U+XXXX>` instead of
 * acting on the terminal. docs/formats.md shows an example.
 */
import type { Finding, Level, RuleMeta, SourceLocation } from '../core/findings.js';
import { characterName, classifyCodePoint } from '../core/unicode/index.js';
import type { ScanReport } from '../scan/types.js';
import { CATEGORIES, CATEGORY_VERDICT } from './categories.js';
import { compareByLocation, compareStrings } from './canonical.js';
import { exitCodeFor, type FailOn } from './exit-code.js';
import { countByLevel, LEVELS, worstLevel } from './summary.js';
import {
  cellsWidth,
  decoration,
  type Cell,
  makeStyle,
  renderCells,
  toCells,
  truncateCells,
  visible,
  wrapCells,
  wrapText,
  type Style,
} from './terminal.js';

export interface TextOptions {
  /** ANSI colour (see `useColor`); default off. */
  color?: boolean;
  /** Columns to wrap at (see `terminalWidth`); default 100. */
  width?: number;
  /** When given, the verdict says that this run exits 1 because of it. */
  failOn?: FailOn;
  /** Notes of one rule beyond this many fold into one summary line. Default 3. */
  maxNotesPerRule?: number;
  /** Warnings of one rule shown in full; the rest are counted. Default 10. */
  maxWarningsPerRule?: number;
}

/**
 * Where the finding starts inside `location.snippet` (UTF-16 index). Not in the
 * shared SourceLocation yet; used when a detector provides it.
 */
type LocationWithSnippetOffset = SourceLocation & { snippetOffset?: number };

interface Context {
  style: Style;
  width: number;
  failOn: FailOn | undefined;
  maxNotes: number;
  maxWarnings: number;
  rules: Map<string, RuleMeta>;
}

const LABEL_WIDTH = 9;
const DETAIL_INDENT = '    ';
const MAX_SNIPPET_LINES = 4;
const MAX_DECODED_LINES = 3;
const MAX_CODE_POINTS = 6;
const MAX_SKIPPED_LINES = 8;

const MARKER: Readonly<Record<Level, string>> = { error: '✖', warning: '▲', note: '•' };
const SECTION: Readonly<Record<Level, string>> = { error: 'ERRORS', warning: 'WARNINGS', note: 'NOTES' };

function codePointCount(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // A high surrogate followed by a low one is a single code point.
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) i++;
    n++;
  }
  return n;
}

function levelColor(style: Style, level: Level): (s: string) => string {
  return level === 'error' ? style.red : level === 'warning' ? style.yellow : style.cyan;
}

/** `a`, `a and b`, `a, b and c`. */
function listed(items: readonly string[]): string {
  return items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GB`;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  return `${s < 10 ? s.toFixed(2) : s.toFixed(1)} s`;
}

function formatStart(iso: string): string {
  const time = Date.parse(iso);
  if (Number.isNaN(time)) return iso;
  return new Date(time).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

/** `1 error, 12 notes`: non-zero counts only. */
function countsText(byLevel: Record<Level, number>): string {
  const parts = LEVELS.filter((l) => byLevel[l] > 0).map((l) => plural(byLevel[l], l));
  return parts.length > 0 ? parts.join(', ') : 'no findings';
}

/**
 * The verdict: what was found, the counts, and (with --fail-on) the exit code.
 * One line when it fits the width; else the counts go to a second line.
 */
function verdictLines(subject: string, findings: readonly Finding[], ctx: Context): string[] {
  const { style } = ctx;
  const worst = worstLevel(findings);
  let marker: string;
  let what: string;
  if (worst === 'error') {
    marker = style.red(MARKER.error);
    what = `${listed([...new Set(findings.filter((f) => f.level === 'error').map((f) => CATEGORY_VERDICT[f.category]))])} found`;
  } else if (worst === 'warning') {
    marker = style.yellow(MARKER.warning);
    what = 'nothing covert found; warnings to review';
  } else {
    marker = style.green('✓');
    what = worst === 'note' ? 'nothing covert found' : 'no findings';
  }
  const counts = worst === undefined ? '' : countsText(countByLevel(findings));
  const exit = ctx.failOn !== undefined && exitCodeFor(findings, ctx.failOn) === 1 ? `(exit 1: --fail-on ${ctx.failOn})` : '';
  const tail = [counts, style.dim(exit)].filter(Boolean).join(' ');
  const oneLine = cellsWidth(toCells(`* ${subject} — ${what}: ${counts} ${exit}`)) <= ctx.width;
  const whatStyled = (s: string): string => style.bold(worst === 'error' ? style.red(s) : s);
  if (oneLine) return [`${marker} ${style.bold(visible(subject, style))} — ${whatStyled(what)}${tail ? `: ${tail}` : ''}`];
  if (cellsWidth(toCells(`* ${subject} — ${what}`)) <= ctx.width) {
    return [`${marker} ${style.bold(visible(subject, style))} — ${whatStyled(what)}`, ...(tail ? [`  ${tail}`] : [])];
  }
  // Still too wide: the subject, then what was found and the counts, wrapped under it.
  const lines = [`${marker} ${style.bold(visible(subject, style))} —`];
  for (const line of wrapCells(toCells(what, false), ctx.width - 2)) lines.push('  ' + whatStyled(renderCells(line, style)));
  if (tail) lines.push(`  ${tail}`);
  return lines;
}

function byteLabel(loc: SourceLocation): string {
  return loc.byteOffset !== undefined ? ` (byte 0x${loc.byteOffset.toString(16).toUpperCase()})` : '';
}

/** `file:line:col`, plus the byte offset inside a binary. */
function formatLocation(loc: SourceLocation, style: Style): string {
  return style.cyan(`${visible(loc.file, style)}:${loc.line}:${loc.column}`) + style.dim(byteLabel(loc));
}

function locationWidth(loc: SourceLocation): number {
  return cellsWidth(toCells(`${loc.file}:${loc.line}:${loc.column}${byteLabel(loc)}`));
}

/** Where to put the caret: the detector's offset when given, else the first character the finding is about. */
function markIndex(loc: LocationWithSnippetOffset, codePoints: readonly string[] | undefined): number | undefined {
  if (loc.snippetOffset !== undefined) return loc.snippetOffset;
  for (const cp of codePoints ?? []) {
    const value = Number.parseInt(cp.replace(/^U\+/i, ''), 16);
    if (!Number.isFinite(value) || value > 0x10ffff) continue;
    const at = loc.snippet.indexOf(String.fromCodePoint(value));
    if (at !== -1) return at;
  }
  return undefined;
}

const ELLIPSIS = decoration('…');

/**
 * A snippet as cells. The scanner marks cut ends with '…', itself a look-alike
 * of '...': keep those out of escaping. Cell indexes stay those of the snippet.
 */
function snippetCells(snippet: string): Cell[] {
  const lead = snippet.startsWith('…') ? 1 : 0;
  const trail = snippet.length > lead && snippet.endsWith('…') ? 1 : 0;
  const cells = toCells(snippet.slice(lead, snippet.length - trail)).map((c) => ({ ...c, index: c.index + lead }));
  return [...(lead ? [ELLIPSIS] : []), ...cells, ...(trail ? [ELLIPSIS] : [])];
}

/**
 * Minified code laid out for reading: a line break after `{` and `;` and before
 * `}`, indented by brace depth (relative to the excerpt). String, template and
 * escaped cells are never split. Cell indexes are kept, so the caret still
 * points at the finding; only presentation changes, the SARIF snippet stays raw.
 */
function deminify(cells: readonly Cell[]): Cell[][] {
  const lines: Cell[][] = [];
  let depth = 0;
  let quote: string | undefined;
  let line: Cell[] = [];
  const breakLine = () => {
    if (line.some((c) => c.text.trim() !== '')) lines.push(line);
    line = Array.from({ length: Math.min(depth, 8) * 2 }, () => decoration(' '));
  };
  for (let i = 0; i < cells.length; i++) {
    const cell = cells[i]!;
    const t = cell.escaped ? '' : cell.text;
    if (quote !== undefined) {
      line.push(cell);
      if (t === '\\' && i + 1 < cells.length) line.push(cells[++i]!);
      else if (t === quote) quote = undefined;
      continue;
    }
    if (t === '"' || t === "'" || t === '`') quote = t;
    if (t === '}') {
      depth = Math.max(0, depth - 1);
      breakLine();
    }
    if (t === ' ' && line.every((c) => c.text.trim() === '')) continue; // no leading blanks after a break
    line.push(cell);
    if (t === '{') depth++;
    if (t === '{' || t === ';') breakLine();
  }
  if (line.some((c) => c.text.trim() !== '')) lines.push(line);
  return lines;
}

/** The snippet wrapped to the width, a window of a few lines around the mark, a caret under the column. */
function snippetLines(loc: LocationWithSnippetOffset, codePoints: readonly string[] | undefined, indent: string, ctx: Context, maxLines: number): string[] {
  const { style } = ctx;
  if (!loc.snippet) return [];
  const prefix = indent + style.dim('│ ');
  const lines = deminify(snippetCells(loc.snippet)).flatMap((line) => wrapCells(line, ctx.width - indent.length - 2));

  const mark = markIndex(loc, codePoints);
  let markLine = -1;
  let markColumn = 0;
  if (mark !== undefined) {
    lines.some((line, l) => {
      let column = 0;
      for (const cell of line) {
        if (cell.index !== -1 && cell.index <= mark && mark < cell.index + cell.length) {
          markLine = l;
          markColumn = column;
          return true;
        }
        column += cell.width;
      }
      return false;
    });
  }
  const first = lines.length <= maxLines ? 0 : Math.min(Math.max(0, markLine - 1), lines.length - maxLines);
  const out: string[] = [];
  for (let l = first; l < Math.min(lines.length, first + maxLines); l++) {
    out.push(prefix + renderCells(lines[l]!, style));
    if (l === markLine) out.push(prefix + ' '.repeat(markColumn) + style.bold(style.magenta('^')));
  }
  return out;
}

function labelled(label: string, style: Style): string {
  return DETAIL_INDENT + style.dim(label.padEnd(LABEL_WIDTH));
}

const VALUE_INDENT = DETAIL_INDENT + ' '.repeat(LABEL_WIDTH);

function decodedLines(f: Finding, ctx: Context): string[] {
  const { style } = ctx;
  if (f.decoded === undefined) return f.encoding ? [labelled('encoding', style) + visible(f.encoding, style)] : [];
  const total = codePointCount(f.decoded);
  const how = [f.encoding, plural(total, 'char')].filter(Boolean).join(' · ');
  const out = [labelled('decoded', style) + visible(how, style, false)];
  const quote = decoration('"');
  // Payloads can be megabytes: lay out only what can be shown.
  const room = (MAX_DECODED_LINES + 1) * ctx.width;
  const head = f.decoded.length > room ? f.decoded.slice(0, room) : f.decoded;
  const lines = wrapCells([quote, ...toCells(head), ...(head === f.decoded ? [quote] : [])], ctx.width - VALUE_INDENT.length);
  const shown = lines.slice(0, MAX_DECODED_LINES);
  for (const line of shown) out.push(VALUE_INDENT + renderCells(line, style));
  if (lines.length > MAX_DECODED_LINES || head !== f.decoded) {
    const shownChars = shown.reduce((n, line) => n + line.filter((c) => c.index !== -1).length, 0);
    out[out.length - 1] += '…';
    out.push(VALUE_INDENT + style.dim(`+${plural(total - shownChars, 'char')} more in --format json`));
  }
  return out;
}

function codePointLines(f: Finding, ctx: Context): string[] {
  const { style } = ctx;
  const cps = [...new Set(f.codePoints ?? [])];
  if (cps.length === 0) return [];
  const out = cps.slice(0, MAX_CODE_POINTS).map((cp, i) => {
    const value = Number.parseInt(cp.replace(/^U\+/i, ''), 16);
    let described = visible(cp, style);
    if (/^U\+[0-9A-F]{4,6}$/i.test(cp) && value <= 0x10ffff) {
      const kind = classifyCodePoint(value);
      // Show the glyph only when it is visible and harmless on a terminal.
      const glyph = kind === null || kind === 'confusable' ? ` ${String.fromCodePoint(value)}` : '';
      described = `${cp.toUpperCase()} ${characterName(value)}${glyph}`;
    }
    return (i === 0 ? labelled('chars', style) : VALUE_INDENT) + described;
  });
  if (cps.length > MAX_CODE_POINTS) out.push(VALUE_INDENT + style.dim(`+${cps.length - MAX_CODE_POINTS} more`));
  return out;
}

function relatedLines(f: Finding, ctx: Context): string[] {
  const { style } = ctx;
  const related = f.related ?? [];
  if (related.length === 0) return [];
  const out: string[] = [];
  const label = f.category === 'covert-channel' ? 'chain' : 'related';
  related.forEach((r, i) => {
    const number = `${i + 1}. `;
    const inner = VALUE_INDENT + ' '.repeat(number.length);
    const head = (i === 0 ? labelled(label, style) : VALUE_INDENT) + number + formatLocation(r.location, style);
    const headWidth = inner.length + locationWidth(r.location);
    if (headWidth + 2 + cellsWidth(toCells(r.message, false)) <= ctx.width) out.push(`${head}  ${visible(r.message, style, false)}`);
    else out.push(head, ...wrapText(r.message, ctx.width, inner, style));
    if (r.location.snippet) {
      const cells = truncateCells(snippetCells(r.location.snippet), ctx.width - inner.length - 2);
      out.push(inner + style.dim('│ ' + renderCells(cells, style)));
    }
  });
  return out;
}

function ruleName(ruleId: string, ctx: Context): string {
  return ctx.rules.get(ruleId)?.name ?? ruleId;
}

function findingBlock(f: Finding, ctx: Context): string[] {
  const { style } = ctx;
  const rule = ctx.rules.get(f.ruleId);
  const category = rule && rule.category !== f.category ? ` · ${f.category}` : '';
  const head = `  ${levelColor(style, f.level)(MARKER[f.level])} ${formatLocation(f.location, style)}  ${style.bold(ruleName(f.ruleId, ctx))}${category} ${style.dim(`(${f.ruleId})`)}`;
  return [
    head,
    ...wrapText(f.message, ctx.width, DETAIL_INDENT, style),
    ...snippetLines(f.location, f.codePoints, DETAIL_INDENT, ctx, MAX_SNIPPET_LINES),
    ...decodedLines(f, ctx),
    ...codePointLines(f, ctx),
    ...relatedLines(f, ctx),
  ];
}

/** Findings grouped by rule, rules in the report's order (detector registry order), unknown rules after, by id. */
function byRule(findings: readonly Finding[], ctx: Context): Finding[][] {
  const order = [...ctx.rules.keys()];
  const groups = new Map<string, Finding[]>();
  for (const f of findings) {
    const group = groups.get(f.ruleId);
    if (group) group.push(f);
    else groups.set(f.ruleId, [f]);
  }
  const rank = (id: string): number => {
    const i = order.indexOf(id);
    return i === -1 ? order.length : i;
  };
  return [...groups.entries()].sort((a, b) => rank(a[0]) - rank(b[0]) || compareStrings(a[0], b[0])).map(([, g]) => g);
}

/** A busy notes rule in two lines: the count, then a sample of what it found (facts keys). */
function noteSummary(group: readonly Finding[], ctx: Context): string[] {
  const { style } = ctx;
  const keys = [...new Set(group.map((f) => f.facts.key))].slice(0, 20);
  const head = `  ${style.cyan(MARKER.note)} ${group.length} × ${style.bold(ruleName(group[0]!.ruleId, ctx))} (note) ${style.dim('— --format json lists all')}`;
  const indent = DETAIL_INDENT;
  const sample = renderCells(truncateCells(toCells(keys.join(', ')), ctx.width - indent.length), style);
  return [head, indent + style.dim(sample)];
}

function levelSection(level: Level, findings: readonly Finding[], ctx: Context): string[] {
  const { style } = ctx;
  const mine = findings.filter((f) => f.level === level).sort(compareByLocation);
  if (mine.length === 0) return [];
  const out = ['', style.bold(levelColor(style, level)(`${SECTION[level]} (${mine.length})`))];
  if (level === 'error') {
    // The headline first: covert channels, then payloads feeding them (CATEGORIES order).
    const rank = (f: Finding): number => CATEGORIES.indexOf(f.category);
    for (const f of [...mine].sort((a, b) => rank(a) - rank(b))) out.push(...findingBlock(f, ctx), '');
  } else if (level === 'warning') {
    for (const group of byRule(mine, ctx)) {
      for (const f of group.slice(0, ctx.maxWarnings)) out.push(...findingBlock(f, ctx), '');
      if (group.length > ctx.maxWarnings) {
        const more = group.length - ctx.maxWarnings;
        out.push(`  ${style.dim(`… ${plural(more, 'more warning')} of ${ruleName(group[0]!.ruleId, ctx)} — --format json lists all`)}`, '');
      }
    }
  } else {
    const groups = byRule(mine, ctx);
    const folded = groups.filter((g) => g.length > ctx.maxNotes);
    for (const group of folded) out.push(...noteSummary(group, ctx));
    if (folded.length > 0) out.push('');
    for (const group of groups) if (group.length <= ctx.maxNotes) for (const f of group) out.push(...findingBlock(f, ctx), '');
  }
  while (out[out.length - 1] === '') out.pop();
  return out;
}

function skippedSection(report: ScanReport, ctx: Context): string[] {
  const { style } = ctx;
  const skipped = [...report.skipped].sort((a, b) => compareStrings(a.path, b.path));
  if (skipped.length === 0) return [];
  const out = ['', style.bold(`SKIPPED (${skipped.length})`)];
  if (skipped.length <= MAX_SKIPPED_LINES) {
    for (const s of skipped) out.push(`  ${visible(s.path, style)} ${style.dim('—')} ${visible(s.reason, style, false)}`);
    return out;
  }
  // Many skipped files usually share a few reasons (images, fonts): one line per reason.
  // Reasons that differ only in a size ("16 KiB of compressed data…") share a line too.
  const byReason = new Map<string, string[]>();
  for (const s of skipped) {
    const reason = s.reason.replace(/\b\d+(?:\.\d+)? (?:KiB|MiB|bytes)\b/, 'some');
    byReason.set(reason, [...(byReason.get(reason) ?? []), s.path]);
  }
  for (const [reason, paths] of [...byReason].sort((a, b) => b[1].length - a[1].length || compareStrings(a[0], b[0]))) {
    const head = `  ${visible(reason, style, false)} (${paths.length}): `;
    const room = ctx.width - cellsWidth(toCells(`  ${reason} (${paths.length}): `, false));
    out.push(head + renderCells(truncateCells(toCells(paths.join(', ')), Math.max(10, room)), style));
  }
  return out;
}

function notesSection(report: ScanReport, ctx: Context): string[] {
  if (report.notes.length === 0) return [];
  const out = ['', ctx.style.bold('SCAN NOTES')];
  for (const note of report.notes) {
    const [first = '', ...rest] = wrapText(note, ctx.width, '    ', ctx.style);
    out.push('  - ' + first.slice(4), ...rest);
  }
  return out;
}

function headerLines(report: ScanReport, ctx: Context): string[] {
  const { style } = ctx;
  const pkg = report.package?.name ? `${report.package.name}${report.package.version ? `@${report.package.version}` : ''}` : undefined;
  const bytes = report.files.reduce((n, f) => n + f.size, 0);
  const parts = [
    ...(pkg && pkg !== report.target && `npm:${pkg}` !== report.target ? [pkg] : []),
    `${plural(report.files.length, 'file')} (${formatBytes(bytes)}) scanned in ${formatDuration(report.durationMs)}`,
    formatStart(report.startedAt),
    ...(report.skipped.length > 0 ? [`${report.skipped.length} skipped`] : []),
    `telltale ${report.tool.version}`,
  ];
  const lines: string[] = [];
  let line = '';
  for (const part of parts) {
    const next = line ? `${line} · ${part}` : part;
    if (line && 2 + cellsWidth(toCells(next, false)) > ctx.width) {
      lines.push(line);
      line = part;
    } else line = next;
  }
  lines.push(line);
  return lines.map((l) => '  ' + style.dim(visible(l, style, false)));
}

function renderOne(report: ScanReport, ctx: Context): string[] {
  return [
    ...verdictLines(report.target, report.findings, ctx),
    ...headerLines(report, ctx),
    ...LEVELS.flatMap((level) => levelSection(level, report.findings, ctx)),
    ...skippedSection(report, ctx),
    ...notesSection(report, ctx),
  ];
}

/** The text report of one or more scanned targets, ending in a newline. */
export function toText(reports: readonly ScanReport[], options: TextOptions = {}): string {
  const base = {
    style: makeStyle(options.color ?? false),
    width: Math.max(40, options.width ?? 100),
    failOn: options.failOn,
    maxNotes: options.maxNotesPerRule ?? 3,
    maxWarnings: options.maxWarningsPerRule ?? 10,
  };
  const blocks = reports.map((report) => renderOne(report, { ...base, rules: new Map(report.rules.map((r) => [r.id, r])) }));
  const lines = blocks.flatMap((block, i) => (i === 0 ? block : ['', ...block]));
  if (reports.length > 1) {
    const all = reports.flatMap((r) => r.findings);
    lines.push('', ...verdictLines(`${reports.length} targets`, all, { ...base, rules: new Map() }));
  }
  return lines.join('\n') + '\n';
}
