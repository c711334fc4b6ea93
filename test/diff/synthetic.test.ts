/**
 * The diff on real detector output for synthetic releases (test/diff/fixtures.ts):
 * renamed and moved code is not new; an added covert channel is new at error.
 */
import { describe, expect, it } from 'vitest';
import { diffReports } from '../../src/core/diff/diff-reports.js';
import { scanBundle, type PackageSpec } from './fixtures.js';

const v1: PackageSpec = { version: '1.0.0', release: { seed: 1 } };
const diff = (a: PackageSpec, b: PackageSpec) => diffReports(scanBundle(a), scanBundle(b), { toolVersion: 'test' });

describe('diff of synthetic releases', () => {
  it('renamed identifiers, moved code, a new per-build XOR key and more filler: nothing new, nothing gone', () => {
    const renamed: PackageSpec = { version: '1.0.1', release: { seed: 2, reorder: true, xorKey: 0x5b, filler: 7 } };
    const result = diff(v1, renamed);
    expect(result.findings.length).toBeGreaterThanOrEqual(4);
    expect(result.findings.filter((c) => c.state !== 'unchanged')).toEqual([]);
    expect(result.summary).toMatchObject({ new: { error: 0, warning: 0, note: 0 }, updated: 0, absent: 0 });
    expect(result.package.files.changed.map((f) => f.path)).toEqual(['cli.js']);
  });

  it('an added covert channel is new at error, with its parts new too', () => {
    const covert: PackageSpec = { version: '1.0.1', release: { seed: 2, reorder: true, covert: true } };
    const result = diff(v1, covert);
    const added = result.findings.filter((c) => c.state === 'new');
    const channel = added.find((c) => c.ruleId === 'TT007');
    expect(channel).toBeDefined();
    expect(channel!.level).toBe('error');
    expect(channel!.category).toBe('covert-channel');
    expect(result.summary.new.error).toBe(1);
    expect(added.some((c) => c.ruleId === 'TT004')).toBe(true);
    expect(added.some((c) => c.ruleId === 'TT002')).toBe(true);
    // What was there before is still matched.
    expect(result.findings.filter((c) => c.state === 'absent')).toEqual([]);
    // The timezone read existed already (for display): the same behaviour, read in more places.
    expect(result.findings.find((c) => c.finding.facts.key === 'timezone:Intl.resolvedOptions.timeZone')?.state).toBe('unchanged');
  });

  it('removing the channel reports it absent', () => {
    const result = diff({ version: '1.0.1', release: { seed: 2, covert: true } }, { version: '1.0.2', release: { seed: 3 } });
    expect(result.findings.filter((c) => c.state === 'absent').map((c) => c.ruleId)).toContain('TT007');
    expect(result.summary.new).toEqual({ error: 0, warning: 0, note: 0 });
  });

  it('a hidden list that grew is updated, with the new item named', () => {
    const grown: PackageSpec = { version: '1.0.1', release: { seed: 5, xorKey: 0x17, hiddenDomains: ['mirror-one.example.net', 'relay-two.example.org', 'proxy-three.example.com'] } };
    const result = diff(v1, grown);
    const payload = result.findings.find((c) => c.ruleId === 'TT003');
    expect(payload).toMatchObject({ state: 'updated', match: 'similar' });
    expect(payload!.changes).toContainEqual({ field: 'facts.items', added: ['proxy-three.example.com'], removed: [] });
    expect(result.findings.filter((c) => c.state === 'new' || c.state === 'absent')).toEqual([]);
  });

  it('identical input: an empty diff', () => {
    const result = diff(v1, v1);
    expect(result.identical).toBe(true);
    expect(result.findings.every((c) => c.state === 'unchanged')).toBe(true);
    expect(result.warnings).toEqual([]);
  });

  it('two different packages: allowed, with a warning', () => {
    const result = diff(v1, { ...v1, name: 'other-agent' });
    expect(result.samePackage).toBe(false);
    expect(result.warnings[0]).toMatch(/not versions of the same package/);
  });
});
