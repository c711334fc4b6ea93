/**
 * SARIF 2.1.0 output, exactly as DESIGN.md's contract says; docs/formats.md has
 * the field-by-field mapping.
 *
 * Building blocks (`diff` reuses them to report introduced/removed findings):
 * - `sarifRule(meta)`: one `tool.driver.rules[]` entry for a detector.
 * - `sarifRules(metas, findings)`: the rule table (union by id, in the given
 *   order) and `indexOf(ruleId)` for `ruleIndex`.
 * - `sarifPhysicalLocation(location, context)`: artifact URI + region (line,
 *   column, charOffset/charLength, snippet, byteOffset inside binaries).
 * - `sarifResult(finding, ruleIndex, context)`: one result, with related
 *   locations, a code flow for covert-channel chains, `partialFingerprints` and
 *   the telltale properties. Set `result.baselineState` afterwards for a diff.
 * - `OccurrenceCounter`: numbers results that share a fingerprint (`…:1`, `…:2`).
 * - `sarifInvocation(input)`: times, `executionSuccessful`, and notifications for
 *   skipped files and scanner notes.
 * - `sarifLog(run)`: the whole log, one run.
 * - `toSarif(reports)`: the `scan` log.
 *
 * Several targets share one run: each target is a `uriBaseId`
 * (`PACKAGE_ROOT` for one target, `PACKAGE_ROOT_1`, `PACKAGE_ROOT_2`, … for
 * several), described in `run.originalUriBaseIds`, so every URI stays relative
 * to its own package root.
 */
import type * as Sarif from 'sarif';
import { securitySeverity, type Category, type Finding, type RuleMeta, type SourceLocation } from '../core/findings.js';
import type { SkippedFile } from '../loading/types.js';
import type { ScanReport } from '../scan/types.js';
import { CATEGORY_CWE, CATEGORY_DESCRIPTION, CATEGORY_PRECISION } from './categories.js';
import { compareByLocation, findingFingerprint } from './canonical.js';

export const SARIF_SCHEMA_URI = 'https://json.schemastore.org/sarif-2.1.0.json';
/** Where a code-scanning user learns what telltale is (the package page until the project has a public home). */
export const TELLTALE_INFORMATION_URI = 'https://www.npmjs.com/package/telltale';
/** Key in `result.partialFingerprints`; the version changes only if the hashed identity changes. */
export const FINGERPRINT_KEY = 'telltale/v1';
export const SINGLE_TARGET_BASE_ID = 'PACKAGE_ROOT';

export const NOTIFICATION_SKIPPED = 'skipped-file';
export const NOTIFICATION_NOTE = 'scan-note';

/** `properties` of every rule. */
export interface SarifRuleProperties {
  category: Category;
  'security-severity': string;
  tags: string[];
  precision: 'very-high' | 'high' | 'medium' | 'low';
}

/** `properties` of every result; the optional ones are present only when the finding has them. */
export interface SarifResultProperties {
  category: Category;
  'security-severity': string;
  facts: Finding['facts'];
  decoded?: string;
  encoding?: string;
  codePoints?: string[];
  shape?: string;
}

export interface LocationContext {
  /** The package root the finding's paths are relative to. */
  uriBaseId: string;
  /** Index of a file in `run.artifacts`, when it is listed there. */
  artifactIndex?: (file: string) => number | undefined;
}

export interface ResultContext extends LocationContext {
  /** 1-based rank among results of the run with the same fingerprint (see `OccurrenceCounter`). */
  occurrence?: number;
}

export function sarifRule(meta: RuleMeta): Sarif.ReportingDescriptor {
  const cwe = CATEGORY_CWE[meta.category];
  const properties: SarifRuleProperties = {
    category: meta.category,
    // Code scanning reads severity from the rule, so the rule carries its worst case.
    'security-severity': securitySeverity({ level: meta.maxLevel, category: meta.category }),
    tags: ['security', meta.category, ...(cwe ? [cwe] : [])],
    precision: CATEGORY_PRECISION[meta.category],
  };
  return {
    id: meta.id,
    name: meta.name,
    shortDescription: { text: meta.shortDescription },
    fullDescription: {
      text: `${meta.shortDescription}. Category ${meta.category}: ${CATEGORY_DESCRIPTION[meta.category]}. Reports at most ${meta.maxLevel}.`,
    },
    help: {
      text: meta.help,
      markdown: `**${meta.name}** (\`${meta.id}\`, category \`${meta.category}\`, at most \`${meta.maxLevel}\`)\n\n${meta.help}`,
    },
    defaultConfiguration: { level: meta.maxLevel },
    properties,
  };
}

export interface RuleTable {
  rules: Sarif.ReportingDescriptor[];
  indexOf(ruleId: string): number;
}

/**
 * The run's rules: every detector's metadata once (first wins), in the given
 * order. A finding whose rule has no metadata still gets a rule entry, built
 * from the finding, so `ruleIndex` is always valid.
 */
export function sarifRules(metas: Iterable<RuleMeta>, findings: Iterable<Finding> = []): RuleTable {
  const byId = new Map<string, RuleMeta>();
  for (const meta of metas) if (!byId.has(meta.id)) byId.set(meta.id, meta);
  for (const f of findings) {
    const known = byId.get(f.ruleId);
    if (!known) {
      byId.set(f.ruleId, {
        id: f.ruleId,
        name: f.ruleId,
        shortDescription: `Findings of rule ${f.ruleId}`,
        help: `The detector ${f.ruleId} did not describe itself; read the result messages.`,
        category: f.category,
        maxLevel: f.level,
      });
    }
  }
  const ids = [...byId.keys()];
  const index = new Map(ids.map((id, i) => [id, i]));
  return {
    rules: [...byId.values()].map(sarifRule),
    indexOf(ruleId: string): number {
      const i = index.get(ruleId);
      if (i === undefined) throw new Error(`rule ${ruleId} is not in the SARIF rule table`);
      return i;
    },
  };
}

/** A path relative to the package root as a relative URI reference: each segment percent-encoded, `/` kept. */
export function pathToUri(path: string): string {
  // '@' is legal in a path segment and common in npm paths (node_modules/@scope/…); keep it readable.
  return path
    .split('/')
    .map((segment) => encodeURIComponent(segment).replace(/%40/g, '@'))
    .join('/');
}

export function sarifArtifactLocation(file: string, context: LocationContext): Sarif.ArtifactLocation {
  const artifactLocation: Sarif.ArtifactLocation = { uri: pathToUri(file), uriBaseId: context.uriBaseId };
  const index = context.artifactIndex?.(file);
  if (index !== undefined) artifactLocation.index = index;
  return artifactLocation;
}

export function sarifPhysicalLocation(location: SourceLocation, context: LocationContext): Sarif.PhysicalLocation {
  const region: Sarif.Region = {
    // SARIF lines and columns are 1-based; a detector bug must not make the whole log invalid.
    startLine: Math.max(1, location.line),
    startColumn: Math.max(1, location.column),
    charOffset: Math.max(0, location.offset),
    charLength: Math.max(0, location.length),
  };
  if (location.snippet) region.snippet = { text: location.snippet };
  if (location.byteOffset !== undefined) region.byteOffset = location.byteOffset;
  return { artifactLocation: sarifArtifactLocation(location.file, context), region };
}

function sameLocation(a: SourceLocation, b: SourceLocation): boolean {
  return a.file === b.file && a.offset === b.offset;
}

export function sarifResult(finding: Finding, ruleIndex: number, context: ResultContext): Sarif.Result {
  const properties: SarifResultProperties = {
    category: finding.category,
    'security-severity': securitySeverity(finding),
    facts: finding.facts,
  };
  if (finding.decoded !== undefined) properties.decoded = finding.decoded;
  if (finding.encoding !== undefined) properties.encoding = finding.encoding;
  if (finding.codePoints && finding.codePoints.length > 0) properties.codePoints = finding.codePoints;
  if (finding.shape !== undefined) properties.shape = finding.shape;

  const result: Sarif.Result = {
    ruleId: finding.ruleId,
    ruleIndex,
    level: finding.level,
    message: { text: finding.message },
    locations: [{ physicalLocation: sarifPhysicalLocation(finding.location, context) }],
    partialFingerprints: { [FINGERPRINT_KEY]: `${findingFingerprint(finding)}:${context.occurrence ?? 1}` },
  };
  const related = finding.related ?? [];
  if (related.length > 0) {
    result.relatedLocations = related.map((r, i) => ({
      id: i + 1,
      message: { text: r.message },
      physicalLocation: sarifPhysicalLocation(r.location, context),
    }));
  }
  if (finding.category === 'covert-channel' && related.length > 0) {
    // Code scanning shows a chain only as a code flow ("Show paths"). Related
    // locations are in data-flow order; the primary location ends the flow.
    const steps = related.map((r) => ({ message: r.message, location: r.location }));
    const last = steps[steps.length - 1];
    if (!last || !sameLocation(last.location, finding.location)) steps.push({ message: finding.message, location: finding.location });
    result.codeFlows = [
      {
        message: { text: finding.message },
        threadFlows: [
          {
            locations: steps.map((step, i) => ({
              executionOrder: i + 1,
              location: { message: { text: step.message }, physicalLocation: sarifPhysicalLocation(step.location, context) },
            })),
          },
        ],
      },
    ];
  }
  result.properties = properties;
  return result;
}

/**
 * Numbers findings that share a fingerprint within one run (the same behaviour
 * found twice), so each keeps a distinct, stable `partialFingerprints` value.
 * Feed findings in a stable order (`compareByLocation`).
 */
export class OccurrenceCounter {
  private readonly seen = new Map<string, number>();

  next(finding: Pick<Finding, 'ruleId' | 'facts' | 'shape'>): number {
    const fingerprint = findingFingerprint(finding);
    const n = (this.seen.get(fingerprint) ?? 0) + 1;
    this.seen.set(fingerprint, n);
    return n;
  }
}

export interface InvocationInput {
  /** ISO times; omitted from the log when not valid dates. */
  startedAt?: string;
  endedAt?: string;
  skipped: ReadonlyArray<SkippedFile & { uriBaseId: string }>;
  /** Scanner remarks, already prefixed with their target when there are several. */
  notes: readonly string[];
  /** False only when the analysis itself failed (a scan that skipped files still succeeded). */
  executionSuccessful?: boolean;
}

function isoOrUndefined(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const time = Date.parse(value);
  return Number.isNaN(time) ? undefined : new Date(time).toISOString();
}

const NOTIFICATION_DESCRIPTORS: Sarif.ReportingDescriptor[] = [
  { id: NOTIFICATION_SKIPPED, name: 'skipped-file', shortDescription: { text: 'A file of the package was not analysed' } },
  { id: NOTIFICATION_NOTE, name: 'scan-note', shortDescription: { text: 'A remark of the scanner about the target' } },
];

export function sarifInvocation(input: InvocationInput): Sarif.Invocation {
  const notifications: Sarif.Notification[] = [
    ...input.skipped.map(
      (s): Sarif.Notification => ({
        descriptor: { id: NOTIFICATION_SKIPPED, index: 0 },
        // A skipped file is a gap in coverage: a warning, so it shows on code scanning's tool status page.
        level: 'warning',
        message: { text: `skipped ${s.path}: ${s.reason}` },
        locations: [{ physicalLocation: { artifactLocation: sarifArtifactLocation(s.path, { uriBaseId: s.uriBaseId }) } }],
      }),
    ),
    ...input.notes.map(
      (text): Sarif.Notification => ({ descriptor: { id: NOTIFICATION_NOTE, index: 1 }, level: 'note', message: { text } }),
    ),
  ];
  const invocation: Sarif.Invocation = { executionSuccessful: input.executionSuccessful ?? true };
  const start = isoOrUndefined(input.startedAt);
  const end = isoOrUndefined(input.endedAt);
  if (start) invocation.startTimeUtc = start;
  if (end) invocation.endTimeUtc = end;
  if (notifications.length > 0) invocation.toolExecutionNotifications = notifications;
  return invocation;
}

export interface SarifRunInput {
  /** telltale's version (`tool.driver.version`). */
  version: string;
  rules: Sarif.ReportingDescriptor[];
  results: Sarif.Result[];
  invocation: Sarif.Invocation;
  artifacts?: Sarif.Artifact[];
  originalUriBaseIds?: Record<string, Sarif.ArtifactLocation>;
  properties?: Sarif.PropertyBag;
}

export function sarifLog(run: SarifRunInput): Sarif.Log {
  const sarifRun: Sarif.Run = {
    tool: {
      driver: {
        name: 'telltale',
        version: run.version,
        semanticVersion: run.version,
        informationUri: TELLTALE_INFORMATION_URI,
        rules: run.rules,
        notifications: NOTIFICATION_DESCRIPTORS,
      },
    },
    invocations: [run.invocation],
    // Offsets and columns count UTF-16 code units, as JavaScript strings do.
    columnKind: 'utf16CodeUnits',
  };
  if (run.originalUriBaseIds) sarifRun.originalUriBaseIds = run.originalUriBaseIds;
  if (run.artifacts && run.artifacts.length > 0) sarifRun.artifacts = run.artifacts;
  sarifRun.results = run.results;
  if (run.properties) sarifRun.properties = run.properties;
  return { $schema: SARIF_SCHEMA_URI, version: '2.1.0', runs: [sarifRun] };
}

/** The uriBaseId of each report, in order. */
export function baseIdsFor(reports: readonly ScanReport[]): string[] {
  return reports.length === 1 ? [SINGLE_TARGET_BASE_ID] : reports.map((_, i) => `${SINGLE_TARGET_BASE_ID}_${i + 1}`);
}

function packageLabel(report: ScanReport): string | undefined {
  const { name, version } = report.package ?? {};
  if (!name) return undefined;
  return version ? `${name}@${version}` : name;
}

/** The `scan` log: one run for all targets. Throws on an empty list (a caller bug: scan always has a target). */
export function toSarif(reports: readonly ScanReport[]): Sarif.Log {
  const first = reports[0];
  if (!first) throw new Error('toSarif needs at least one scan report');
  const baseIds = baseIdsFor(reports);
  const table = sarifRules(
    reports.flatMap((r) => r.rules),
    reports.flatMap((r) => r.findings),
  );

  const artifacts: Sarif.Artifact[] = [];
  const artifactIndexes = baseIds.map(() => new Map<string, number>());
  reports.forEach((report, r) => {
    for (const file of report.files) {
      const artifact: Sarif.Artifact = {
        location: { uri: pathToUri(file.path), uriBaseId: baseIds[r]! },
        length: file.size,
        properties: { kind: file.kind },
      };
      if (file.sha256) artifact.hashes = { 'sha-256': file.sha256 };
      artifactIndexes[r]!.set(file.path, artifacts.length);
      artifacts.push(artifact);
    }
  });

  const counter = new OccurrenceCounter();
  const results = reports.flatMap((report, r) => {
    const context: ResultContext = { uriBaseId: baseIds[r]!, artifactIndex: (file) => artifactIndexes[r]!.get(file) };
    return [...report.findings]
      .sort(compareByLocation)
      .map((f) => sarifResult(f, table.indexOf(f.ruleId), { ...context, occurrence: counter.next(f) }));
  });

  const originalUriBaseIds: Record<string, Sarif.ArtifactLocation> = {};
  reports.forEach((report, r) => {
    const label = packageLabel(report);
    originalUriBaseIds[baseIds[r]!] = {
      description: { text: `root of ${report.target}${label && label !== report.target ? ` (${label})` : ''}` },
    };
  });

  const starts = reports.map((r) => Date.parse(r.startedAt)).filter((t) => !Number.isNaN(t));
  const ends = reports.map((r) => Date.parse(r.startedAt) + r.durationMs).filter((t) => !Number.isNaN(t));
  const invocation = sarifInvocation({
    startedAt: starts.length > 0 ? new Date(Math.min(...starts)).toISOString() : undefined,
    endedAt: ends.length > 0 ? new Date(Math.max(...ends)).toISOString() : undefined,
    skipped: reports.flatMap((report, r) => report.skipped.map((s) => ({ ...s, uriBaseId: baseIds[r]! }))),
    notes: reports.flatMap((report) => report.notes.map((n) => (reports.length > 1 ? `${report.target}: ${n}` : n))),
  });

  return sarifLog({
    version: first.tool.version,
    rules: table.rules,
    results,
    invocation,
    artifacts,
    originalUriBaseIds,
    properties: {
      targets: reports.map((report, r) => ({
        uriBaseId: baseIds[r]!,
        target: report.target,
        ...(report.package ? { package: report.package } : {}),
        startedAt: report.startedAt,
        durationMs: report.durationMs,
        filesScanned: report.files.length,
        filesSkipped: report.skipped.length,
      })),
    },
  });
}

