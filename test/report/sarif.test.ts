import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import AjvDraft04 from 'ajv-draft-04';
import ajvFormats from 'ajv-formats';
import type * as Sarif from 'sarif';
import { toSarif, sarifRule, sarifRules, sarifResult, FINGERPRINT_KEY, pathToUri } from '../../src/report/sarif.js';
import { CATEGORIES } from '../../src/report/categories.js';
import type { Finding } from '../../src/core/findings.js';
import type { ScanReport } from '../../src/scan/types.js';
import { CHAIN, HIDDEN, IN_BINARY, PAYLOAD, RULES, cleanReport, endpointNotes, loc, movedCopy, richReport } from './fixtures.js';

// The official SARIF 2.1.0 (rtm.5) JSON schema, as shipped by Microsoft's sarif-js-sdk on npm.
const require = createRequire(import.meta.url);
const schema = require('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json') as object;
// unicodeRegExp off: the schema's `language` pattern has a stray ']' that only non-unicode regexes accept.
// Both are CommonJS with a `default` export: under NodeNext the default import is module.exports.
const ajv = new AjvDraft04.default({ allErrors: true, strict: false, unicodeRegExp: false });
ajvFormats.default(ajv);
const validate = ajv.compile(schema);

function expectValid(log: Sarif.Log): void {
  const ok = validate(JSON.parse(JSON.stringify(log)));
  expect(validate.errors ?? [], JSON.stringify(validate.errors?.slice(0, 5), null, 2)).toEqual([]);
  expect(ok).toBe(true);
}

function run(log: Sarif.Log): Sarif.Run {
  expect(log.runs).toHaveLength(1);
  return log.runs[0]!;
}

function resultFor(log: Sarif.Log, finding: Pick<Finding, 'facts'>): Sarif.Result {
  const found = run(log).results!.filter((r) => (r.properties?.facts as Finding['facts']).key === finding.facts.key);
  expect(found).toHaveLength(1);
  return found[0]!;
}

function fingerprints(log: Sarif.Log): Map<string, string> {
  return new Map(run(log).results!.map((r) => [(r.properties!.facts as Finding['facts']).key, r.partialFingerprints![FINGERPRINT_KEY]!]));
}

describe('toSarif', () => {
  it('is valid against the official SARIF 2.1.0 schema', () => {
    expectValid(toSarif([richReport()]));
    expectValid(toSarif([cleanReport()]));
    expectValid(toSarif([richReport(), cleanReport()]));
  });

  it('the schema check can fail (a broken log is rejected)', () => {
    const log = toSarif([richReport()]);
    (run(log).results![0]!.locations![0]!.physicalLocation!.region as { startLine: number }).startLine = 0;
    expect(validate(JSON.parse(JSON.stringify(log)))).toBe(false);
  });

  it('has the DESIGN.md envelope and driver', () => {
    const log = toSarif([richReport()]);
    expect(log.$schema).toMatch(/^https:\/\/.*sarif-2\.1\.0/);
    expect(log.version).toBe('2.1.0');
    const driver = run(log).tool.driver;
    expect(driver.name).toBe('telltale');
    expect(driver.version).toBe('0.1.0');
    expect(driver.informationUri).toMatch(/^https:\/\//);
    expect(run(log).columnKind).toBe('utf16CodeUnits');
  });

  it('has one rule per detector with the code-scanning metadata', () => {
    const rules = run(toSarif([richReport()])).tool.driver.rules!;
    expect(rules.map((r) => r.id)).toEqual(RULES.map((r) => r.id));
    for (const [i, rule] of rules.entries()) {
      const meta = RULES[i]!;
      expect(rule.name).toBe(meta.name);
      expect(rule.shortDescription?.text).toBe(meta.shortDescription);
      expect(rule.fullDescription?.text).toContain(meta.shortDescription);
      expect(rule.help?.text).toBe(meta.help);
      expect(rule.help?.markdown).toContain(meta.help);
      expect(rule.defaultConfiguration?.level).toBe(meta.maxLevel);
      expect(rule.properties?.category).toBe(meta.category);
      expect(Number(rule.properties?.['security-severity'])).toBeGreaterThan(0);
      expect(rule.properties?.tags).toContain('security');
      expect(['very-high', 'high', 'medium', 'low']).toContain(rule.properties?.precision);
    }
    const covert = sarifRule(RULES.find((r) => r.id === 'TT007')!);
    expect(covert.properties?.['security-severity']).toBe('9.0');
    expect(sarifRule(RULES.find((r) => r.id === 'TT006')!).properties?.['security-severity']).toBe('2.0');
  });

  it('gives every result the contract fields', () => {
    const log = toSarif([richReport()]);
    const rules = run(log).tool.driver.rules!;
    const results = run(log).results!;
    expect(results).toHaveLength(richReport().findings.length);
    for (const r of results) {
      expect(rules[r.ruleIndex!]!.id).toBe(r.ruleId);
      expect(['error', 'warning', 'note']).toContain(r.level);
      expect(r.message.text).toBeTruthy();
      const physical = r.locations![0]!.physicalLocation!;
      expect(physical.artifactLocation!.uriBaseId).toBe('PACKAGE_ROOT');
      expect(physical.artifactLocation!.uri).not.toMatch(/^\/|^[a-z]+:|\.\./);
      expect(physical.region!.startLine).toBeGreaterThanOrEqual(1);
      expect(physical.region!.startColumn).toBeGreaterThanOrEqual(1);
      expect(physical.region!.charOffset).toBeGreaterThanOrEqual(0);
      expect(physical.region!.charLength).toBeGreaterThanOrEqual(0);
      expect(physical.region!.snippet?.text).toBeTruthy();
      expect(CATEGORIES).toContain(r.properties?.category);
      expect(r.properties?.['security-severity']).toMatch(/^\d+\.\d$/);
      expect(r.partialFingerprints?.[FINGERPRINT_KEY]).toMatch(/^[0-9a-f]{32}:\d+$/);
      // The artifact index points at the same file.
      const index = physical.artifactLocation!.index!;
      expect(run(log).artifacts![index]!.location!.uri).toBe(physical.artifactLocation!.uri);
    }
  });

  it('maps a chain, a payload, hidden characters and a binary location', () => {
    const log = toSarif([richReport()]);
    const chain = resultFor(log, CHAIN);
    expect(chain.level).toBe('error');
    expect(chain.properties?.['security-severity']).toBe('9.0');
    expect(chain.relatedLocations?.map((r) => [r.id, r.message?.text])).toEqual([
      [1, 'reads the timezone'],
      [2, 'compares it with the decoded list'],
      [3, 'swaps the apostrophes in outgoing text'],
    ]);
    expect(chain.relatedLocations?.[0]?.physicalLocation?.region?.charOffset).toBe(1021);
    // The last link is the primary location: the code flow does not repeat it.
    const steps = chain.codeFlows?.[0]?.threadFlows[0]?.locations ?? [];
    expect(steps.map((s) => s.location?.message?.text)).toEqual(CHAIN.related!.map((r) => r.message));

    const payload = resultFor(log, PAYLOAD);
    expect(payload.properties?.decoded).toBe(PAYLOAD.decoded);
    expect(payload.properties?.encoding).toBe('base64 > xor(0x5b)');
    expect(payload.properties?.['security-severity']).toBe('8.0');
    expect(payload.codeFlows).toBeUndefined();

    const hidden = resultFor(log, HIDDEN);
    expect(hidden.properties?.codePoints).toEqual(['U+200B', 'U+202E', 'U+E0041']);
    expect(hidden.properties?.facts).toEqual(HIDDEN.facts);
    expect(hidden.locations![0]!.physicalLocation!.region!.snippet!.text).toContain('\u200B');

    const binary = resultFor(log, IN_BINARY).locations![0]!.physicalLocation!;
    expect(binary.region!.byteOffset).toBe(0x1f3a2c);
    expect(binary.artifactLocation!.uri).toBe('bin/agent');
    expect(resultFor(log, HIDDEN).locations![0]!.physicalLocation!.region!.byteOffset).toBeUndefined();
  });

  it('lists scanned files as artifacts and skipped files and notes as notifications', () => {
    const log = toSarif([richReport()]);
    const artifacts = run(log).artifacts!;
    expect(artifacts.map((a) => a.location?.uri)).toEqual(['cli.js', 'lib/prompt.js', 'bin/agent', 'package.json']);
    expect(artifacts[0]!.hashes?.['sha-256']).toBe('a'.repeat(64));
    expect(artifacts[2]!.properties?.kind).toBe('executable');

    const invocation = run(log).invocations![0]!;
    expect(invocation.executionSuccessful).toBe(true);
    expect(invocation.startTimeUtc).toBe('2026-03-01T12:00:00.000Z');
    expect(invocation.endTimeUtc).toBe('2026-03-01T12:00:01.843Z');
    const notes = invocation.toolExecutionNotifications!;
    const skipped = notes.filter((n) => n.level === 'warning');
    expect(skipped.map((n) => n.locations?.[0]?.physicalLocation?.artifactLocation?.uri)).toEqual(['assets/logo.png', 'vendor/huge.js']);
    expect(skipped[1]!.message.text).toContain('larger than the 64 MB per-file limit');
    expect(notes.filter((n) => n.level === 'note').map((n) => n.message.text)).toEqual(richReport().notes);
    const descriptors = run(log).tool.driver.notifications!;
    for (const n of notes) expect(descriptors[n.descriptor!.index!]!.id).toBe(n.descriptor!.id);
  });

  it('keeps several targets in one run, each relative to its own root', () => {
    const other = richReport();
    other.target = 'npm:@acme/agent@2.5.0';
    other.package = { name: '@acme/agent', version: '2.5.0' };
    const log = toSarif([richReport(), other]);
    const r = run(log);
    expect(Object.keys(r.originalUriBaseIds!)).toEqual(['PACKAGE_ROOT_1', 'PACKAGE_ROOT_2']);
    expect(r.originalUriBaseIds!.PACKAGE_ROOT_2!.description?.text).toContain('npm:@acme/agent@2.5.0');
    expect(r.artifacts).toHaveLength(8);
    const bases = r.results!.map((x) => x.locations![0]!.physicalLocation!.artifactLocation!.uriBaseId);
    expect(bases.filter((b) => b === 'PACKAGE_ROOT_2')).toHaveLength(other.findings.length);
    for (const x of r.results!) {
      const location = x.locations![0]!.physicalLocation!.artifactLocation!;
      expect(r.artifacts![location.index!]!.location!.uriBaseId).toBe(location.uriBaseId);
    }
    expect(r.tool.driver.rules).toHaveLength(RULES.length);
    expect(r.invocations![0]!.toolExecutionNotifications!.filter((n) => n.level === 'note')[1]!.message.text).toMatch(/^npm:@acme\/agent@2\.5\.0: /);
    expect(r.properties?.targets).toHaveLength(2);
  });
});

describe('partialFingerprints', () => {
  it('stay the same when lines, offsets, snippets and order change but facts and shape do not', () => {
    const before = fingerprints(toSarif([richReport()]));
    const after = fingerprints(toSarif([movedCopy(richReport(), 7919)]));
    expect(after).toEqual(before);
    expect(new Set(before.values()).size).toBe(before.size);
  });

  it('change when the facts or the shape change', () => {
    const before = fingerprints(toSarif([richReport()]));
    const changed = richReport();
    changed.findings = changed.findings.map((f) =>
      f.facts.key === CHAIN.facts.key ? { ...f, facts: { ...f.facts, channel: 'invisible-char' } } : f.facts.key === PAYLOAD.facts.key ? { ...f, shape: 'x' } : f,
    );
    const after = fingerprints(toSarif([changed]));
    expect(after.get(CHAIN.facts.key)).not.toBe(before.get(CHAIN.facts.key));
    expect(after.get(PAYLOAD.facts.key)).not.toBe(before.get(PAYLOAD.facts.key));
    expect(after.get(HIDDEN.facts.key)).toBe(before.get(HIDDEN.facts.key));
  });

  it('ignore the order of list facts and of fact keys', () => {
    const reordered = richReport();
    reordered.findings = reordered.findings.map((f) =>
      f.facts.key === PAYLOAD.facts.key ? { ...f, facts: { entries: ['example-lab.test', 'Asia/Urumqi', 'Asia/Shanghai'], key: f.facts.key } } : f,
    );
    expect(fingerprints(toSarif([reordered])).get(PAYLOAD.facts.key)).toBe(fingerprints(toSarif([richReport()])).get(PAYLOAD.facts.key));
  });

  it('number the same behaviour found twice', () => {
    const report = cleanReport();
    const [a] = endpointNotes(1);
    report.findings = [
      { ...a!, location: loc('b.js', 1, 9, 8, 'x') },
      { ...a!, location: loc('a.js', 1, 9, 8, 'x') },
    ];
    const results = run(toSarif([report])).results!;
    const [hash1, n1] = results[0]!.partialFingerprints![FINGERPRINT_KEY]!.split(':');
    const [hash2, n2] = results[1]!.partialFingerprints![FINGERPRINT_KEY]!.split(':');
    expect(hash1).toBe(hash2);
    expect([results[0]!.locations![0]!.physicalLocation!.artifactLocation!.uri, n1, n2]).toEqual(['a.js', '1', '2']);
  });
});

describe('building blocks', () => {
  it('give a finding of an undescribed rule a rule entry, so ruleIndex stays valid', () => {
    const stray: Finding = { ...IN_BINARY, ruleId: 'TT099', category: 'data-collection' };
    const table = sarifRules(RULES, [stray]);
    expect(table.rules[table.indexOf('TT099')]!.properties?.category).toBe('data-collection');
    const report: ScanReport = { ...cleanReport(), findings: [stray] };
    expectValid(toSarif([report]));
    expect(() => sarifRules(RULES).indexOf('TT099')).toThrow(/TT099/);
  });

  it('sarifResult works alone (for diff) and encodes paths as relative URIs', () => {
    const finding: Finding = { ...IN_BINARY, location: { ...IN_BINARY.location, file: 'node_modules/@acme/x/my file#1.js' } };
    const result = sarifResult(finding, 0, { uriBaseId: 'NEW_ROOT' });
    const artifact = result.locations![0]!.physicalLocation!.artifactLocation!;
    expect(artifact).toEqual({ uri: 'node_modules/@acme/x/my%20file%231.js', uriBaseId: 'NEW_ROOT' });
    expect(pathToUri('a:b/c.js')).toBe('a%3Ab/c.js');
    expect(result.partialFingerprints![FINGERPRINT_KEY]).toMatch(/:1$/);
  });
});
