/** Counts shared by the JSON summary, the text verdict and exit codes. */
import { LEVEL_RANK, type Category, type Finding, type Level } from '../core/findings.js';
import type { ScanReport } from '../scan/types.js';
import { CATEGORIES } from './categories.js';
import { compareStrings } from './canonical.js';

export const LEVELS: readonly Level[] = ['error', 'warning', 'note'];

export interface ReportSummary {
  findings: number;
  /** Every level, zero included, so consumers never test for a missing key. */
  byLevel: Record<Level, number>;
  /** Every category, zero included. */
  byCategory: Record<Category, number>;
  /** Rule id → count, only rules that reported something, sorted by id. */
  byRule: Record<string, number>;
  filesScanned: number;
  filesSkipped: number;
  /** Sum of the scanned files' sizes. */
  bytesScanned: number;
}

export function countByLevel(findings: Iterable<Pick<Finding, 'level'>>): Record<Level, number> {
  const byLevel = Object.fromEntries(LEVELS.map((l) => [l, 0])) as Record<Level, number>;
  for (const f of findings) byLevel[f.level]++;
  return byLevel;
}

export function summarize(reports: readonly ScanReport[]): ReportSummary {
  const byLevel = countByLevel(reports.flatMap((r) => r.findings));
  const byCategory = Object.fromEntries(CATEGORIES.map((c) => [c, 0])) as Record<Category, number>;
  const rules = new Map<string, number>();
  let findings = 0;
  for (const report of reports) {
    for (const f of report.findings) {
      findings++;
      byCategory[f.category] = (byCategory[f.category] ?? 0) + 1;
      rules.set(f.ruleId, (rules.get(f.ruleId) ?? 0) + 1);
    }
  }
  const byRule = Object.fromEntries([...rules].sort((a, b) => compareStrings(a[0], b[0])));
  return {
    findings,
    byLevel,
    byCategory,
    byRule,
    filesScanned: reports.reduce((n, r) => n + r.files.length, 0),
    filesSkipped: reports.reduce((n, r) => n + r.skipped.length, 0),
    bytesScanned: reports.reduce((n, r) => n + r.files.reduce((m, f) => m + f.size, 0), 0),
  };
}

/** The worst level among findings, or undefined when there are none. */
export function worstLevel(findings: Iterable<Pick<Finding, 'level'>>): Level | undefined {
  let worst: Level | undefined;
  for (const f of findings) if (worst === undefined || LEVEL_RANK[f.level] > LEVEL_RANK[worst]) worst = f.level;
  return worst;
}
