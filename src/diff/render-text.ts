/**
 * `telltale diff --format text`: what an update changed, most important first —
 * new errors and warnings (and findings that got more severe), install scripts
 * and native binaries, then new endpoints, environment reads, region
 * comparisons, decoded strings and other notes, then what changed inside known
 * findings, what disappeared, and the plain package facts.
 * Unchanged findings are only counted. Analysed text passes through
 * report/terminal.ts, so hidden characters show as `<U+XXXX>`.
 */
import type { Finding, Level } from '../core/findings.js';
import type { DetailChange, DiffResult, FindingChange, PackageChanges } from '../core/diff/types.js';
import type { FailOn } from '../report/exit-code.js';
import { formatBytes, formatDuration } from '../report/text.js';
import { makeStyle, renderCells, toCells, truncateCells, visible, wrapText, type Style } from '../report/terminal.js';
import { failingChanges } from './exit-code.js';

export interface DiffTextOptions {
  color?: boolean;
  width?: number;
  failOn?: FailOn;
  /** Wall time of the whole diff, shown in the header when given. */
  durationMs?: number;
  /** Items listed per section before the rest is counted. Default 25. */
  maxPerSection?: number;
}

interface Ctx {
  style: Style;
  width: number;
  max: number;
}

const MARKER: Readonly<Record<Level, string>> = { error: '✖', warning: '▲', note: '•' };
const INDENT = '      ';

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function levelColor(style: Style, level: Level): (s: string) => string {
  return level === 'error' ? style.red : level === 'warning' ? style.yellow : style.cyan;
}

function place(f: Finding, style: Style): string {
  const loc = f.location;
  const byte = loc.byteOffset !== undefined ? ` (byte 0x${loc.byteOffset.toString(16).toUpperCase()})` : '';
  return style.cyan(`${visible(loc.file, style)}:${loc.line}:${loc.column}`) + style.dim(byte);
}

/**
 * One line of analysed text, hidden characters made visible, cut to fit. The
 * scanner marks cut snippet ends with `…`, itself a look-alike: kept plain.
 */
function oneLine(text: string, room: number, style: Style): string {
  const flat = text.replace(/\s+/g, ' ');
  const lead = flat.startsWith('…') ? '…' : '';
  const trail = flat.length > lead.length && flat.endsWith('…') ? '…' : '';
  const core = flat.slice(lead.length, flat.length - trail.length);
  const cells = truncateCells(toCells(core), Math.max(16, room - lead.length - trail.length));
  const cut = cells[cells.length - 1]?.index === -1;
  return lead + renderCells(cells, style) + (cut ? '' : trail);
}

function findingLines(c: FindingChange, sign: string, ctx: Ctx): string[] {
  const { style } = ctx;
  const f = c.finding;
  const level = levelColor(style, c.level)(`${MARKER[c.level]} ${c.level}`);
  const was = c.previousLevel ? style.dim(` (was ${c.previousLevel})`) : '';
  const out = [`  ${sign} ${level}${was}  ${style.bold(f.ruleId)} ${f.category}  ${place(f, style)}`];
  out.push(...wrapText(f.message, ctx.width, INDENT, style));
  if (f.location.snippet) out.push(INDENT + style.dim('│ ') + oneLine(f.location.snippet, ctx.width - INDENT.length - 2, style));
  if (f.decoded !== undefined) {
    out.push(INDENT + style.dim(`decoded (${f.encoding ?? 'hidden'}): `) + oneLine(JSON.stringify(f.decoded), ctx.width - INDENT.length - 30, style));
  }
  if (f.codePoints && f.codePoints.length > 0) out.push(INDENT + style.dim('chars: ') + f.codePoints.slice(0, 8).join(' '));
  for (const r of (f.related ?? []).slice(0, 6)) out.push(INDENT + style.dim('↳ ') + place({ ...f, location: r.location }, style) + ' ' + visible(r.message, style, false));
  return out;
}

function changeLines(changes: readonly DetailChange[], ctx: Ctx): string[] {
  const { style } = ctx;
  const out: string[] = [];
  for (const ch of changes) {
    const field = ch.field.replace(/^facts\./, '');
    if (ch.added || ch.removed) {
      const parts = [...(ch.added ?? []).map((x) => style.green(`+${visible(x, style)}`)), ...(ch.removed ?? []).map((x) => style.red(`-${visible(x, style)}`))];
      out.push(INDENT + style.dim(`${field}: `) + parts.slice(0, 30).join(' ') + (parts.length > 30 ? style.dim(` … +${parts.length - 30}`) : ''));
    } else {
      const show = (v: string | boolean | undefined): string => (v === undefined ? '(none)' : oneLine(String(v), Math.floor((ctx.width - INDENT.length - field.length) / 2) - 4, style));
      out.push(INDENT + style.dim(`${field}: `) + `${show(ch.before)} → ${show(ch.after)}`);
    }
  }
  return out;
}

function section(title: string, items: readonly FindingChange[], render: (c: FindingChange) => string[], ctx: Ctx): string[] {
  if (items.length === 0) return [];
  const out = ['', ctx.style.bold(`${title} (${items.length})`)];
  for (const c of items.slice(0, ctx.max)) out.push(...render(c));
  if (items.length > ctx.max) out.push(ctx.style.dim(`  … ${items.length - ctx.max} more; --format json lists all`));
  return out;
}

/** A compact one-line entry for a note: `+ api.example.com (llm-api)  file:line:col`. */
function brief(sign: string, label: (f: Finding) => string, ctx: Ctx): (c: FindingChange) => string[] {
  return (c) => {
    const where = place(c.finding, makeStyle(false));
    return [`  ${sign} ${oneLine(label(c.finding), ctx.width - where.length - 6, ctx.style)}  ${place(c.finding, ctx.style)}`];
  };
}

function factString(f: Finding, name: string): string | undefined {
  const v = f.facts[name];
  return typeof v === 'string' ? v : undefined;
}

function endpointLabel(f: Finding): string {
  const host = factString(f, 'host') ?? f.facts.key.replace(/^host:/, '');
  const cls = factString(f, 'class');
  return cls ? `${host} (${cls})` : host;
}

function envLabel(f: Finding): string {
  const signal = factString(f, 'signal');
  const api = factString(f, 'api');
  return signal && api ? `${signal}: ${api}` : f.facts.key;
}

function decodedLabel(f: Finding): string {
  const kind = factString(f, 'kind');
  const text = f.decoded ?? f.facts.key;
  return `${kind ? `${kind} ` : ''}${JSON.stringify(text)}${f.encoding ? ` (${f.encoding})` : ''}`;
}

function signOf(state: string, style: Style): string {
  return state === 'added' ? style.green('+') : state === 'removed' ? style.red('-') : style.yellow('~');
}

/** Install scripts and native binaries: what runs on install or outside the JavaScript analysis. */
function installLines(pkg: PackageChanges, ctx: Ctx): string[] {
  const { style } = ctx;
  const out: string[] = [];
  for (const s of pkg.scripts.filter((x) => x.install)) {
    const value = s.state === 'removed' ? s.before : s.after;
    const was = s.state === 'changed' ? style.dim(` (was: ${oneLine(s.before ?? '', 40, style)})`) : '';
    out.push(`  ${signOf(s.state, style)} ${style.yellow(s.name)}: ${oneLine(value ?? '', ctx.width - 30, style)}${was}`);
  }
  for (const b of pkg.nativeBinaries) out.push(`  ${style.green('+')} ${visible(b.path, style)} (${b.kind}, ${formatBytes(b.size)})`);
  return out.length > 0 ? ['', style.bold(`INSTALL SCRIPTS AND NATIVE BINARIES CHANGED (${out.length})`), ...out] : [];
}

function packageLines(pkg: PackageChanges, ctx: Ctx): string[] {
  const { style } = ctx;
  const out: string[] = [];
  const other = pkg.scripts.filter((s) => !s.install);
  const sign = (state: string): string => signOf(state, style);
  for (const b of pkg.bin) out.push(`  ${sign(b.state)} bin ${visible(b.name, style)}: ${visible(b.before ?? '', style)}${b.state === 'changed' ? ' → ' : ''}${visible(b.after ?? '', style)}`);
  for (const d of pkg.dependencies.slice(0, ctx.max)) {
    const field = d.field === 'optionalDependencies' ? 'optional dependency' : 'dependency';
    const version = d.state === 'changed' ? `${d.before} → ${d.after}` : (d.after ?? d.before ?? '');
    out.push(`  ${sign(d.state)} ${field} ${visible(d.name, style)} ${visible(version, style)}`);
  }
  if (pkg.dependencies.length > ctx.max) out.push(style.dim(`  … ${pkg.dependencies.length - ctx.max} more dependency changes`));
  if (other.length > 0) out.push(`  ${style.yellow('~')} other scripts: ${other.map((s) => `${s.state === 'added' ? '+' : s.state === 'removed' ? '-' : '~'}${s.name}`).join(' ')}`);
  const f = pkg.files;
  if (f.added.length + f.removed.length + f.changed.length > 0) {
    out.push(`  files: ${f.added.length} added, ${f.removed.length} removed, ${f.changed.length} changed, ${f.unchanged} unchanged`);
    const binaries = new Set(pkg.nativeBinaries.map((b) => b.path));
    for (const a of f.added.filter((x) => !binaries.has(x.path)).slice(0, 10)) out.push(`    ${style.green('+')} ${visible(a.path, style)} (${a.kind}, ${formatBytes(a.size)})`);
    for (const r of f.removed.slice(0, 10)) out.push(`    ${style.red('-')} ${visible(r.path, style)} (${r.kind}, ${formatBytes(r.size)})`);
    const biggest = [...f.changed].sort((a, b) => Math.abs(b.delta) - Math.abs(a.delta) || (a.path < b.path ? -1 : 1)).slice(0, 10);
    for (const c of biggest) {
      const delta = `${c.delta >= 0 ? '+' : '-'}${formatBytes(Math.abs(c.delta))}`;
      const kind = c.previousKind ? `, ${c.previousKind} → ${c.kind}` : '';
      out.push(`    ${style.yellow('~')} ${visible(c.path, style)} ${formatBytes(c.previousSize)} → ${formatBytes(c.size)} (${delta}${kind})`);
    }
  }
  for (const s of pkg.newlySkipped.slice(0, 10)) out.push(`  ${style.yellow('!')} not analysed in NEW: ${visible(s.path, style)} — ${visible(s.reason, style, false)}`);
  return out.length > 0 ? ['', style.bold('PACKAGE CHANGES'), ...out] : [];
}

function sideLabel(side: DiffResult['old']): string {
  return side.name ? `${side.name}${side.version ? `@${side.version}` : ''}` : side.target;
}

export function toDiffText(result: DiffResult, options: DiffTextOptions = {}): string {
  const style = makeStyle(options.color ?? false);
  const ctx: Ctx = { style, width: options.width ?? 100, max: options.maxPerSection ?? 25 };
  const all = result.findings;
  const s = result.summary;
  const newOnes = all.filter((c) => c.state === 'new');
  const serious = [...newOnes.filter((c) => c.level !== 'note'), ...all.filter((c) => c.escalated)];
  const newNotes = newOnes.filter((c) => c.level === 'note');
  const endpoints = newNotes.filter((c) => c.category === 'network-endpoint' || c.category === 'telemetry');
  const envReads = newNotes.filter((c) => c.category === 'env-fingerprint');
  const regions = newNotes.filter((c) => c.category === 'region-targeting');
  const decoded = newNotes.filter((c) => c.category === 'obfuscated-payload');
  const shown = new Set([...endpoints, ...envReads, ...regions, ...decoded]);
  const otherNotes = newNotes.filter((c) => !shown.has(c));
  const updated = all.filter((c) => c.state === 'updated' && !c.escalated);
  const absent = all.filter((c) => c.state === 'absent');

  const oldLabel = sideLabel(result.old);
  const newLabel = sideLabel(result.new);
  const newCount = s.new.error + s.new.warning + s.new.note;
  const failing = options.failOn ? failingChanges(result, options.failOn) : [];
  let verdict: string;
  if (result.identical) verdict = style.green('✓ identical files: nothing changed');
  else if (s.new.error > 0 || all.some((c) => c.escalated && c.level === 'error')) verdict = style.red(style.bold('✖ new error-level findings'));
  else if (s.new.warning > 0 || s.escalated > 0) verdict = style.yellow(style.bold('▲ new warnings to review'));
  else if (result.package.nativeBinaries.length > 0 || result.package.scripts.some((x) => x.install && x.state !== 'removed')) {
    verdict = style.yellow(style.bold('▲ nothing new at error or warning; install scripts or native binaries to review'));
  } else if (newCount + s.updated + s.absent === 0) verdict = style.green('✓ no security-relevant changes in findings');
  else verdict = style.green('✓ nothing new at error or warning');
  if (options.failOn && failing.length > 0) verdict += style.dim(` (exit 1: --fail-on ${options.failOn})`);

  const counts = [
    `${newCount} new${newCount > 0 ? ` (${(['error', 'warning', 'note'] as const).filter((l) => s.new[l] > 0).map((l) => `${s.new[l]} ${l}`).join(', ')})` : ''}`,
    `${s.updated} updated${s.escalated > 0 ? ` (${s.escalated} more severe)` : ''}`,
    `${s.absent} gone`,
    `${s.unchanged} unchanged`,
  ].join(', ');
  const out: string[] = [
    `${style.bold(`telltale diff ${visible(oldLabel, style)} → ${visible(newLabel, style)}`)} — ${verdict}`,
    '  ' + style.dim(`OLD ${visible(result.old.target, style)}: ${plural(result.old.files, 'file')}, ${formatBytes(result.old.bytes)}, ${plural(result.old.findings, 'finding')}`),
    '  ' + style.dim(`NEW ${visible(result.new.target, style)}: ${plural(result.new.files, 'file')}, ${formatBytes(result.new.bytes)}, ${plural(result.new.findings, 'finding')}${options.durationMs !== undefined ? ` · ${formatDuration(options.durationMs)}` : ''}`),
    '  ' + counts,
  ];
  for (const w of result.warnings) out.push(style.yellow(`  ! ${visible(w, style, false)}`));

  out.push(...section('NEW ERRORS AND WARNINGS', serious, (c) => [...findingLines(c, c.state === 'new' ? style.green('+') : style.yellow('↑'), ctx), ...changeLines(c.changes ?? [], ctx)], ctx));
  out.push(...installLines(result.package, ctx));
  out.push(...section('NEW ENDPOINTS', endpoints, brief(style.green('+'), endpointLabel, ctx), ctx));
  out.push(...section('NEW ENVIRONMENT READS', envReads, brief(style.green('+'), envLabel, ctx), ctx));
  out.push(...section('NEW REGION COMPARISONS', regions, brief(style.green('+'), (f) => f.message, ctx), ctx));
  out.push(...section('NEW DECODED STRINGS', decoded, brief(style.green('+'), decodedLabel, ctx), ctx));
  out.push(...section('OTHER NEW NOTES', otherNotes, brief(style.green('+'), (f) => `${f.ruleId} ${f.message}`, ctx), ctx));
  out.push(
    ...section(
      'CHANGED',
      updated,
      (c) => [`  ${style.yellow('~')} ${c.level} ${style.bold(c.ruleId)} ${oneLine(c.finding.message, ctx.width - 30, style)}  ${place(c.finding, style)}`, ...changeLines(c.changes ?? [], ctx)],
      ctx,
    ),
  );
  out.push(...section('GONE', absent, (c) => [`  ${style.red('-')} ${c.level} ${style.bold(c.ruleId)} ${oneLine(c.finding.message, ctx.width - 30, style)}`], ctx));
  out.push(...packageLines(result.package, ctx));
  return out.join('\n') + '\n';
}
