/**
 * The request diff: every run is compared with the reference (baseline) run,
 * request by request and field by field; each change is classified, honest
 * variation dropped, and each remaining place of change is attributed to the
 * smallest set of factors that explains it across all runs. Hidden characters
 * present in every run are reported too. Pure: runs in, analysis out.
 */
import { escapePointerToken } from '../json-pointer.js';
import type { Level } from '../findings.js';
import { inspectText } from '../unicode/index.js';
import { alignRequests, fingerprint, identify, type RequestIdentity } from './align.js';
import { alignBodies, bodyLeaves } from './json-align.js';
import { attribute, confirmationsFor, type Observation } from './attribute.js';
import { canonicalSegment, compareSegments, isInvisibleCodePoint } from './classify.js';
import { findDates, isHonestNumberKey, normalizeIds } from './honest.js';
import { diffTokens, tokenize, tokenOffset, type Token } from './tokens.js';
import type {
  Analysis,
  CharChange,
  ConfirmationRequest,
  Difference,
  DifferenceKind,
  FactorInput,
  NondeterministicChange,
  PersistentHiddenChar,
  RequestInput,
  RunInput,
  UnexplainedChange,
} from './types.js';

type Part = 'body' | 'headers' | 'url';
type Scalar = string | number | boolean | null;

interface Field {
  part: Part;
  pointer: string;
  value: Scalar;
}

interface PreparedRequest {
  identity: RequestIdentity;
  input: RequestInput;
  /** Header and URL fields (and the body, when it is not JSON). */
  fields: Map<string, Field>;
  /** The JSON body, run artifacts erased. */
  json?: unknown;
  print?: Set<string>;
  /** All of the request as one text (computed when needed). */
  text?: string;
}

interface PreparedRun {
  run: RunInput;
  requests: PreparedRequest[];
}

/** Headers that always differ, or that only say what another field already says. */
const IGNORED_HEADERS = new Set([
  'host',
  'content-length',
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'x-stainless-retry-count',
  'x-stainless-timeout',
  'date',
]);

function eraseArtifacts(text: string, artifacts: readonly string[]): string {
  let out = text;
  for (const a of artifacts) if (a.length >= 4 && out.includes(a)) out = out.split(a).join('<sandbox>');
  return out;
}

/** The JSON body with run-specific strings (sandbox paths, ports) erased. */
function eraseDeep(value: unknown, artifacts: readonly string[], depth = 0): unknown {
  if (typeof value === 'string') return eraseArtifacts(value, artifacts);
  if (depth > 256 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => eraseDeep(v, artifacts, depth + 1));
  return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, eraseDeep(v, artifacts, depth + 1)]));
}

function prepareRequest(req: RequestInput, run: RunInput): PreparedRequest {
  const identity = identify(req, run.apiBases);
  const fields = new Map<string, Field>();
  const add = (f: Field): void => {
    const value = typeof f.value === 'string' ? eraseArtifacts(f.value, run.artifacts) : f.value;
    fields.set(`${f.part}:${f.pointer}`, { ...f, value });
  };
  add({ part: 'url', pointer: '', value: identity.relativePath });
  for (const [name, value] of Object.entries(req.headers)) {
    if (!IGNORED_HEADERS.has(name)) add({ part: 'headers', pointer: `/${escapePointerToken(name)}`, value });
  }
  const prepared: PreparedRequest = { identity, input: req, fields };
  if (req.json !== undefined) prepared.json = eraseDeep(req.json, run.artifacts);
  else if (req.body.length > 0) add({ part: 'body', pointer: '', value: req.body });
  return prepared;
}

const elementKey = (v: unknown): string => normalizeIds(JSON.stringify(v) ?? '');

/** Header, URL and body fields of two aligned requests under shared ids (body arrays aligned structurally). */
function pairedFields(ref: PreparedRequest, other: PreparedRequest): { a: Map<string, Field>; b: Map<string, Field> } {
  const a = new Map(ref.fields);
  const b = new Map(other.fields);
  if (ref.json !== undefined && other.json !== undefined) {
    const aligned = alignBodies(ref.json, other.json, elementKey);
    for (const [id, leaf] of aligned.reference) a.set(`body:${id}`, { part: 'body', pointer: leaf.pointer, value: leaf.value });
    for (const [id, leaf] of aligned.variant) b.set(`body:${id}`, { part: 'body', pointer: leaf.pointer, value: leaf.value });
  } else {
    const text = (r: PreparedRequest): string | undefined => (r.json !== undefined ? JSON.stringify(r.json) : undefined);
    const ta = text(ref);
    const tb = text(other);
    if (ta !== undefined) a.set('body:', { part: 'body', pointer: '', value: ta });
    if (tb !== undefined) b.set('body:', { part: 'body', pointer: '', value: tb });
  }
  return { a, b };
}

function printOf(r: PreparedRequest): Set<string> {
  r.print ??= fingerprint(r.input);
  return r.print;
}

/** One changed region of a string field in one run: reference chars [start, end) became `text`. */
interface Hunk {
  start: number;
  end: number;
  text: string;
  kind: DifferenceKind;
  chars: CharChange[];
}

interface FieldChange {
  refRequest: number;
  fieldId: string;
  part: Part;
  pointer: string;
  /** String fields: the hunks. Other fields: one whole-field hunk over the JSON text. */
  hunks: Hunk[];
  refText: string;
}

const KIND_PRIORITY: DifferenceKind[] = ['invisible-char', 'confusable-swap', 'format-change', 'whitespace-change', 'text-change'];

function strongest(kinds: Iterable<DifferenceKind>): DifferenceKind {
  const set = new Set(kinds);
  return KIND_PRIORITY.find((k) => set.has(k)) ?? 'text-change';
}

type TokenRange = { aStart: number; aEnd: number; bStart: number; bEnd: number };

/**
 * Widens a token hunk so that a date split over several words ("November 21,
 * 2026", where only "21," changed) is compared whole. Context tokens outside the
 * hunk are equal on both sides, so both sides widen by the same token counts;
 * the widening never reaches into a neighbouring hunk.
 */
function widenForDates(ta: Token[], tb: Token[], h: TokenRange, a: string, b: string, prev: TokenRange | undefined, next: TokenRange | undefined): TokenRange {
  const left = Math.min(6, h.aStart - (prev?.aEnd ?? 0), h.bStart - (prev?.bEnd ?? 0));
  const right = Math.min(6, (next?.aStart ?? ta.length) - h.aEnd, (next?.bStart ?? tb.length) - h.bEnd);
  let extendLeft = 0;
  let extendRight = 0;
  const consider = (text: string, tokens: Token[], start: number, end: number): void => {
    const off = (i: number): number => tokenOffset(tokens, i, text.length);
    const win0 = off(start - left);
    const hunk0 = off(start);
    const hunk1 = off(end);
    for (const d of findDates(text.slice(win0, off(end + right)))) {
      const s = win0 + d.start;
      const e = win0 + d.end;
      if (e <= hunk0 || s >= hunk1) continue;
      let l = 0;
      while (l < left && off(start - l) > s) l++;
      let r = 0;
      while (r < right && off(end + r) < e) r++;
      extendLeft = Math.max(extendLeft, l);
      extendRight = Math.max(extendRight, r);
    }
  };
  consider(a, ta, h.aStart, h.aEnd);
  consider(b, tb, h.bStart, h.bEnd);
  return { aStart: h.aStart - extendLeft, aEnd: h.aEnd + extendRight, bStart: h.bStart - extendLeft, bEnd: h.bEnd + extendRight };
}

function stringHunks(a: string, b: string, timezoneChanged: boolean): Hunk[] {
  const ta = tokenize(a);
  const tb = tokenize(b);
  const raw = diffTokens(
    ta.map((t) => t.text),
    tb.map((t) => t.text),
  );
  // Widen for dates, then merge hunks that now overlap or touch.
  const widened = raw.map((h, i) => widenForDates(ta, tb, h, a, b, raw[i - 1], raw[i + 1]));
  const merged: typeof widened = [];
  for (const h of widened) {
    const last = merged.at(-1);
    if (last && h.aStart <= last.aEnd && h.bStart <= last.bEnd) {
      last.aEnd = Math.max(last.aEnd, h.aEnd);
      last.bEnd = Math.max(last.bEnd, h.bEnd);
    } else merged.push({ ...h });
  }
  const out: Hunk[] = [];
  for (const h of merged) {
    const start = tokenOffset(ta, h.aStart, a.length);
    const end = tokenOffset(ta, h.aEnd, a.length);
    const bs = tokenOffset(tb, h.bStart, b.length);
    const be = tokenOffset(tb, h.bEnd, b.length);
    const segA = a.slice(start, end);
    const segB = b.slice(bs, be);
    const verdict = compareSegments(segA, segB, { timezoneChanged });
    if (verdict.kind === 'equal' || verdict.kind === 'honest') continue;
    out.push({ start, end, text: segB, kind: verdict.kind, chars: verdict.chars });
  }
  return out;
}

function compareFields(ref: PreparedRequest, other: PreparedRequest, refIndex: number, timezoneChanged: boolean): FieldChange[] {
  const out: FieldChange[] = [];
  const { a: refFields, b: otherFields } = pairedFields(ref, other);
  const ids = new Set([...refFields.keys(), ...otherFields.keys()]);
  for (const id of ids) {
    const a = refFields.get(id);
    const b = otherFields.get(id);
    if (a && b && a.value === b.value) continue;
    const meta = (a ?? b)!;
    if (a && b && typeof a.value === 'string' && typeof b.value === 'string') {
      const hunks = stringHunks(a.value, b.value, timezoneChanged);
      if (hunks.length > 0) out.push({ refRequest: refIndex, fieldId: id, part: meta.part, pointer: meta.pointer, hunks, refText: a.value });
      continue;
    }
    if (a && b && typeof a.value === 'number' && typeof b.value === 'number' && isHonestNumberKey(meta.pointer)) continue;
    if ((!a || !b) && isHonestNumberKey(meta.pointer)) continue;
    const show = (f: Field | undefined): string => (f === undefined ? '(absent)' : typeof f.value === 'string' ? f.value : JSON.stringify(f.value));
    const refText = show(a);
    const text = show(b);
    if (normalizeIds(refText) === normalizeIds(text)) continue;
    const verdict = compareSegments(refText, text, { timezoneChanged });
    if (verdict.kind === 'equal' || verdict.kind === 'honest') continue;
    out.push({
      refRequest: refIndex,
      fieldId: id,
      part: meta.part,
      pointer: meta.pointer,
      refText,
      hunks: [{ start: 0, end: refText.length, text, kind: verdict.kind, chars: verdict.chars }],
    });
  }
  return out;
}

interface Site {
  refRequest: number;
  fieldId: string;
  part: Part;
  pointer: string;
  start: number;
  end: number;
  refText: string;
}

/** Applies a run's hunks inside [start, end) of the reference text. */
function reconstruct(site: Site, hunks: readonly Hunk[]): string {
  let out = '';
  let at = site.start;
  for (const h of hunks) {
    out += site.refText.slice(at, h.start) + h.text;
    at = h.end;
  }
  return out + site.refText.slice(at, site.end);
}

function siteValue(baselineSeg: string, variantSeg: string): string {
  const canon = canonicalSegment(variantSeg);
  return canon === canonicalSegment(baselineSeg) ? `raw:${normalizeIds(variantSeg)}` : canon;
}

const EXCERPT = 40;

function excerpt(text: string, start: number, end: number, middle?: string): string {
  const from = Math.max(0, start - EXCERPT);
  const to = Math.min(text.length, end + EXCERPT);
  const mid = middle ?? text.slice(start, end);
  return `${from > 0 ? '…' : ''}${text.slice(from, start)}${mid}${text.slice(end, to)}${to < text.length ? '…' : ''}`;
}

function levelOf(kind: DifferenceKind, chars: CharChange[], factors: string[], roles: Map<string, FactorInput['role']>, apiRequest: boolean): Level {
  switch (kind) {
    case 'invisible-char':
    case 'confusable-swap':
      return 'error';
    case 'format-change':
      return factors.every((f) => roles.get(f) === 'locale') ? 'warning' : 'error';
    case 'whitespace-change':
      return chars.some((c) => parseInt(c.cp.slice(2), 16) > 0x7f) ? 'error' : 'warning';
    case 'extra-request':
      return apiRequest ? 'warning' : 'error';
    default:
      return 'warning';
  }
}

export interface AnalyzeInput {
  runs: RunInput[];
  factors: FactorInput[];
  /** Id of the reference run (a baseline run that made requests). */
  reference: string;
}

export function analyzeRuns(input: AnalyzeInput): Analysis {
  const factorNames = input.factors.map((f) => f.name);
  const roles = new Map(input.factors.map((f) => [f.name, f.role]));
  const baselineAssignment: Record<string, string> = Object.fromEntries(input.factors.map((f) => [f.name, f.baseline]));
  const prepared: PreparedRun[] = input.runs.map((run) => ({ run, requests: run.requests.map((r) => prepareRequest(r, run)) }));
  const ref = prepared.find((p) => p.run.id === input.reference);
  if (!ref) throw new Error(`reference run ${input.reference} not found`);
  const refTz = ref.run.env.TZ ?? '';

  // 1. Compare every run with the reference.
  const changesByRun = new Map<string, FieldChange[]>();
  const alignedByRun = new Map<string, Map<number, number>>(); // ref index → run index
  const extrasByRun = new Map<string, Array<{ key: string; ordinal: number; index: number }>>();
  for (const p of prepared) {
    if (p === ref) continue;
    const pairing = alignRequests(
      ref.requests.map((r) => r.identity.key),
      p.requests.map((r) => r.identity.key),
      (side, i) => printOf(side === 'reference' ? ref.requests[i]! : p.requests[i]!),
    );
    const aligned = new Map<number, number>();
    const changes: FieldChange[] = [];
    const extras: Array<{ key: string; ordinal: number; index: number }> = [];
    const extraCount = new Map<string, number>();
    const tzChanged = (p.run.env.TZ ?? '') !== refTz;
    pairing.forEach((refIndex, i) => {
      if (refIndex < 0) {
        const key = p.requests[i]!.identity.key;
        const ordinal = extraCount.get(key) ?? 0;
        extraCount.set(key, ordinal + 1);
        extras.push({ key, ordinal, index: i });
        return;
      }
      aligned.set(refIndex, i);
      changes.push(...compareFields(ref.requests[refIndex]!, p.requests[i]!, refIndex, tzChanged));
    });
    changesByRun.set(p.run.id, changes);
    alignedByRun.set(p.run.id, aligned);
    extrasByRun.set(p.run.id, extras);
  }
  alignedByRun.set(ref.run.id, new Map(ref.requests.map((_, i) => [i, i])));
  changesByRun.set(ref.run.id, []);
  extrasByRun.set(ref.run.id, []);

  // 2. Sites: overlapping changed ranges of one field, merged over all runs.
  const rangesByField = new Map<string, { change: FieldChange; ranges: Array<[number, number]> }>();
  for (const changes of changesByRun.values()) {
    for (const c of changes) {
      const key = `${c.refRequest}|${c.fieldId}`;
      const e = rangesByField.get(key) ?? { change: c, ranges: [] };
      for (const h of c.hunks) e.ranges.push([h.start, h.end]);
      rangesByField.set(key, e);
    }
  }
  const sites: Site[] = [];
  for (const { change, ranges } of rangesByField.values()) {
    ranges.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
    let cur: [number, number] | null = null;
    const flush = (): void => {
      if (cur) sites.push({ refRequest: change.refRequest, fieldId: change.fieldId, part: change.part, pointer: change.pointer, start: cur[0], end: cur[1], refText: change.refText });
    };
    for (const r of ranges) {
      if (cur && r[0] <= cur[1]) cur[1] = Math.max(cur[1], r[1]);
      else {
        flush();
        cur = [r[0], r[1]];
      }
    }
    flush();
  }

  const differences: Difference[] = [];
  const nondeterministic: NondeterministicChange[] = [];
  const unexplained: UnexplainedChange[] = [];
  const confirm = new Map<string, ConfirmationRequest>();
  const runById = new Map(prepared.map((p) => [p.run.id, p]));
  const changedFactors = (a: Record<string, string>): number => factorNames.filter((f) => a[f] !== baselineAssignment[f]).length;

  const refRequestRef = (refIndex: number): Difference['request'] => {
    const r = ref.requests[refIndex]!;
    return { index: refIndex, endpoint: r.identity.endpoint, key: r.identity.key, host: r.input.host };
  };

  interface Finding {
    factors: string[];
    alternatives: string[][];
    trigger: Record<string, string>;
    kind: DifferenceKind;
    chars: CharChange[];
    request: Difference['request'];
    part: Difference['part'];
    field: string;
    baseline: string;
    variant: string;
    from: string;
    to: string;
    runs: string[];
    value: string;
    api: boolean;
  }
  const findings: Finding[] = [];

  const handle = (
    observations: Observation[],
    baselineValue: string,
    describeRun: (runId: string) => { kind: DifferenceKind; chars: CharChange[]; baseline: string; variant: string; from: string; to: string; request: Difference['request']; part: Difference['part']; field: string; api: boolean } | null,
  ): void => {
    if (observations.every((o) => o.value === baselineValue)) return;
    const verdict = attribute(observations, factorNames, baselineAssignment, baselineValue);
    const changedRuns = observations.filter((o) => o.value !== baselineValue);
    const sample = describeRun(changedRuns[0]!.runId);
    if (!sample) return;
    if (verdict.status === 'nondeterministic') {
      nondeterministic.push({ request: sample.request, part: sample.part, field: sample.field, kind: sample.kind, baseline: sample.baseline, variant: sample.variant, runs: verdict.runs });
      return;
    }
    if (verdict.status === 'unexplained') {
      unexplained.push({
        request: sample.request,
        part: sample.part,
        field: sample.field,
        kind: sample.kind,
        baseline: sample.baseline,
        variant: sample.variant,
        runs: changedRuns.map((o) => o.runId),
        level: levelOf(sample.kind, sample.chars, [], roles, sample.api),
      });
      return;
    }
    if (verdict.alternatives.length > 0) {
      for (const a of confirmationsFor(observations, [verdict.factors, ...verdict.alternatives], baselineAssignment, baselineValue)) {
        confirm.set(JSON.stringify(a), { assignment: a, reason: `decide between ${[verdict.factors, ...verdict.alternatives].map((s) => s.join('+')).join(', ')}` });
      }
    }
    for (const trigger of verdict.triggers) {
      const matching = changedRuns.filter((o) => verdict.factors.every((f) => o.assignment[f] === trigger[f]));
      if (matching.length === 0) continue;
      const representative = [...matching].sort((x, y) => changedFactors(x.assignment) - changedFactors(y.assignment))[0]!;
      const d = describeRun(representative.runId);
      if (!d) continue;
      findings.push({
        factors: verdict.factors,
        alternatives: verdict.alternatives,
        trigger,
        ...d,
        runs: matching.map((o) => o.runId),
        value: representative.value,
      });
    }
  };

  // 3. Attribute every site.
  for (const site of sites) {
    const baselineSeg = site.refText.slice(site.start, site.end);
    const baselineValue = canonicalSegment(baselineSeg);
    const hunksOf = (runId: string): Hunk[] =>
      (changesByRun.get(runId) ?? [])
        .filter((c) => c.refRequest === site.refRequest && c.fieldId === site.fieldId)
        .flatMap((c) => c.hunks)
        .filter((h) => h.start >= site.start && h.end <= site.end && !(h.start === h.end && (h.start < site.start || h.start > site.end)))
        .sort((x, y) => x.start - y.start);
    const observations: Observation[] = [];
    for (const p of prepared) {
      if (!alignedByRun.get(p.run.id)?.has(site.refRequest)) continue;
      const hunks = hunksOf(p.run.id);
      const value = hunks.length === 0 ? baselineValue : siteValue(baselineSeg, reconstruct(site, hunks));
      observations.push({ runId: p.run.id, assignment: p.run.assignment, value });
    }
    handle(observations, baselineValue, (runId) => {
      const hunks = hunksOf(runId);
      if (hunks.length === 0) return null;
      const p = runById.get(runId)!;
      const runIndex = alignedByRun.get(runId)!.get(site.refRequest)!;
      const req = p.requests[runIndex]!;
      const middle = reconstruct(site, hunks);
      return {
        kind: strongest(hunks.map((h) => h.kind)),
        chars: hunks.flatMap((h) => h.chars),
        baseline: excerpt(site.refText, site.start, site.end),
        variant: excerpt(site.refText, site.start, site.end, middle),
        from: site.refText.slice(site.start, site.end),
        to: middle,
        request: { index: runIndex, endpoint: req.identity.endpoint, key: req.identity.key, host: req.input.host },
        part: site.part,
        field: site.pointer,
        api: req.identity.api,
      };
    });
  }

  // 4. Extra requests (present only in some runs) and missing ones.
  const extraSites = new Map<string, { key: string; ordinal: number }>();
  for (const extras of extrasByRun.values()) for (const e of extras) extraSites.set(`${e.key}#${e.ordinal}`, e);
  for (const { key, ordinal } of extraSites.values()) {
    const observations: Observation[] = prepared.map((p) => ({
      runId: p.run.id,
      assignment: p.run.assignment,
      value: extrasByRun.get(p.run.id)!.some((e) => e.key === key && e.ordinal === ordinal) ? 'present' : 'absent',
    }));
    handle(observations, 'absent', (runId) => {
      const e = extrasByRun.get(runId)!.find((x) => x.key === key && x.ordinal === ordinal);
      if (!e) return null;
      const req = runById.get(runId)!.requests[e.index]!;
      const body = req.input.body.slice(0, 160);
      return {
        kind: 'extra-request',
        chars: [],
        baseline: '(no such request)',
        variant: `${describeRequest(req.input)}${body ? ` ${body}` : ''}`,
        from: '',
        to: describeRequest(req.input),
        request: { index: e.index, endpoint: req.identity.endpoint, key: req.identity.key, host: req.input.host },
        part: 'request',
        field: '',
        api: req.identity.api,
      };
    });
  }
  ref.requests.forEach((r, refIndex) => {
    const observations: Observation[] = prepared.map((p) => ({
      runId: p.run.id,
      assignment: p.run.assignment,
      value: alignedByRun.get(p.run.id)!.has(refIndex) ? 'present' : 'missing',
    }));
    handle(observations, 'present', () => ({
      kind: 'missing-request',
      chars: [],
      baseline: describeRequest(r.input),
      variant: '(no such request)',
      from: describeRequest(r.input),
      to: '',
      request: refRequestRef(refIndex),
      part: 'request',
      field: '',
      api: r.identity.api,
    }));
  });

  // 5. Group findings: same cause, same change → one group; same place → one entry with occurrences.
  const entries = new Map<string, Difference>();
  const groups = new Map<string, number>();
  for (const f of findings) {
    const groupKey = JSON.stringify([f.factors, f.kind, f.request.key, f.part, f.field.replace(/\/\d+(?=\/|$)/g, '/*'), f.value]);
    if (!groups.has(groupKey)) groups.set(groupKey, groups.size);
    const entryKey = JSON.stringify([groupKey, f.trigger, f.request.key, f.part, f.field]);
    const existing = entries.get(entryKey);
    if (existing) {
      existing.occurrences++;
      continue;
    }
    const fv = f.factors.map((name) => ({ factor: name, value: f.trigger[name]!, baselineValue: baselineAssignment[name]! }));
    const difference: Difference = {
      group: groups.get(groupKey)!,
      factor: f.factors.join('+'),
      value: fv.map((x) => x.value).join(' + '),
      baselineValue: fv.map((x) => x.baselineValue).join(' + '),
      factors: fv,
      request: f.request,
      part: f.part,
      field: f.field,
      kind: f.kind,
      level: levelOf(f.kind, f.chars, f.factors, roles, f.api),
      baseline: f.baseline,
      variant: f.variant,
      from: f.from,
      to: f.to,
      codePoints: [...new Set(f.chars.flatMap((c) => (c.from ? [c.from, c.cp] : [c.cp])))],
      characters: dedupeChars(f.chars),
      occurrences: 1,
      runs: f.runs,
    };
    if (f.alternatives.length > 0) difference.alternatives = f.alternatives;
    entries.set(entryKey, difference);
  }

  return {
    differences: [...entries.values()].sort((a, b) => a.group - b.group),
    persistent: persistentHidden(ref, prepared, alignedByRun),
    nondeterministic: dedupeBy(nondeterministic, (n) => `${n.request.key}|${n.part}|${n.field}|${n.kind}`),
    unexplained: dedupeBy(unexplained, (n) => `${n.request.key}|${n.part}|${n.field}|${n.kind}|${n.variant}`),
    confirm: [...confirm.values()],
    reference: ref.run.id,
  };
}

const describeRequest = (r: RequestInput): string => (r.method === 'CONNECT' ? `CONNECT ${r.path}` : `${r.method} ${r.host}${r.path}`);

function dedupeChars(chars: CharChange[]): CharChange[] {
  const seen = new Map<string, CharChange>();
  for (const c of chars) seen.set(`${c.change}|${c.from ?? ''}|${c.cp}`, c);
  return [...seen.values()];
}

function dedupeBy<T>(items: T[], key: (t: T) => string): T[] {
  const seen = new Map<string, T>();
  for (const i of items) if (!seen.has(key(i))) seen.set(key(i), i);
  return [...seen.values()];
}

const ERROR_HIDDEN = new Set(['tag', 'bidi-control', 'invisible', 'variation-selector']);

/** Hidden characters of the reference run that every other run sends as well. */
function persistentHidden(ref: PreparedRun, runs: PreparedRun[], aligned: Map<string, Map<number, number>>): PersistentHiddenChar[] {
  const out = new Map<string, PersistentHiddenChar>();
  const textOf = (r: PreparedRequest): string => {
    r.text ??= [...r.fields.values()].map((f) => String(f.value)).join('\n') + (r.json !== undefined ? JSON.stringify(r.json) : '');
    return r.text;
  };
  ref.requests.forEach((req, refIndex) => {
    const all = new Map(req.fields);
    if (req.json !== undefined) for (const [pointer, leaf] of bodyLeaves(req.json)) all.set(`body:${pointer}`, { part: 'body', pointer, value: leaf.value });
    for (const [fieldId, field] of all) {
      if (typeof field.value !== 'string' || !/[^\x09\x0a\x0d\x20-\x7e]/.test(field.value)) continue;
      const text = field.value;
      const inspection = inspectText(text, { confusablesInMixedWordsOnly: true });
      for (const c of inspection.chars) {
        if (c.legitimate) continue;
        const ch = String.fromCodePoint(c.codePoint);
        const everywhere = runs.every((p) => {
          const i = aligned.get(p.run.id)?.get(refIndex);
          if (i === undefined) return true;
          // Anywhere in the aligned request: fields may sit at other pointers in other runs.
          return textOf(p.requests[i]!).includes(ch);
        });
        if (!everywhere) continue;
        const key = `${refIndex}|${fieldId}|${c.cp}`;
        const existing = out.get(key);
        if (existing) {
          existing.count++;
          continue;
        }
        const entry: PersistentHiddenChar = {
          request: { index: refIndex, endpoint: req.identity.endpoint, key: req.identity.key, host: req.input.host },
          part: field.part,
          field: field.pointer,
          cp: c.cp,
          name: c.name,
          kind: c.kind,
          level: ERROR_HIDDEN.has(c.kind) || isInvisibleCodePoint(c.codePoint) ? 'error' : 'warning',
          count: 1,
          excerpt: excerpt(text, c.offset, c.offset + c.length),
        };
        const payload = inspection.tagPayloads.find((t) => c.offset >= t.offset && c.offset < t.offset + t.length);
        if (payload) entry.payload = payload.text;
        out.set(key, entry);
      }
    }
  });
  return [...out.values()];
}
