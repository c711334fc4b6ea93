/**
 * The probe's reports: a text report a person reads in a minute (verdict first,
 * one line per finding: factor → what changed), and the JSON document of the
 * `probe --format json` contract (runs carry request summaries; full captured
 * requests of the reference run are included, all of them with --captures).
 */
import { classifyCodePoint } from '../core/unicode/index.js';
import type { Difference } from '../core/request-diff/types.js';
import type { ProbeResult, RunRecord } from './types.js';

/** Shows what a person cannot see: hidden and look-alike characters as ⟨U+XXXX⟩, line breaks as \n. */
export function visible(text: string, max = 70): string {
  let out = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (cp > 0x7e && classifyCodePoint(cp) !== null) out += `⟨U+${cp.toString(16).toUpperCase().padStart(4, '0')}⟩`;
    else out += ch;
  }
  return out.length > max ? `${out.slice(0, max - 1)}…` : out;
}

function duration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  const s = ms / 1000;
  return s < 60 ? `${s.toFixed(1)} s` : `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
}

function condition(group: Difference[], result: ProbeResult): string {
  const first = group[0]!;
  if (first.factors.length === 1) {
    const f = first.factors[0]!;
    const values = [...new Set(group.map((d) => d.value))];
    const all = result.matrix.find((m) => m.factor === f.factor)?.values ?? [];
    if (values.length === 1) return `${f.factor}=${values[0]}`;
    if (all.length > 2 && values.length === all.length) return `${f.factor}≠${f.baselineValue} (every value tried)`;
    return `${f.factor} ∈ {${values.join(', ')}}`;
  }
  const combos = [...new Set(group.map((d) => d.factors.map((x) => `${x.factor}=${x.value}`).join(' & ')))];
  return combos.length <= 2 ? combos.join(' | ') : `${combos.slice(0, 2).join(' | ')} | … (${combos.length} combinations)`;
}

const ABSENT = '(absent)';

/** A short name for a whole JSON element (a tool's name, an event's name), else its start. */
function elementName(json: string): string {
  const m = /"(?:name|event_name|type)":"([^"]{1,60})"/.exec(json);
  return m ? m[1]! : visible(json, 40);
}

function change(d: Difference): string {
  if (d.kind === 'extra-request') return `extra request ${visible(d.to, 90)}`;
  if (d.kind === 'missing-request') return `missing request ${visible(d.from, 90)}`;
  const swaps = d.characters
    .slice(0, 3)
    .map((c) => (c.change === 'swapped' ? `${c.from} ${c.fromName} → ${c.cp} ${c.name}` : `${c.change} ${c.cp} ${c.name}`));
  const chars = d.kind === 'text-change' || d.kind === 'format-change' || swaps.length === 0 ? '' : ` (${swaps.join('; ')}${d.characters.length > 3 ? '; …' : ''})`;
  if (d.from === ABSENT) return `${d.kind}${chars}: added "${visible(d.to, 60)}"`;
  if (d.to === ABSENT) return `${d.kind}${chars}: removed "${visible(d.from, 60)}"`;
  const [from, to] = trimCommon(d.from, d.to);
  return `${d.kind}${chars}: "${from}" → "${to}"`;
}

/** Long values that differ in a small part: keep the differing middle, with a little context. */
function trimCommon(a: string, b: string): [string, string] {
  if (a.length <= 50 && b.length <= 50) return [visible(a, 50), visible(b, 50)];
  let p = 0;
  while (p < a.length && p < b.length && a[p] === b[p]) p++;
  let q = 0;
  while (q < a.length - p && q < b.length - p && a[a.length - 1 - q] === b[b.length - 1 - q]) q++;
  const from = Math.max(0, p - 12);
  const cut = (s: string): string => `${from > 0 ? '…' : ''}${visible(s.slice(from, s.length - Math.max(0, q - 12)), 50)}${q > 12 ? '…' : ''}`;
  return [cut(a), cut(b)];
}

const where = (d: Difference, occurrences: number): string =>
  d.kind === 'extra-request' || d.kind === 'missing-request'
    ? ''
    : `  [${d.request.endpoint} ${d.part === 'body' ? '' : `${d.part} `}${d.field || '(whole)'}${occurrences > 1 ? ` ×${occurrences}` : ''}]`;

/** The top of a pointer (`/tools/3/name` → `/tools`): where many small changes are summed up. */
const topField = (d: Difference): string => `${d.part}:${/^\/[^/]*/.exec(d.field)?.[0] ?? ''}`;

/** One line per finding; warnings and notes in the same place under the same condition are summed up in one line. */
function findingLines(ordered: Difference[][], result: ProbeResult): string[] {
  const lines: string[] = [];
  const buckets = new Map<string, Difference[][]>();
  for (const group of ordered) {
    const d = group[0]!;
    if (d.level === 'error' || d.kind === 'extra-request' || d.kind === 'missing-request') {
      buckets.set(`single:${buckets.size}`, [group]);
      continue;
    }
    const key = JSON.stringify([d.level, d.factor, d.request.endpoint, d.kind, topField(d)]);
    buckets.set(key, [...(buckets.get(key) ?? []), group]);
  }
  for (const groups of buckets.values()) {
    const d = groups[0]![0]!;
    const cond = condition(groups.flat(), result);
    if (groups.every((g) => g[0]!.part === d.part && g[0]!.field === d.field)) {
      // One place, one or more values of the factor(s): one line.
      const occurrences = Math.max(...groups.flat().map((g) => g.occurrences));
      const alt = d.alternatives?.length ? `  (or: ${d.alternatives.map((a) => a.join('+')).join(', ')})` : '';
      const more = groups.length > 1 ? ` (${groups.length} variants)` : '';
      lines.push(`  ${d.level.padEnd(7)} ${cond} → ${change(d)}${more}${where(d, occurrences)}${alt}`);
      continue;
    }
    const firsts = groups.map((g) => g[0]!);
    const added = firsts.filter((x) => x.from === ABSENT);
    const removed = firsts.filter((x) => x.to === ABSENT);
    const changed = firsts.length - added.length - removed.length;
    const parts = [added.length ? `${added.length} added` : '', removed.length ? `${removed.length} removed` : '', changed ? `${changed} changed` : ''].filter(Boolean);
    const names = [...added.map((x) => `+${elementName(x.to)}`), ...removed.map((x) => `-${elementName(x.from)}`)].slice(0, 5);
    const field = topField(d).replace(/^body:/, '').replace(/^(\w+):/, '$1 ');
    lines.push(`  ${d.level.padEnd(7)} ${cond} → ${d.kind} in ${firsts.length} places (${parts.join(', ')}${names.length ? `: ${names.join(', ')}${added.length + removed.length > names.length ? ', …' : ''}` : ''})  [${d.request.endpoint} ${field || '(whole)'}]`);
  }
  return lines;
}

function runBreakdown(runs: RunRecord[]): string {
  const count = (phase: string): number => runs.filter((r) => r.phase === phase).length;
  const parts = [`${count('baseline')} baseline`, `${count('single')} one-factor`, `${count('pairwise')} pairwise`];
  if (count('confirm') > 0) parts.push(`${count('confirm')} confirmation`);
  return `${runs.length} runs (${parts.join(', ')})`;
}

export function renderText(result: ProbeResult): string {
  const lines: string[] = [];
  const s = result.summary;
  lines.push(s.headline);
  lines.push(`agent: ${result.agent.command.join(' ')}`);
  const groups = new Map<number, Difference[]>();
  for (const d of result.differences) groups.set(d.group, [...(groups.get(d.group) ?? []), d]);
  const ordered = [...groups.values()].sort((a, b) => (a[0]!.level === b[0]!.level ? 0 : a[0]!.level === 'error' ? -1 : 1));
  if (ordered.length > 0) {
    lines.push('', `Findings (${result.differences.length} differences, ${ordered.length} distinct):`);
    lines.push(...findingLines(ordered, result));
  }
  if (result.persistent.length > 0) {
    lines.push('', `Hidden characters in every run (${result.persistent.length}):`);
    for (const p of result.persistent.slice(0, 20)) {
      lines.push(`  ${p.level.padEnd(7)} ${p.cp} ${p.name} [${p.kind}] ×${p.count} in ${p.request.endpoint} ${p.part === 'body' ? '' : `${p.part} `}${p.field}: "${visible(p.excerpt, 60)}"${p.payload ? ` spells "${p.payload}"` : ''}`);
    }
    if (result.persistent.length > 20) lines.push(`  … ${result.persistent.length - 20} more in the JSON report`);
  }
  if (result.unexplained.length > 0) {
    lines.push('', `Changes no factor explains (${result.unexplained.length}):`);
    for (const u of result.unexplained.slice(0, 10)) lines.push(`  ${u.level.padEnd(7)} ${u.kind} in ${u.request.endpoint} ${u.field || ''} (runs ${u.runs.slice(0, 5).join(', ')}${u.runs.length > 5 ? ', …' : ''})`);
  }
  if (result.nondeterministic.length > 0) {
    lines.push('', `Varies between identical runs, not reported as findings (${result.nondeterministic.length}):`);
    for (const n of result.nondeterministic.slice(0, 5)) lines.push(`  note    ${n.kind} in ${n.request.endpoint} ${n.part === 'body' ? '' : `${n.part} `}${n.field || '(whole)'}`);
  }
  if (result.egress.length > 0) {
    lines.push('', 'Egress (every run together):');
    for (const e of result.egress.slice(0, 12)) {
      lines.push(`  ${e.host || '(no host)'}: ${e.requests === 0 ? 'looked up, no request' : `${e.requests} request${e.requests > 1 ? 's' : ''} in ${e.runs} run${e.runs > 1 ? 's' : ''} (${e.endpoints.slice(0, 4).join(', ')})`}`);
    }
    if (result.egress.length > 12) lines.push(`  … ${result.egress.length - 12} more hosts in the JSON report`);
  }
  lines.push('');
  lines.push(`Runs: ${runBreakdown(result.runs)}, ${s.jobs} at a time; wall ${duration(s.wallMs)}, slowest run ${duration(s.slowestRunMs)}; ${s.runsWithRequests} made requests`);
  lines.push(`Isolation: ${result.isolation.description}${result.isolation.mode === 'namespaces' ? `; agent ran as ${result.isolation.runAs}; masked ${result.isolation.masked.join(', ') || 'nothing'}` : ''}`);
  if (s.problems.length > 0) {
    lines.push('Problems:');
    for (const p of s.problems.slice(0, 8)) lines.push(`  ${p}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The JSON document. Runs carry request summaries; full requests for the reference run (or all, with `full`). */
export function toJson(result: ProbeResult, full = false): unknown {
  return {
    ...result,
    runs: result.runs.map((r) => ({
      ...r,
      requests:
        full || r.id === result.reference
          ? r.requests
          : r.requests.map((q) => ({ seq: q.seq, method: q.method, host: q.host, path: q.path, endpoint: q.endpoint, arrival: q.arrival, tls: q.tls, bodyBytes: q.bodyBytes, status: q.status })),
    })),
  };
}
