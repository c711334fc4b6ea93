/**
 * `--format json`: the ScanReport itself, plus `schemaVersion` and summary
 * counts, with a fixed key order and findings sorted by place, so two runs on
 * the same package give byte-identical output (diffable, cacheable).
 *
 * One target gives one report object; several give
 * `{ schemaVersion, summary, reports: [report…] }`. docs/formats.md describes both.
 */
import type { Finding, SourceLocation } from '../core/findings.js';
import type { ScanReport } from '../scan/types.js';
import { compareByLocation, orderKeys } from './canonical.js';
import { summarize, type ReportSummary } from './summary.js';

/** Bumped when a field is renamed or removed or changes meaning; adding fields keeps it. */
export const JSON_SCHEMA_VERSION = 1;

export type JsonScanReport = { schemaVersion: typeof JSON_SCHEMA_VERSION; summary: ReportSummary } & ScanReport;

export interface JsonScanSet {
  schemaVersion: typeof JSON_SCHEMA_VERSION;
  summary: ReportSummary;
  reports: JsonScanReport[];
}

// Known keys come first in reading order; any key added to the shared types later follows, sorted.
const REPORT_KEYS = ['schemaVersion', 'tool', 'target', 'package', 'startedAt', 'durationMs', 'summary', 'findings', 'files', 'skipped', 'notes', 'manifest', 'rules'];
const FINDING_KEYS = ['ruleId', 'level', 'category', 'message', 'location', 'related', 'decoded', 'encoding', 'codePoints', 'facts', 'shape'];
const LOCATION_KEYS = ['file', 'line', 'column', 'offset', 'length', 'byteOffset', 'snippet'];
const RULE_KEYS = ['id', 'name', 'category', 'maxLevel', 'shortDescription', 'help'];
const FILE_KEYS = ['path', 'kind', 'size', 'findings', 'ms', 'sha256'];
const MANIFEST_KEYS = ['bin', 'scripts', 'dependencies', 'optionalDependencies'];

function location(loc: SourceLocation): SourceLocation {
  return orderKeys(loc, LOCATION_KEYS);
}

function finding(f: Finding): Finding {
  const out: Finding = { ...f, location: location(f.location), facts: orderKeys(f.facts, ['key']) };
  if (f.related) out.related = f.related.map((r) => orderKeys({ message: r.message, location: location(r.location) }, ['message', 'location']));
  return orderKeys(out, FINDING_KEYS);
}

export function jsonScanReport(report: ScanReport): JsonScanReport {
  const out: JsonScanReport = {
    ...report,
    schemaVersion: JSON_SCHEMA_VERSION,
    summary: summarize([report]),
    findings: [...report.findings].sort(compareByLocation).map(finding),
    files: report.files.map((f) => orderKeys(f, FILE_KEYS)),
    rules: report.rules.map((r) => orderKeys(r, RULE_KEYS)),
  };
  if (report.package) out.package = orderKeys(report.package, ['name', 'version']);
  if (report.manifest) {
    // Inside scripts/dependencies, sorted names: npm does not guarantee their order.
    const m = report.manifest;
    out.manifest = orderKeys(
      {
        ...m,
        scripts: m.scripts && orderKeys(m.scripts),
        dependencies: m.dependencies && orderKeys(m.dependencies),
        optionalDependencies: m.optionalDependencies && orderKeys(m.optionalDependencies),
        bin: typeof m.bin === 'object' ? orderKeys(m.bin) : m.bin,
      },
      MANIFEST_KEYS,
    );
  }
  return orderKeys(out, REPORT_KEYS);
}

export function jsonReport(reports: readonly ScanReport[]): JsonScanReport | JsonScanSet {
  if (reports.length === 1) return jsonScanReport(reports[0]!);
  return { schemaVersion: JSON_SCHEMA_VERSION, summary: summarize(reports), reports: reports.map(jsonScanReport) };
}

/** The text of `--format json`, two-space indented, ending in a newline. */
export function toJson(reports: readonly ScanReport[]): string {
  return JSON.stringify(jsonReport(reports), null, 2) + '\n';
}
