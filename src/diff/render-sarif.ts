/**
 * `telltale diff --format sarif`: one SARIF 2.1.0 run holding every finding of
 * both releases once, each with `baselineState` (`new`, `updated`, `absent`,
 * `unchanged`). Results are built with the scan report's building blocks
 * (report/sarif.ts), so a diff result looks exactly like a scan result plus:
 * - locations of `absent` results point into the OLD package (`BASELINE_ROOT`),
 *   all others into the NEW one (`PACKAGE_ROOT`);
 * - `partialFingerprints["telltale-identity/v1"]`: the behaviour's stable id
 *   (rule + key), equal across releases;
 * - `properties.diff`: state details (previous level, what changed, match kind);
 * - `run.properties.diff`: both sides, summary, warnings and package changes.
 */
import type * as Sarif from 'sarif';
import type { DiffResult, FindingChange } from '../core/diff/types.js';
import { compareByLocation } from '../report/canonical.js';
import { OccurrenceCounter, SINGLE_TARGET_BASE_ID, sarifInvocation, sarifLog, sarifResult, sarifRules } from '../report/sarif.js';

export const BASELINE_BASE_ID = 'BASELINE_ROOT';
export const IDENTITY_FINGERPRINT_KEY = 'telltale-identity/v1';

function changeMessage(c: FindingChange): string {
  const parts = (c.changes ?? []).map((ch) => {
    const field = ch.field.replace(/^facts\./, '');
    if (ch.added || ch.removed) return `${field} ${[...(ch.added ?? []).map((x) => `+${x}`), ...(ch.removed ?? []).map((x) => `-${x}`)].slice(0, 12).join(' ')}`;
    return `${field} ${String(ch.before ?? '(none)')} → ${String(ch.after ?? '(none)')}`;
  });
  return parts.length > 0 ? ` [changed since baseline: ${parts.join('; ')}]` : '';
}

export function toDiffSarif(result: DiffResult): Sarif.Log {
  const table = sarifRules(
    result.rules,
    result.findings.map((c) => c.finding),
  );
  // Occurrence numbers as `scan` gives them: by place, per side.
  const occurrences = new Map<FindingChange, { fingerprint: number; identity: number }>();
  for (const sideChanges of [result.findings.filter((c) => c.state !== 'absent'), result.findings.filter((c) => c.state === 'absent')]) {
    const counter = new OccurrenceCounter();
    const identities = new Map<string, number>();
    for (const c of [...sideChanges].sort((a, b) => compareByLocation(a.finding, b.finding))) {
      const identity = (identities.get(c.id) ?? 0) + 1;
      identities.set(c.id, identity);
      occurrences.set(c, { fingerprint: counter.next(c.finding), identity });
    }
  }
  const results = result.findings.map((c): Sarif.Result => {
    const occurrence = occurrences.get(c)!;
    const r = sarifResult(c.finding, table.indexOf(c.ruleId), {
      uriBaseId: c.state === 'absent' ? BASELINE_BASE_ID : SINGLE_TARGET_BASE_ID,
      occurrence: occurrence.fingerprint,
    });
    r.baselineState = c.state;
    r.partialFingerprints = { ...r.partialFingerprints, [IDENTITY_FINGERPRINT_KEY]: `${c.id}:${occurrence.identity}` };
    if (c.state === 'updated') r.message = { text: r.message.text + changeMessage(c) };
    const diff: Record<string, unknown> = { id: c.id };
    if (c.match) diff.match = c.match;
    if (c.similarity !== undefined) diff.similarity = c.similarity;
    if (c.previousLevel) diff.previousLevel = c.previousLevel;
    if (c.escalated) diff.escalated = true;
    if (c.changes) diff.changes = c.changes;
    r.properties = { ...r.properties, diff };
    return r;
  });
  const label = (side: DiffResult['old']): string => (side.name ? ` (${side.name}${side.version ? `@${side.version}` : ''})` : '');
  return sarifLog({
    version: result.tool.version,
    rules: table.rules,
    results,
    invocation: sarifInvocation({
      skipped: result.package.newlySkipped.map((s) => ({ ...s, uriBaseId: SINGLE_TARGET_BASE_ID })),
      notes: result.warnings,
    }),
    originalUriBaseIds: {
      [SINGLE_TARGET_BASE_ID]: { description: { text: `root of NEW ${result.new.target}${label(result.new)}` } },
      [BASELINE_BASE_ID]: { description: { text: `root of OLD ${result.old.target}${label(result.old)}` } },
    },
    properties: {
      diff: {
        schemaVersion: result.schemaVersion,
        old: result.old,
        new: result.new,
        samePackage: result.samePackage,
        identical: result.identical,
        warnings: result.warnings,
        summary: result.summary,
        package: result.package,
      },
    },
  });
}

export function toDiffSarifText(result: DiffResult): string {
  return JSON.stringify(toDiffSarif(result), null, 2) + '\n';
}
