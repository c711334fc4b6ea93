/**
 * `--fail-on` for `diff` applies to what the update brought: NEW findings, and
 * findings that got more severe (escalated) — each at its NEW level. Findings
 * that were already there (unchanged, or updated at the same level) never fail a
 * diff: `telltale scan` is the gate for those.
 */
import type { DiffResult, FindingChange } from '../core/diff/types.js';
import { exitCodeFor, type FailOn } from '../report/exit-code.js';

/** The changes `--fail-on` looks at that reach its threshold. */
export function failingChanges(result: DiffResult, failOn: FailOn): FindingChange[] {
  const candidates = result.findings.filter((c) => c.state === 'new' || c.escalated === true);
  return candidates.filter((c) => exitCodeFor([c], failOn) === 1);
}

export function diffExitCode(result: DiffResult, failOn: FailOn): 0 | 1 {
  return failingChanges(result, failOn).length > 0 ? 1 : 0;
}
