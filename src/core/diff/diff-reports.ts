/**
 * `diffReports`: the whole security diff of two scans — findings paired by
 * behaviour, plain package facts, and warnings about the inputs. Pure: the
 * scans are done by the caller (src/diff/).
 */
import type { RuleMeta } from '../findings.js';
import { matchFindings } from './match.js';
import { diffPackages, treeDigest } from './package-facts.js';
import { DIFF_SCHEMA_VERSION, type DiffInput, type DiffResult, type DiffSide, type DiffSummary, type FindingChange } from './types.js';

function side(input: DiffInput): DiffSide {
  const out: DiffSide = {
    target: input.target,
    files: input.files.length,
    bytes: input.files.reduce((sum, f) => sum + f.size, 0),
    findings: input.findings.length,
    digest: treeDigest(input.files),
  };
  if (input.package?.name !== undefined) out.name = input.package.name;
  if (input.package?.version !== undefined) out.version = input.package.version;
  return out;
}

export function summarize(findings: readonly FindingChange[]): DiffSummary {
  const summary: DiffSummary = { new: { error: 0, warning: 0, note: 0 }, updated: 0, escalated: 0, absent: 0, unchanged: 0 };
  for (const c of findings) {
    if (c.state === 'new') summary.new[c.level]++;
    else summary[c.state]++;
    if (c.escalated) summary.escalated++;
  }
  return summary;
}

function mergeRules(a: readonly RuleMeta[], b: readonly RuleMeta[]): RuleMeta[] {
  const byId = new Map<string, RuleMeta>();
  for (const r of [...a, ...b]) byId.set(r.id, r);
  return [...byId.values()].sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
}

export interface DiffOptions {
  /** telltale's own version, for `tool.version`. */
  toolVersion: string;
}

export function diffReports(before: DiffInput, after: DiffInput, options: DiffOptions): DiffResult {
  const oldSide = side(before);
  const newSide = side(after);
  const warnings: string[] = [];
  const samePackage = oldSide.name === undefined || newSide.name === undefined || oldSide.name === newSide.name;
  if (!samePackage) {
    warnings.push(`OLD is ${oldSide.name} and NEW is ${newSide.name}: not versions of the same package, so most differences are expected`);
  }
  if (oldSide.version !== undefined && oldSide.version === newSide.version && samePackage && oldSide.digest !== newSide.digest) {
    warnings.push(`both sides claim version ${oldSide.version} but their files differ`);
  }
  // The scanner's remarks matter here too (a package whose code is elsewhere diffs as nearly empty).
  const oldNotes = new Set(before.notes ?? []);
  const newNotes = new Set(after.notes ?? []);
  for (const note of newNotes) warnings.push(`${oldNotes.has(note) ? 'OLD and NEW' : 'NEW'}: ${note}`);
  for (const note of oldNotes) if (!newNotes.has(note)) warnings.push(`OLD: ${note}`);
  const identical = oldSide.digest === newSide.digest;
  const findings = matchFindings(before.findings, after.findings);
  return {
    schemaVersion: DIFF_SCHEMA_VERSION,
    tool: { name: 'telltale', version: options.toolVersion },
    old: oldSide,
    new: newSide,
    samePackage,
    identical,
    warnings,
    summary: summarize(findings),
    findings,
    package: diffPackages(before, after),
    rules: mergeRules(before.rules, after.rules),
  };
}
