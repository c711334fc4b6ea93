/**
 * Pairs the findings of two releases by what they are, not where they are.
 *
 * 1. Identity: same `ruleId` and same `facts.key` (built by each detector from
 *    behaviour only). Multiset-aware: two findings with one identity in NEW and
 *    one in OLD give one pair and one new finding. Within an identity, equal
 *    details pair first (unchanged), the rest pair by code shape and content
 *    (updated).
 * 2. Similarity, for what is left: same `ruleId`, a changed key, but content that
 *    overlaps (a hidden domain list that grew, a covert channel that reads one
 *    more signal, a decoded text that was edited), tie-broken by the `shape`
 *    fingerprint of the code around it. A finding whose identity is a single value
 *    (a host, a signal API) never pairs this way: another host is a new endpoint.
 * 3. Shape alone, only for notes: same rule, same kind of key, the same plain
 *    facts (host, API, encoding…), near-identical code structure — e.g. a
 *    character-code array that decodes differently because the build's XOR key
 *    changed. A warning or error is never explained away by shape alone.
 * Everything else is new (only in NEW) or absent (only in OLD).
 */
import { createHash } from 'node:crypto';
import { LEVEL_RANK, type Finding } from '../findings.js';
import { compareDetails, detailSignature } from './details.js';
import { listSimilarity, shapeSimilarity, textSimilarity } from './similarity.js';
import type { BaselineState, FindingChange, MatchKind } from './types.js';

/** Content overlap needed for a similarity pair; lower (with a near-identical shape) when shapes agree. */
const CONTENT_THRESHOLD = 0.5;
const CONTENT_THRESHOLD_WITH_SHAPE = 0.3;
const SHAPE_THRESHOLD = 0.8;
/** Structure similarity needed to pair two notes on shape alone. */
const SHAPE_ONLY_THRESHOLD = 0.9;

/** The stable id of a behaviour: the same in every release that has it. */
export function findingId(f: Pick<Finding, 'ruleId' | 'facts'>): string {
  return createHash('sha256').update(`${f.ruleId}\u0000${f.facts.key}`).digest('hex').slice(0, 16);
}

function identityOf(f: Finding): string {
  return `${f.ruleId}\u0000${f.facts.key}`;
}

/** The lists a finding is made of (non-empty ones), for content overlap. */
interface Profile {
  finding: Finding;
  lists: Map<string, string[]>;
}

function profileOf(f: Finding): Profile {
  const lists = new Map<string, string[]>();
  for (const [name, value] of Object.entries(f.facts)) {
    if (name !== 'key' && Array.isArray(value) && value.length > 0) lists.set(`facts.${name}`, value);
  }
  if (f.codePoints && f.codePoints.length > 0) lists.set('codePoints', f.codePoints);
  return { finding: f, lists };
}

/** 0..1: how much of the two findings' content is shared; 0 when they have no comparable content. */
function contentSimilarity(a: Profile, b: Profile): number {
  const names = new Set([...a.lists.keys(), ...b.lists.keys()]);
  if (names.size > 0) {
    let sum = 0;
    for (const name of names) sum += listSimilarity(a.lists.get(name) ?? [], b.lists.get(name) ?? []);
    return sum / names.size;
  }
  const da = a.finding.decoded;
  const db = b.finding.decoded;
  return da !== undefined && db !== undefined ? textSimilarity(da, db) : 0;
}

function comparable(p: Profile): boolean {
  return p.lists.size > 0 || p.finding.decoded !== undefined;
}

function keyKind(f: Finding): string {
  const i = f.facts.key.indexOf(':');
  return i < 0 ? f.facts.key : f.facts.key.slice(0, i);
}

/** Same single-valued facts (strings and booleans; lists, numbers and the key aside). */
function sameScalars(a: Finding, b: Finding): boolean {
  const names = new Set([...Object.keys(a.facts), ...Object.keys(b.facts)]);
  for (const name of names) {
    if (name === 'key') continue;
    const x = a.facts[name];
    const y = b.facts[name];
    if (Array.isArray(x) || Array.isArray(y) || typeof x === 'number' || typeof y === 'number') continue;
    if (x !== y) return false;
  }
  return true;
}

/** Score for a pair of notes that only their code structure ties together, or undefined. */
function shapeOnlyScore(a: Finding, b: Finding): number | undefined {
  if (a.level !== 'note' || b.level !== 'note' || a.shape === undefined || b.shape === undefined) return undefined;
  if (keyKind(a) !== keyKind(b) || !sameScalars(a, b)) return undefined;
  const shape = shapeSimilarity(a.shape, b.shape);
  return shape >= SHAPE_ONLY_THRESHOLD ? shape / 2 : undefined;
}

function shapeScore(a: Finding, b: Finding): number | undefined {
  return a.shape !== undefined && b.shape !== undefined ? shapeSimilarity(a.shape, b.shape) : undefined;
}

interface Pair {
  old: Finding;
  new: Finding;
  match: MatchKind;
  similarity?: number;
}

/** Greedy best-first assignment of scored candidate pairs; ties keep input order. */
function assign<T extends { oi: number; ni: number; score: number }>(candidates: T[], usedOld: Set<number>, usedNew: Set<number>): T[] {
  candidates.sort((x, y) => y.score - x.score || x.ni - y.ni || x.oi - y.oi);
  const chosen: T[] = [];
  for (const c of candidates) {
    if (usedOld.has(c.oi) || usedNew.has(c.ni)) continue;
    usedOld.add(c.oi);
    usedNew.add(c.ni);
    chosen.push(c);
  }
  return chosen;
}

function pairWithinIdentity(olds: Finding[], news: Finding[], pairs: Pair[], restOld: Finding[], restNew: Finding[]): void {
  // Equal details first: the same finding, unchanged.
  const bySignature = new Map<string, number[]>();
  olds.forEach((o, i) => {
    const sig = detailSignature(o);
    const list = bySignature.get(sig);
    if (list) list.push(i);
    else bySignature.set(sig, [i]);
  });
  const usedOld = new Set<number>();
  const usedNew = new Set<number>();
  news.forEach((n, ni) => {
    const oi = bySignature.get(detailSignature(n))?.shift();
    if (oi === undefined) return;
    usedOld.add(oi);
    usedNew.add(ni);
    pairs.push({ old: olds[oi]!, new: n, match: 'identity' });
  });
  // Then the closest remaining ones: same behaviour, changed details.
  if (usedOld.size < olds.length && usedNew.size < news.length) {
    const candidates: { oi: number; ni: number; score: number }[] = [];
    news.forEach((n, ni) => {
      if (usedNew.has(ni)) return;
      const pn = profileOf(n);
      olds.forEach((o, oi) => {
        if (usedOld.has(oi)) return;
        const shape = shapeScore(o, n);
        const content = contentSimilarity(profileOf(o), pn);
        candidates.push({ oi, ni, score: shape === undefined ? content : (content + shape) / 2 });
      });
    });
    for (const c of assign(candidates, usedOld, usedNew)) pairs.push({ old: olds[c.oi]!, new: news[c.ni]!, match: 'identity' });
  }
  olds.forEach((o, i) => usedOld.has(i) || restOld.push(o));
  news.forEach((n, i) => usedNew.has(i) || restNew.push(n));
}

function pairBySimilarity(olds: Finding[], news: Finding[], pairs: Pair[], restOld: Finding[], restNew: Finding[]): void {
  const oldProfiles = olds.map(profileOf);
  const newProfiles = news.map(profileOf);
  const candidates: { oi: number; ni: number; score: number; content: number }[] = [];
  newProfiles.forEach((pn, ni) => {
    oldProfiles.forEach((po, oi) => {
      const content = comparable(pn) && comparable(po) ? contentSimilarity(po, pn) : 0;
      const shape = content >= CONTENT_THRESHOLD_WITH_SHAPE ? shapeScore(po.finding, pn.finding) : undefined;
      if (content >= CONTENT_THRESHOLD || (content >= CONTENT_THRESHOLD_WITH_SHAPE && shape !== undefined && shape >= SHAPE_THRESHOLD)) {
        candidates.push({ oi, ni, content, score: shape === undefined ? content : 0.7 * content + 0.3 * shape });
        return;
      }
      const byShape = shapeOnlyScore(po.finding, pn.finding);
      if (byShape !== undefined) candidates.push({ oi, ni, content, score: byShape });
    });
  });
  const usedOld = new Set<number>();
  const usedNew = new Set<number>();
  for (const c of assign(candidates, usedOld, usedNew)) {
    pairs.push({ old: olds[c.oi]!, new: news[c.ni]!, match: 'similar', similarity: Math.round(c.score * 1000) / 1000 });
  }
  olds.forEach((o, i) => usedOld.has(i) || restOld.push(o));
  news.forEach((n, i) => usedNew.has(i) || restNew.push(n));
}

function groupBy(findings: readonly Finding[], keyOf: (f: Finding) => string): Map<string, Finding[]> {
  const out = new Map<string, Finding[]>();
  for (const f of findings) {
    const k = keyOf(f);
    const list = out.get(k);
    if (list) list.push(f);
    else out.set(k, [f]);
  }
  return out;
}

function single(state: BaselineState, f: Finding): FindingChange {
  return { state, id: findingId(f), ruleId: f.ruleId, level: f.level, category: f.category, finding: f };
}

function fromPair(p: Pair): FindingChange {
  const changes = compareDetails(p.old, p.new);
  if (p.match === 'similar' && changes.length === 0) changes.push({ field: 'key', before: p.old.facts.key, after: p.new.facts.key });
  const change: FindingChange = {
    state: changes.length === 0 ? 'unchanged' : 'updated',
    id: findingId(p.new),
    ruleId: p.new.ruleId,
    level: p.new.level,
    category: p.new.category,
    match: p.match,
    finding: p.new,
  };
  // The OLD finding is kept where it tells something: what an updated finding was.
  if (changes.length > 0) change.previous = p.old;
  if (p.similarity !== undefined) change.similarity = p.similarity;
  if (p.old.level !== p.new.level) {
    change.previousLevel = p.old.level;
    if (LEVEL_RANK[p.new.level] > LEVEL_RANK[p.old.level]) change.escalated = true;
  }
  if (changes.length > 0) change.changes = changes;
  return change;
}

const STATE_ORDER: Record<BaselineState, number> = { new: 0, updated: 1, absent: 2, unchanged: 3 };

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Deterministic order: state, then most severe first, then rule, key and place. */
export function compareChanges(a: FindingChange, b: FindingChange): number {
  return (
    STATE_ORDER[a.state] - STATE_ORDER[b.state] ||
    LEVEL_RANK[b.level] - LEVEL_RANK[a.level] ||
    compareStrings(a.ruleId, b.ruleId) ||
    compareStrings(a.finding.facts.key, b.finding.facts.key) ||
    compareStrings(a.finding.location.file, b.finding.location.file) ||
    a.finding.location.offset - b.finding.location.offset
  );
}

/** Every finding of both releases, each exactly once, with its baseline state. */
export function matchFindings(oldFindings: readonly Finding[], newFindings: readonly Finding[]): FindingChange[] {
  const pairs: Pair[] = [];
  const restOld: Finding[] = [];
  const restNew: Finding[] = [];
  const oldById = groupBy(oldFindings, identityOf);
  const newById = groupBy(newFindings, identityOf);
  for (const [id, news] of newById) pairWithinIdentity(oldById.get(id) ?? [], news, pairs, restOld, restNew);
  for (const [id, olds] of oldById) if (!newById.has(id)) restOld.push(...olds);

  const gone: Finding[] = [];
  const added: Finding[] = [];
  const oldByRule = groupBy(restOld, (f) => f.ruleId);
  const newByRule = groupBy(restNew, (f) => f.ruleId);
  for (const [rule, news] of newByRule) pairBySimilarity(oldByRule.get(rule) ?? [], news, pairs, gone, added);
  for (const [rule, olds] of oldByRule) if (!newByRule.has(rule)) gone.push(...olds);

  const out: FindingChange[] = [
    ...pairs.map(fromPair),
    ...added.map((f) => single('new', f)),
    ...gone.map((f) => single('absent', f)),
  ];
  return out.sort(compareChanges);
}
