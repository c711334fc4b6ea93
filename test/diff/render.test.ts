import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import AjvDraft04 from 'ajv-draft-04';
import ajvFormats from 'ajv-formats';
import type * as Sarif from 'sarif';
import { diffReports } from '../../src/core/diff/diff-reports.js';
import type { DiffResult } from '../../src/core/diff/types.js';
import { diffExitCode } from '../../src/diff/exit-code.js';
import { jsonDiff, toDiffJson } from '../../src/diff/render-json.js';
import { BASELINE_BASE_ID, IDENTITY_FINGERPRINT_KEY, toDiffSarif } from '../../src/diff/render-sarif.js';
import { toDiffText } from '../../src/diff/render-text.js';
import { JS_RULES } from '../../src/core/analyze-js.js';
import { scanBundle, type PackageSpec } from './fixtures.js';

const require = createRequire(import.meta.url);
const schema = require('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json') as object;
const ajv = new AjvDraft04.default({ allErrors: true, strict: false, unicodeRegExp: false });
ajvFormats.default(ajv);
const validate = ajv.compile(schema);

const old: PackageSpec = { version: '1.0.0', release: { seed: 1, covert: false }, scripts: { test: 'vitest' } };
const covert: PackageSpec = {
  version: '1.1.0',
  release: { seed: 9, reorder: true, covert: true, hiddenDomains: ['mirror-one.example.net', 'relay-two.example.org', 'proxy-three.example.com'] },
  scripts: { test: 'vitest', postinstall: 'node setup.js' },
  dependencies: { 'left-pad': '1.3.0' },
};

function diffOf(a: PackageSpec, b: PackageSpec): DiffResult {
  const x = scanBundle(a);
  const y = scanBundle(b);
  return diffReports({ ...x, rules: JS_RULES }, { ...y, rules: JS_RULES }, { toolVersion: '0.0.0-test' });
}

describe('text', () => {
  const text = toDiffText(diffOf(old, covert), { failOn: 'error' });

  it('leads with new errors and warnings, then install scripts, then what changed, then package facts', () => {
    const order = ['NEW ERRORS AND WARNINGS', 'INSTALL SCRIPTS AND NATIVE BINARIES CHANGED', 'CHANGED (1)', 'PACKAGE CHANGES'].map((h) => text.indexOf(h));
    expect(order.every((i) => i > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(text.split('\n')[0]).toMatch(/example-agent@1\.0\.0 → example-agent@1\.1\.0 — ✖ new error-level findings \(exit 1: --fail-on error\)/);
    // The error comes first in its section.
    const section = text.slice(text.indexOf('NEW ERRORS AND WARNINGS'));
    expect(section.split('\n')[1]).toMatch(/\+ ✖ error {2}TT007 covert-channel/);
    expect(text).toContain('items: +proxy-three.example.com');
    expect(text).toContain('+ postinstall: node setup.js');
    expect(text).toContain('+ dependency left-pad 1.3.0');
  });

  it('shows new endpoints, environment reads and decoded strings in their own sections', () => {
    const base: PackageSpec = { version: '1.0.0', release: { seed: 1 } };
    const x = scanBundle(base);
    const y = scanBundle({ version: '1.0.1', release: { seed: 2 } });
    // Drop OLD's endpoint, env read and payload: they become new in NEW.
    const stripped = { ...x, findings: x.findings.filter((f) => !['TT006', 'TT001', 'TT003'].includes(f.ruleId)) };
    const t = toDiffText(diffReports(stripped, y, { toolVersion: 't' }));
    const heads = ['NEW ERRORS AND WARNINGS', 'NEW ENDPOINTS', 'NEW ENVIRONMENT READS'].map((h) => t.indexOf(h));
    expect(heads.every((i) => i > 0)).toBe(true);
    expect([...heads].sort((a, b) => a - b)).toEqual(heads);
    expect(t).toContain('+ telemetry.example-agent.dev');
    expect(t).toContain('+ timezone: Intl.resolvedOptions.timeZone');
  });

  it('says so when nothing changed, and hides analysed hidden characters', () => {
    const same = toDiffText(diffOf(old, old));
    expect(same.split('\n')[0]).toContain('identical files: nothing changed');
    expect(same).not.toContain('NEW ERRORS');
    expect(toDiffText(diffOf(old, covert))).not.toMatch(/[\u200b\u202e]/);
  });
});

describe('json', () => {
  it('is stable: same input, same bytes; schemaVersion first; no timings', () => {
    const a = toDiffJson(diffOf(old, covert));
    const b = toDiffJson(diffOf(old, covert));
    expect(a).toBe(b);
    const parsed = JSON.parse(a) as Record<string, unknown>;
    expect(Object.keys(parsed).slice(0, 4)).toEqual(['schemaVersion', 'tool', 'old', 'new']);
    expect(parsed.schemaVersion).toBe(1);
    expect(a).not.toMatch(/"(durationMs|startedAt|ms)"/);
  });

  it('keeps facts.key first in findings and the change fields in a fixed order', () => {
    const json = jsonDiff(diffOf(old, covert)) as { findings: Array<Record<string, unknown> & { finding: { facts: Record<string, unknown> } }> };
    const updated = json.findings.find((c) => c.state === 'updated')!;
    expect(Object.keys(updated).slice(0, 3)).toEqual(['state', 'id', 'ruleId']);
    expect(Object.keys(updated.finding.facts)[0]).toBe('key');
  });
});

describe('sarif', () => {
  const result = diffOf(old, covert);
  const log = toDiffSarif(result);

  it('is valid SARIF 2.1.0 with a baselineState on every result', () => {
    const ok = validate(JSON.parse(JSON.stringify(log)));
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
    const results = log.runs[0]!.results!;
    expect(results).toHaveLength(result.findings.length);
    expect(new Set(results.map((r) => r.baselineState))).toEqual(new Set(['new', 'updated', 'unchanged']));
    expect(log.runs[0]!.tool.driver.name).toBe('telltale');
  });

  it('describes what changed in updated results and keeps a stable identity fingerprint', () => {
    const updated = log.runs[0]!.results!.find((r) => r.baselineState === 'updated')!;
    expect(updated.message.text).toMatch(/changed since baseline: items \+proxy-three\.example\.com/);
    expect((updated.properties!.diff as { match: string }).match).toBe('similar');
    const error = log.runs[0]!.results!.find((r) => r.level === 'error')!;
    expect(error.baselineState).toBe('new');
    expect(error.properties!['security-severity']).toBe('9.0');
    expect(error.partialFingerprints![IDENTITY_FINGERPRINT_KEY]).toMatch(/^[0-9a-f]{16}:1$/);
  });

  it('points absent results into the OLD package', () => {
    const back = toDiffSarif(diffOf(covert, old));
    const absent = back.runs[0]!.results!.filter((r: Sarif.Result) => r.baselineState === 'absent');
    expect(absent.length).toBeGreaterThan(0);
    for (const r of absent) expect(r.locations![0]!.physicalLocation!.artifactLocation!.uriBaseId).toBe(BASELINE_BASE_ID);
    expect(validate(JSON.parse(JSON.stringify(back)))).toBe(true);
  });
});

describe('exit code', () => {
  it('--fail-on looks at new findings only', () => {
    const added = diffOf(old, covert);
    expect(diffExitCode(added, 'error')).toBe(1);
    expect(diffExitCode(added, 'none')).toBe(0);
    // The same covert release compared with itself: the error is there but not new.
    const same = diffOf(covert, { ...covert, version: '1.1.1', release: { ...covert.release, seed: 10 } });
    expect(same.findings.some((c) => c.level === 'error' && c.state === 'unchanged')).toBe(true);
    expect(diffExitCode(same, 'error')).toBe(0);
    expect(diffExitCode(same, 'note')).toBe(0);
  });

  it('an escalated finding counts at its new level', () => {
    const result = diffOf(old, old);
    const [first] = result.findings;
    first!.state = 'updated';
    first!.level = 'warning';
    first!.previousLevel = 'note';
    first!.escalated = true;
    expect(diffExitCode(result, 'warning')).toBe(1);
    expect(diffExitCode(result, 'error')).toBe(0);
  });
});
