import { describe, expect, it } from 'vitest';
import { compareVersions, parseNpmTarget, previousVersion } from '../../src/core/diff/versions.js';
import { resolveTargets } from '../../src/diff/resolve.js';

const time = {
  created: '2026-01-01T00:00:00Z',
  '1.0.0': '2026-01-01T00:00:00Z',
  '1.1.0': '2026-02-01T00:00:00Z',
  '2.0.0-beta.1': '2026-02-15T00:00:00Z',
  '2.0.0': '2026-03-01T00:00:00Z',
  '1.1.1': '2026-03-05T00:00:00Z', // a backport, published after 2.0.0
  '2.0.1': '2026-04-01T00:00:00Z',
  '2.1.0-rc.1': '2026-04-10T00:00:00Z',
};
const versions = ['1.0.0', '1.1.0', '1.1.1', '2.0.0-beta.1', '2.0.0', '2.0.1', '2.1.0-rc.1'];

describe('previousVersion', () => {
  it('is the highest lower release published before latest; backports and prereleases do not count', () => {
    expect(previousVersion({ versions, time, latest: '2.0.1' })).toBe('2.0.0');
    expect(previousVersion({ versions, time, latest: '2.0.0' })).toBe('1.1.0');
    expect(previousVersion({ versions, time, latest: '1.0.0' })).toBeUndefined();
  });
  it('falls back to the highest lower version when no publish time is before latest (rewritten times)', () => {
    const rewritten = { '1.0.0': '2026-05-01T00:00:00Z', '1.1.0': '2026-06-01T00:00:00Z', '1.2.0': '2026-01-01T00:00:00Z' };
    expect(previousVersion({ versions: ['1.0.0', '1.1.0', '1.2.0'], time: rewritten, latest: '1.2.0' })).toBe('1.1.0');
  });
  it('works without publish times', () => {
    expect(previousVersion({ versions, time: {}, latest: '2.0.1' })).toBe('2.0.0');
  });
  it('compares versions by semver precedence', () => {
    expect(['2.1.10', '2.1.9', '2.1.100', '2.1.9-rc.1'].sort(compareVersions)).toEqual(['2.1.9-rc.1', '2.1.9', '2.1.10', '2.1.100']);
  });
});

describe('npm targets', () => {
  it('parses scoped and plain names', () => {
    expect(parseNpmTarget('npm:@scope/name@1.2.3')).toEqual({ name: '@scope/name', spec: '1.2.3' });
    expect(parseNpmTarget('npm:name@latest')).toEqual({ name: 'name', spec: 'latest' });
    expect(parseNpmTarget('npm:@scope/name')).toEqual({ name: '@scope/name', spec: undefined });
    expect(parseNpmTarget('./dir')).toBeUndefined();
  });
  it('resolves @previous and @latest with one registry lookup per package', async () => {
    let lookups = 0;
    const lookup = async () => {
      lookups++;
      return { versions, time, latest: '2.0.1' };
    };
    expect(await resolveTargets('npm:@scope/agent@previous', 'npm:@scope/agent@latest', lookup)).toEqual(['npm:@scope/agent@2.0.0', 'npm:@scope/agent@2.0.1']);
    expect(lookups).toBe(1);
    expect(await resolveTargets('a.tgz', 'npm:x@1.0.0', lookup)).toEqual(['a.tgz', 'npm:x@1.0.0']);
    expect(lookups).toBe(1);
  });
  it('@previous is the release before the version NEW names', async () => {
    const lookup = async () => ({ versions, time, latest: '2.0.1' });
    expect(await resolveTargets('npm:agent@previous', 'npm:agent@2.0.0', lookup)).toEqual(['npm:agent@1.1.0', 'npm:agent@2.0.0']);
    expect(await resolveTargets('npm:agent@previous', 'npm:other@2.0.0', lookup)).toEqual(['npm:agent@2.0.0', 'npm:other@2.0.0']);
    await expect(resolveTargets('npm:agent@previous', 'npm:agent@9.9.9', lookup)).rejects.toThrow(/no version 9\.9\.9/);
  });
  it('says so when there is no previous release', async () => {
    await expect(resolveTargets('npm:x@previous', 'npm:x@latest', async () => ({ versions: ['1.0.0'], time: {}, latest: '1.0.0' }))).rejects.toThrow(/no release before 1.0.0/);
  });
});
