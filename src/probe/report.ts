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

function change(d: Difference): string {
  if (d.kind === 'extra-request') return `extra request ${visible(d.to, 90)}`;
  if (d.kind === 'missing-request') return `missing request ${visible(d.from, 90)}`;
  const swaps = d.characters
    .slice(0, 3)
    .map((c) => (c.change === 'swapped' ? `${c.from} ${c.fromName} → ${c.cp} ${c.name}` : `${c.change} ${c.cp} ${c.name}`));
  const chars = d.kind === 'text-change' || d.kind === 'format-change' || swaps.length === 0 ? '' : ` (${swaps.join('; ')}${d.characters.length > 3 ? '; …' : ''})`;
  return `${d.kind}${chars}: "${visible(d.from, 50)}" → "${visible(d.to, 50)}"`;
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
    lines.push('', `Findings (${ordered.length}):`);
    for (const group of ordered) {
      const d = group[0]!;
      const occurrences = Math.max(...group.map((g) => g.occurrences));
      const where = d.kind === 'extra-request' || d.kind === 'missing-request' ? '' : `  [${d.request.endpoint} ${d.part === 'body' ? '' : `${d.part} `}${d.field || '(whole)'}${occurrences > 1 ? ` ×${occurrences}` : ''}]`;
      const alt = d.alternatives?.length ? `  (or: ${d.alternatives.map((a) => a.join('+')).join(', ')})` : '';
      lines.push(`  ${d.level.padEnd(7)} ${condition(group, result)} → ${change(d)}${where}${alt}`);
    }
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
