/**
 * Which runs to make: the baseline (at least twice, to see nondeterminism), every
 * value of every factor alone against the baseline, and — for interactions — a
 * covering array in which every pair of non-baseline values of two factors
 * appears in at least one run. Greedy and deterministic. Pure.
 */
import type { Factor, Matrix } from './matrix.js';

export type RunPhase = 'baseline' | 'single' | 'pairwise' | 'confirm';

export interface PlannedRun {
  id: string;
  phase: RunPhase;
  /** 0-based repeat number. */
  repeat: number;
  /** Factor → value label, for factors that differ from the baseline. */
  changes: Record<string, string>;
}

/** Rows of a strength-2 covering array over the non-baseline values; a missing factor keeps its baseline. */
export function pairwiseRows(factors: readonly Factor[]): Array<Record<string, string>> {
  const names = factors.map((f) => f.name);
  const values = new Map(factors.map((f) => [f.name, f.values.map((v) => v.label)]));
  const pairKey = (f: string, a: string, g: string, b: string): string => `${f}=${a}\u0000${g}=${b}`;
  const uncovered = new Set<string>();
  const pairsOf = new Map<string, Array<[string, string, string, string]>>();
  for (let i = 0; i < names.length; i++) {
    for (let j = i + 1; j < names.length; j++) {
      const f = names[i]!;
      const g = names[j]!;
      const list: Array<[string, string, string, string]> = [];
      for (const a of values.get(f)!) for (const b of values.get(g)!) {
        uncovered.add(pairKey(f, a, g, b));
        list.push([f, a, g, b]);
      }
      pairsOf.set(`${f}\u0000${g}`, list);
    }
  }
  const order = (f: string): number => names.indexOf(f);
  const covers = (row: Record<string, string>, f: string, a: string): number => {
    let n = 0;
    for (const [g, b] of Object.entries(row)) {
      const key = order(f) < order(g) ? pairKey(f, a, g, b) : pairKey(g, b, f, a);
      if (uncovered.has(key)) n++;
    }
    return n;
  };
  const rows: Array<Record<string, string>> = [];
  // Largest factors first: their pairs dominate the size of the array.
  const bySize = [...names].sort((x, y) => values.get(y)!.length - values.get(x)!.length || order(x) - order(y));
  while (uncovered.size > 0) {
    const first = uncovered.values().next().value as string;
    const [left, right] = first.split('\u0000') as [string, string];
    const [f, a] = left.split(/=(.*)/s) as [string, string];
    const [g, b] = right.split(/=(.*)/s) as [string, string];
    const row: Record<string, string> = { [f]: a, [g]: b };
    for (const h of bySize) {
      if (h in row) continue;
      let best: string | null = null;
      let bestGain = 0;
      for (const v of values.get(h)!) {
        const gain = covers(row, h, v);
        if (gain > bestGain) {
          best = v;
          bestGain = gain;
        }
      }
      if (best !== null) row[h] = best;
    }
    const entries = Object.entries(row);
    for (let i = 0; i < entries.length; i++) {
      for (let j = i + 1; j < entries.length; j++) {
        const [x, xv] = entries[i]!;
        const [y, yv] = entries[j]!;
        uncovered.delete(order(x) < order(y) ? pairKey(x, xv, y, yv) : pairKey(y, yv, x, xv));
      }
    }
    rows.push(Object.fromEntries(names.filter((n) => n in row).map((n) => [n, row[n]!])));
  }
  return rows;
}

const label = (changes: Record<string, string>): string =>
  Object.entries(changes)
    .map(([f, v]) => `${f}=${v}`)
    .join(',');

export function planRuns(matrix: Matrix, repeat = matrix.repeat): PlannedRun[] {
  const runs: PlannedRun[] = [];
  const seen = new Set<string>();
  const add = (phase: RunPhase, changes: Record<string, string>, times: number): void => {
    const key = label(changes);
    if (seen.has(key)) return;
    seen.add(key);
    for (let r = 0; r < times; r++) runs.push({ id: '', phase, repeat: r, changes });
  };
  add('baseline', {}, Math.max(2, repeat));
  for (const f of matrix.factors) for (const v of f.values) add('single', { [f.name]: v.label }, repeat);
  if (matrix.interactions === 'pairwise' && matrix.factors.length > 1) {
    for (const row of pairwiseRows(matrix.factors)) add('pairwise', row, repeat);
  }
  runs.forEach((r, i) => (r.id = `r${String(i).padStart(3, '0')}`));
  return runs;
}

/** The full assignment (every factor → value label) of a run. */
export function assignmentOf(matrix: Matrix, changes: Record<string, string>): Record<string, string> {
  return Object.fromEntries(matrix.factors.map((f) => [f.name, changes[f.name] ?? f.baseline.label]));
}

export function describeChanges(changes: Record<string, string>): string {
  const text = label(changes);
  return text === '' ? 'baseline' : text;
}
