/**
 * `telltale diff --format json`: the DiffResult, with a fixed key order at every
 * level, so the same two inputs always give the same bytes (a scheduled job can
 * store it, hash it, and compare it with the next run). docs/formats.md ("diff").
 */
import type { DiffResult } from '../core/diff/types.js';
import { orderKeys } from '../report/canonical.js';

const RESULT_KEYS = ['schemaVersion', 'tool', 'old', 'new', 'samePackage', 'identical', 'warnings', 'summary', 'findings', 'package', 'rules'];
const CHANGE_KEYS = ['state', 'id', 'ruleId', 'level', 'previousLevel', 'escalated', 'category', 'match', 'similarity', 'changes', 'finding', 'previous'];
const FINDING_KEYS = ['ruleId', 'level', 'category', 'message', 'location', 'related', 'decoded', 'encoding', 'codePoints', 'facts', 'shape'];
const SIDE_KEYS = ['target', 'name', 'version', 'files', 'bytes', 'findings', 'digest'];

/** Every object's keys sorted (after `first` at the top level of that object); arrays keep their order. */
function sortDeep(value: unknown, first: readonly string[] = []): unknown {
  if (Array.isArray(value)) return value.map((v) => sortDeep(v));
  if (value === null || typeof value !== 'object') return value;
  const ordered = orderKeys(value as Record<string, unknown>, first);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(ordered)) out[k] = sortDeep(v, k === 'facts' ? ['key'] : []);
  return out;
}

export function jsonDiff(result: DiffResult): unknown {
  return orderKeys(
    {
      ...result,
      old: orderKeys(result.old, SIDE_KEYS),
      new: orderKeys(result.new, SIDE_KEYS),
      summary: sortDeep(result.summary, ['new', 'updated', 'escalated', 'absent', 'unchanged']),
      findings: result.findings.map((c) =>
        orderKeys(
          {
            ...c,
            finding: sortDeep(c.finding, FINDING_KEYS),
            ...(c.previous ? { previous: sortDeep(c.previous, FINDING_KEYS) } : {}),
            ...(c.changes ? { changes: c.changes.map((ch) => orderKeys(ch, ['field', 'added', 'removed', 'before', 'after'])) } : {}),
          },
          CHANGE_KEYS,
        ),
      ),
      package: sortDeep(result.package, ['files', 'nativeBinaries', 'newlySkipped', 'scripts', 'dependencies', 'bin']),
      rules: result.rules.map((r) => orderKeys(r, ['id', 'name', 'category', 'maxLevel', 'shortDescription', 'help'])),
    },
    RESULT_KEYS,
  );
}

export function toDiffJson(result: DiffResult): string {
  return JSON.stringify(jsonDiff(result), null, 2) + '\n';
}
