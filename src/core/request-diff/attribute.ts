/**
 * Attribution: which environment factors explain a change. A place in a request
 * takes one value per run; a set of factors explains it when runs that agree on
 * those factors always show the same value (a functional dependency). The
 * smallest such set is the cause: one factor for a plain trigger, two for an
 * interaction ("only with a non-official host, and then keyed on the timezone").
 * When several sets of the same size fit, the data cannot tell them apart: the
 * runs that would are returned as confirmation requests. Pure.
 */

export interface Observation {
  runId: string;
  assignment: Record<string, string>;
  value: string;
}

export type Attribution =
  | { status: 'explained'; factors: string[]; alternatives: string[][]; triggers: Array<Record<string, string>> }
  | { status: 'nondeterministic'; runs: string[] }
  | { status: 'unexplained' };

function combinations<T>(items: readonly T[], k: number): T[][] {
  const out: T[][] = [];
  const pick = (start: number, acc: T[]): void => {
    if (acc.length === k) {
      out.push([...acc]);
      return;
    }
    for (let i = start; i < items.length; i++) {
      acc.push(items[i]!);
      pick(i + 1, acc);
      acc.pop();
    }
  };
  pick(0, []);
  return out;
}

const tupleKey = (assignment: Record<string, string>, factors: readonly string[]): string =>
  factors.map((f) => `${f}=${assignment[f] ?? ''}`).join('\u0000');

function consistent(observations: readonly Observation[], factors: readonly string[]): boolean {
  const seen = new Map<string, string>();
  for (const o of observations) {
    const key = tupleKey(o.assignment, factors);
    const prev = seen.get(key);
    if (prev === undefined) seen.set(key, o.value);
    else if (prev !== o.value) return false;
  }
  return true;
}

/**
 * An interaction is credible when its triggers form a product (tz ∈ A and host ∈ B): no
 * observed run inside that product leaves the place unchanged. Noise that happens to be
 * consistent with many unique factor tuples (each run its own tuple) fails this test.
 */
function rectangular(observations: readonly Observation[], factors: readonly string[], baselineValue: string): boolean {
  const projections = factors.map(() => new Set<string>());
  for (const o of observations) if (o.value !== baselineValue) factors.forEach((f, i) => projections[i]!.add(o.assignment[f] ?? ''));
  return observations.every((o) => o.value !== baselineValue || !factors.every((f, i) => projections[i]!.has(o.assignment[f] ?? '')));
}

/** How directly the runs show that `factors` alone cause it: runs where only those factors differ from the baseline. */
function isolatedEvidence(observations: readonly Observation[], factors: readonly string[], baseline: Record<string, string>, baselineValue: string): number {
  let n = 0;
  for (const o of observations) {
    if (o.value === baselineValue) continue;
    const changed = Object.keys(baseline).filter((f) => o.assignment[f] !== baseline[f]);
    if (changed.every((f) => factors.includes(f))) n++;
  }
  return n;
}

export function attribute(
  observations: readonly Observation[],
  factorNames: readonly string[],
  baseline: Record<string, string>,
  baselineValue: string,
  maxFactors = 3,
): Attribution {
  // Same environment, different value: nondeterminism, not the environment.
  const byAssignment = new Map<string, Observation[]>();
  for (const o of observations) {
    const key = tupleKey(o.assignment, factorNames);
    const list = byAssignment.get(key) ?? [];
    list.push(o);
    byAssignment.set(key, list);
  }
  for (const list of byAssignment.values()) {
    if (new Set(list.map((o) => o.value)).size > 1) return { status: 'nondeterministic', runs: list.map((o) => o.runId) };
  }
  for (let k = 1; k <= Math.min(maxFactors, factorNames.length); k++) {
    const fits = combinations(factorNames, k).filter((set) => consistent(observations, set) && (k === 1 || rectangular(observations, set, baselineValue)));
    if (fits.length === 0) continue;
    const ranked = fits
      .map((set) => ({ set, evidence: isolatedEvidence(observations, set, baseline, baselineValue) }))
      .sort((a, b) => b.evidence - a.evidence);
    const best = ranked[0]!.set;
    const triggers = new Map<string, Record<string, string>>();
    for (const o of observations) {
      if (o.value === baselineValue) continue;
      const t: Record<string, string> = {};
      for (const f of best) t[f] = o.assignment[f]!;
      triggers.set(tupleKey(t, best), t);
    }
    return {
      status: 'explained',
      factors: best,
      alternatives: ranked.slice(1).map((r) => r.set),
      triggers: [...triggers.values()],
    };
  }
  return { status: 'unexplained' };
}

/**
 * The runs that would decide between the candidate explanations: for each
 * candidate set and each tuple where it predicts a change, the baseline with
 * only that tuple applied (skipped when such a run exists).
 */
export function confirmationsFor(
  observations: readonly Observation[],
  candidates: readonly string[][],
  baseline: Record<string, string>,
  baselineValue: string,
): Array<Record<string, string>> {
  const existing = new Set(observations.map((o) => JSON.stringify(changedOnly(o.assignment, baseline))));
  const out = new Map<string, Record<string, string>>();
  for (const set of candidates) {
    for (const o of observations) {
      if (o.value === baselineValue) continue;
      const t: Record<string, string> = {};
      for (const f of [...set].sort()) if (o.assignment[f] !== baseline[f]) t[f] = o.assignment[f]!;
      const key = JSON.stringify(t);
      if (Object.keys(t).length === 0 || existing.has(key)) continue;
      out.set(key, t);
    }
  }
  return [...out.values()];
}

export function changedOnly(assignment: Record<string, string>, baseline: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of Object.keys(baseline).sort()) if (assignment[f] !== baseline[f]) out[f] = assignment[f]!;
  return out;
}
