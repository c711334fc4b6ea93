/**
 * The result of `telltale diff`: what one release of a package changed,
 * security-wise, compared with another. Designed to be stored by a scheduled job
 * and compared later: plain JSON, deterministic order, no timestamps or timings,
 * a `schemaVersion`, and a stable `id` per finding identity.
 */
import type { Category, Finding, Level, RuleMeta } from '../findings.js';

export const DIFF_SCHEMA_VERSION = 1;

/** SARIF 2.1.0 `result.baselineState` (§3.27.24): `new`, `absent` (gone), `unchanged`, `updated`. */
export type BaselineState = 'new' | 'absent' | 'unchanged' | 'updated';

/** One detail of a finding that differs between the two releases. */
export interface DetailChange {
  /** What changed: `level`, `category`, `decoded`, `codePoints`, `key`, or `facts.<name>`. */
  field: string;
  /** For lists: items only in NEW. */
  added?: string[];
  /** For lists: items only in OLD. */
  removed?: string[];
  /** For single values: the value in OLD. */
  before?: string | boolean;
  /** For single values: the value in NEW. */
  after?: string | boolean;
}

/** How a NEW finding was paired with an OLD one. */
export type MatchKind =
  /** Same rule and same `facts.key`: the same behaviour, wherever it moved. */
  | 'identity'
  /** Same rule and kind, different key, but overlapping content (a list that grew), tie-broken by code shape. */
  | 'similar';

export interface FindingChange {
  state: BaselineState;
  /**
   * Stable identity of the behaviour: a hash of `ruleId` and `facts.key` (of the NEW
   * finding; of the OLD one when absent). The same in every release that has it.
   */
  id: string;
  ruleId: string;
  level: Level;
  category: Category;
  /** Level in OLD, when it differs from `level`. */
  previousLevel?: Level;
  /** True when the finding got more severe than in OLD (counts like a new finding for `--fail-on`). */
  escalated?: boolean;
  /** How it was matched (unchanged and updated only). */
  match?: MatchKind;
  /** 0..1, for `similar` matches. */
  similarity?: number;
  /** The finding as it is in NEW (in OLD, for `absent`). */
  finding: Finding;
  /** The OLD finding (updated only). */
  previous?: Finding;
  /** What differs (updated only). */
  changes?: DetailChange[];
}

export interface LevelCounts {
  error: number;
  warning: number;
  note: number;
}

export interface DiffSummary {
  new: LevelCounts;
  updated: number;
  /** Updated findings whose level went up. */
  escalated: number;
  absent: number;
  unchanged: number;
}

export interface FileFact {
  path: string;
  kind: string;
  size: number;
  sha256?: string;
}

export interface FileChange {
  path: string;
  kind: string;
  /** Set when the kind changed (e.g. text → executable). */
  previousKind?: string;
  previousSize: number;
  size: number;
  /** `size - previousSize` in bytes. */
  delta: number;
  previousSha256?: string;
  sha256?: string;
}

export type ChangeState = 'added' | 'removed' | 'changed';

export interface ScriptChange {
  name: string;
  state: ChangeState;
  /** True for scripts npm runs on install: preinstall, install, postinstall, prepare (and their pre/post hooks). */
  install: boolean;
  before?: string;
  after?: string;
}

export interface DependencyChange {
  name: string;
  field: 'dependencies' | 'optionalDependencies';
  state: ChangeState;
  before?: string;
  after?: string;
}

export interface BinChange {
  name: string;
  state: ChangeState;
  before?: string;
  after?: string;
}

/** Plain facts of the update, from the file lists and the manifests. */
export interface PackageChanges {
  files: { added: FileFact[]; removed: FileFact[]; changed: FileChange[]; unchanged: number };
  /** Executables and other binaries that are new in NEW (added, or a file that became one). */
  nativeBinaries: FileFact[];
  /** Files the scanner could not analyse in NEW but did in OLD (or that are new and skipped). */
  newlySkipped: { path: string; reason: string }[];
  scripts: ScriptChange[];
  dependencies: DependencyChange[];
  bin: BinChange[];
}

export interface DiffSide {
  target: string;
  name?: string;
  version?: string;
  files: number;
  bytes: number;
  findings: number;
  /** SHA-256 over the sorted (path, sha256) list: equal digests mean identical file trees. */
  digest: string;
}

export interface DiffResult {
  schemaVersion: typeof DIFF_SCHEMA_VERSION;
  tool: { name: 'telltale'; version: string };
  old: DiffSide;
  new: DiffSide;
  /** Both sides are the same package (by name; true when a name is unknown). */
  samePackage: boolean;
  /** Both sides have exactly the same files (by path and SHA-256). */
  identical: boolean;
  warnings: string[];
  summary: DiffSummary;
  /** Every finding of both sides, each once, ordered: new, updated, absent, unchanged; then level, rule, key. */
  findings: FindingChange[];
  package: PackageChanges;
  /** Rules of both scans (for SARIF `tool.driver.rules`). */
  rules: RuleMeta[];
}

/** What `diffReports` needs from a scan: a structural subset of the scanner's `ScanReport`. */
export interface DiffInput {
  target: string;
  tool?: { name: string; version: string };
  package?: { name?: string; version?: string };
  rules: RuleMeta[];
  findings: Finding[];
  files: { path: string; kind: string; size: number; sha256?: string }[];
  skipped: { path: string; reason: string }[];
  /** The scanner's remarks (e.g. "the code lives in platform packages: …"). */
  notes?: string[];
  manifest?: {
    scripts?: Record<string, string>;
    dependencies?: Record<string, string>;
    optionalDependencies?: Record<string, string>;
    bin?: string | Record<string, string>;
  };
}
