/**
 * Deterministic serialisation and finding fingerprints, shared by the SARIF and
 * JSON reports and reusable by `diff`: equal data must give equal bytes, whatever
 * order a detector (or a worker pool) produced it in.
 */
import { createHash } from 'node:crypto';
import type { Finding } from '../core/findings.js';

/** Returns `value` with object keys reordered: `first` in that order, then the rest sorted. Arrays keep their order. */
export function orderKeys<T>(value: T, first: readonly string[] = []): T {
  if (Array.isArray(value)) return value.map((v: unknown) => orderKeys(v)) as T;
  if (value === null || typeof value !== 'object') return value;
  const source = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of first) if (source[key] !== undefined) out[key] = source[key];
  for (const key of Object.keys(source).sort()) {
    if (!(key in out) && source[key] !== undefined) out[key] = source[key];
  }
  return out as T;
}

function canonicalValue(value: unknown, sortArrays: boolean): unknown {
  if (Array.isArray(value)) {
    const items = value.map((v: unknown) => canonicalValue(v, sortArrays));
    // Lists in facts (payload entries, hosts) are sets: their order is an accident of the bundle layout.
    return sortArrays && items.every((v) => typeof v === 'string') ? [...(items as string[])].sort() : items;
  }
  if (value === null || typeof value !== 'object') return value;
  const source = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(source).sort()) {
    if (source[key] !== undefined) out[key] = canonicalValue(source[key], sortArrays);
  }
  return out;
}

/** JSON with every object's keys sorted; with `sortArrays`, string arrays are sorted too (set semantics). */
export function canonicalJson(value: unknown, options: { sortArrays?: boolean } = {}): string {
  return JSON.stringify(canonicalValue(value, options.sortArrays ?? false));
}

/**
 * What a finding *is*, independent of where it sits: rule, facts and code shape,
 * never file names, lines or offsets (they move with every release of a minified
 * bundle). 32 hex digits of SHA-256.
 */
export function findingFingerprint(finding: Pick<Finding, 'ruleId' | 'facts' | 'shape'>): string {
  const identity = { ruleId: finding.ruleId, facts: finding.facts, shape: finding.shape ?? null };
  return createHash('sha256').update(canonicalJson(identity, { sortArrays: true })).digest('hex').slice(0, 32);
}

/** Orders findings by place (file, offset, rule, message): a stable order for output and for numbering duplicates. */
export function compareByLocation(a: Finding, b: Finding): number {
  return (
    compareStrings(a.location.file, b.location.file) ||
    a.location.offset - b.location.offset ||
    compareStrings(a.ruleId, b.ruleId) ||
    compareStrings(a.message, b.message)
  );
}

/** Code-unit order, not locale order: the same on every machine. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
