/** The result of scanning one target: what reports render and what `diff` compares. */
import type { Finding, RuleMeta } from '../core/findings.js';
import type { FileKind, SkippedFile } from '../loading/types.js';

export interface ScannedFileSummary {
  path: string;
  kind: FileKind;
  size: number;
  /** Findings in this file, by level. */
  findings: number;
  /** Milliseconds spent analysing it. */
  ms: number;
  /** SHA-256 of the file's bytes (hex); diff uses it to tell changed files. */
  sha256?: string;
}

export interface ScanReport {
  tool: { name: 'telltale'; version: string };
  target: string;
  package?: { name?: string; version?: string };
  /** ISO time the scan started. */
  startedAt: string;
  durationMs: number;
  rules: RuleMeta[];
  findings: Finding[];
  files: ScannedFileSummary[];
  skipped: SkippedFile[];
  /** Extra remarks for the user (e.g. "code lives in platform packages: …"). */
  notes: string[];
  /** Manifest facts used by `diff` (scripts, dependencies, bins). */
  manifest?: {
    scripts?: Record<string, string>;
    dependencies?: Record<string, string>;
    optionalDependencies?: Record<string, string>;
    bin?: string | Record<string, string>;
  };
}
