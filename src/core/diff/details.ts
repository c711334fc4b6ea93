/**
 * What differs between two findings that are the same behaviour. Occurrence
 * counts and places (numbers, locations, messages, per-build XOR keys) are not
 * details: they change in every build. Lists are compared as sets.
 */
import type { Finding } from '../findings.js';
import type { DetailChange } from './types.js';

type FactValue = string | number | boolean | string[];

function sortedSet(values: readonly string[]): string[] {
  return [...new Set(values)].sort();
}

function setDiff(before: readonly string[], after: readonly string[]): { added: string[]; removed: string[] } {
  const b = new Set(before);
  const a = new Set(after);
  return { added: sortedSet(after.filter((x) => !b.has(x))), removed: sortedSet(before.filter((x) => !a.has(x))) };
}

/** The facts that count as details: everything but `key` and numbers. */
function detailFacts(f: Finding): Map<string, string | boolean | string[]> {
  const out = new Map<string, string | boolean | string[]>();
  for (const [name, value] of Object.entries(f.facts) as [string, FactValue][]) {
    if (name === 'key' || typeof value === 'number') continue;
    out.set(name, Array.isArray(value) ? sortedSet(value) : value);
  }
  return out;
}

/**
 * The details of a finding as one string: two findings have equal signatures
 * exactly when `compareDetails` finds no change between them.
 */
export function detailSignature(f: Finding): string {
  const facts = [...detailFacts(f)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([f.level, f.category, facts, f.codePoints ? sortedSet(f.codePoints) : null, f.decoded ?? null]);
}

/** The changes from `before` to `after`, in a fixed order; empty when the details are the same. */
export function compareDetails(before: Finding, after: Finding): DetailChange[] {
  const changes: DetailChange[] = [];
  if (before.level !== after.level) changes.push({ field: 'level', before: before.level, after: after.level });
  if (before.category !== after.category) changes.push({ field: 'category', before: before.category, after: after.category });
  const bf = detailFacts(before);
  const af = detailFacts(after);
  const names = sortedSet([...bf.keys(), ...af.keys()]);
  let listChanged = false;
  for (const name of names) {
    const b = bf.get(name);
    const a = af.get(name);
    if (Array.isArray(b) || Array.isArray(a)) {
      const { added, removed } = setDiff(Array.isArray(b) ? b : [], Array.isArray(a) ? a : []);
      if (added.length > 0 || removed.length > 0) {
        listChanged = true;
        changes.push({ field: `facts.${name}`, added, removed });
      }
    } else if (b !== a) {
      const change: DetailChange = { field: `facts.${name}` };
      if (b !== undefined) change.before = b;
      if (a !== undefined) change.after = a;
      changes.push(change);
    }
  }
  const cpDiff = setDiff(before.codePoints ?? [], after.codePoints ?? []);
  if (cpDiff.added.length > 0 || cpDiff.removed.length > 0) {
    listChanged = true;
    changes.push({ field: 'codePoints', ...cpDiff });
  }
  // A decoded list that grew is already told by its items; otherwise show the text.
  if ((before.decoded ?? null) !== (after.decoded ?? null) && !listChanged) {
    const change: DetailChange = { field: 'decoded' };
    if (before.decoded !== undefined) change.before = before.decoded;
    if (after.decoded !== undefined) change.after = after.decoded;
    changes.push(change);
  }
  return changes;
}
