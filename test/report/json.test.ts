import { describe, expect, it } from 'vitest';
import { JSON_SCHEMA_VERSION, jsonReport, toJson, type JsonScanReport, type JsonScanSet } from '../../src/report/json.js';
import type { Finding } from '../../src/core/findings.js';
import { CHAIN, PAYLOAD, cleanReport, richReport } from './fixtures.js';

describe('JSON report', () => {
  it('is the ScanReport with schemaVersion and summary counts', () => {
    const report = richReport();
    const json = JSON.parse(toJson([report])) as JsonScanReport;
    expect(json.schemaVersion).toBe(JSON_SCHEMA_VERSION);
    expect(json.target).toBe(report.target);
    expect(json.package).toEqual(report.package);
    expect(json.summary.findings).toBe(16);
    expect(json.summary.byLevel).toEqual({ error: 2, warning: 2, note: 12 });
    expect(json.summary.byCategory).toMatchObject({ 'covert-channel': 1, 'obfuscated-payload': 1, 'hidden-characters': 1, 'env-fingerprint': 1, 'network-endpoint': 12, telemetry: 0 });
    expect(Object.keys(json.summary.byCategory)).toHaveLength(8);
    expect(json.summary.byRule).toEqual({ TT001: 1, TT003: 1, TT004: 1, TT006: 12, TT007: 1 });
    expect(json.summary).toMatchObject({ filesScanned: 4, filesSkipped: 2, bytesScanned: 213_002_900 });
    expect(json.skipped).toEqual(report.skipped);
    expect(json.notes).toEqual(report.notes);
    expect(json.rules).toEqual(report.rules);
    // Nothing is lost: every finding is there, with its decoded text, related locations and facts.
    const byKey = (fs: Finding[]): Map<string, Finding> => new Map(fs.map((f) => [f.facts.key, f]));
    expect(byKey(json.findings)).toEqual(byKey(report.findings));
    expect(byKey(json.findings).get(PAYLOAD.facts.key)?.decoded).toBe(PAYLOAD.decoded);
    expect(byKey(json.findings).get(CHAIN.facts.key)?.related).toHaveLength(3);
  });

  it('has a fixed key order and sorted findings, whatever the input order', () => {
    const a = richReport();
    const b = richReport();
    b.findings = [...b.findings].reverse().map((f) => ({ ...f, facts: Object.fromEntries(Object.entries(f.facts).reverse()) as Finding['facts'] }));
    b.rules = b.rules.map((r) => ({ help: r.help, maxLevel: r.maxLevel, category: r.category, shortDescription: r.shortDescription, name: r.name, id: r.id }));
    expect(toJson([b])).toBe(toJson([a]));

    const json = JSON.parse(toJson([a])) as JsonScanReport;
    expect(Object.keys(json).slice(0, 7)).toEqual(['schemaVersion', 'tool', 'target', 'package', 'startedAt', 'durationMs', 'summary']);
    const chain = json.findings.find((f) => f.facts.key === CHAIN.facts.key)!;
    expect(Object.keys(chain)).toEqual(['ruleId', 'level', 'category', 'message', 'location', 'related', 'codePoints', 'facts', 'shape']);
    expect(Object.keys(chain.facts)[0]).toBe('key');
    expect(Object.keys(chain.location)).toEqual(['file', 'line', 'column', 'offset', 'length', 'snippet']);
    const places = json.findings.map((f) => `${f.location.file}\0${String(f.location.offset).padStart(9, '0')}`);
    expect(places).toEqual([...places].sort());
  });

  it('wraps several targets in one document with totals', () => {
    const set = jsonReport([richReport(), cleanReport()]) as JsonScanSet;
    expect(set.schemaVersion).toBe(JSON_SCHEMA_VERSION);
    expect(set.reports.map((r) => r.target)).toEqual(['npm:@acme/agent@2.4.1', 'npm:tidy@1.0.0']);
    expect(set.summary.findings).toBe(16);
    expect(set.summary.filesScanned).toBe(5);
    expect(set.reports[1]!.summary.findings).toBe(0);
  });

  it('sorts manifest names and ends with a newline', () => {
    const report = cleanReport();
    report.manifest = { dependencies: { zod: '^4', axios: '^1' }, scripts: { postinstall: 'node x.js' } };
    const text = toJson([report]);
    expect(text.endsWith('}\n')).toBe(true);
    const json = JSON.parse(text) as JsonScanReport;
    expect(Object.keys(json.manifest!.dependencies!)).toEqual(['axios', 'zod']);
    expect(json.manifest!.scripts).toEqual({ postinstall: 'node x.js' });
  });
});
