/**
 * The shared vocabulary of every analysis in telltale: what a finding is, how
 * severe it can be, and where it points. Reports (text, JSON, SARIF), the diff
 * and the dashboard all read this one shape.
 */

export type Level = 'error' | 'warning' | 'note';

export const LEVEL_RANK: Readonly<Record<Level, number>> = { error: 3, warning: 2, note: 1 };

/** The categories of DESIGN.md's SARIF contract; `properties.category` is one of these. */
export type Category =
  | 'env-fingerprint'
  | 'region-targeting'
  | 'obfuscated-payload'
  | 'covert-channel'
  | 'hidden-characters'
  | 'network-endpoint'
  | 'telemetry'
  | 'data-collection';

/** A place in a scanned artifact. Lines and columns are 1-based; offsets are 0-based UTF-16 indexes into the file's text. */
export interface SourceLocation {
  /** Path relative to the package root, with forward slashes. */
  file: string;
  line: number;
  column: number;
  /** UTF-16 offset in the (decoded) text of the file: minified bundles have few, enormous lines. */
  offset: number;
  length: number;
  /** A short, de-minified excerpt around the location. */
  snippet: string;
  /** For text extracted from a binary: byte offset of the location inside the binary file. */
  byteOffset?: number;
}

/** Static description of a detector; SARIF `tool.driver.rules[]` is built from these. */
export interface RuleMeta {
  id: string;
  name: string;
  shortDescription: string;
  /** Why it matters and what a person should check; becomes SARIF `help.text`. */
  help: string;
  category: Category;
  /** The highest level this rule ever reports. */
  maxLevel: Level;
}

export interface RelatedLocation {
  message: string;
  location: SourceLocation;
}

/**
 * Plain, comparable facts about a finding; the diff matches on these, never on
 * names or offsets. Every detector sets `key`: the finding's identity, built only
 * from what the code does (e.g. `timezone:Intl.resolvedOptions`, `host:api.example.com`,
 * `apostrophe:U+0027,U+2019,U+02BC`), so the same behaviour in the next release, with
 * other minified names, has the same key. Other entries are details: when the key
 * matches but details differ (a payload list that grew), the finding is "updated".
 */
export type FindingFacts = { key: string } & Record<string, string | number | boolean | string[]>;

export interface Finding {
  ruleId: string;
  level: Level;
  category: Category;
  message: string;
  location: SourceLocation;
  /** Other places that are part of the same finding (e.g. every link in a covert-channel chain). */
  related?: RelatedLocation[];
  /** A recovered hidden string (full text). */
  decoded?: string;
  /** How it was hidden, outermost first, e.g. `base64 > xor(0x5b)`. */
  encoding?: string;
  /** Characters involved, as `U+XXXX`. */
  codePoints?: string[];
  /** Normalised features (detector-specific) used to match findings across versions. */
  facts: FindingFacts;
  /** Structure-based fingerprint of the code around the finding, identifiers erased. */
  shape?: string;
}

/** CVSS-like numbers for GitHub code scanning (`properties["security-severity"]`). */
export function securitySeverity(finding: Pick<Finding, 'level' | 'category'>): string {
  if (finding.level === 'error') return finding.category === 'covert-channel' ? '9.0' : '8.0';
  if (finding.level === 'warning') return '5.5';
  return '2.0';
}

export function atLeast(level: Level, threshold: Level): boolean {
  return LEVEL_RANK[level] >= LEVEL_RANK[threshold];
}
