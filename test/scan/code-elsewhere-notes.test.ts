/**
 * Where a package's code really lives (scanLoaded's notes): in per-platform packages, in a
 * dependency its command runs, or in what an install script fetches.
 */
import { describe, expect, it } from 'vitest';
import { scanLoaded } from '../../src/scan/analysis.js';
import { platformPackageFor } from '../../src/loading/platform.js';
import type { LoadedPackage } from '../../src/loading/types.js';

function launcher(platformPackages: string[]): LoadedPackage {
  return {
    target: 'npm:@acme/agent@2.0.0',
    source: 'npm',
    name: '@acme/agent',
    version: '2.0.0',
    files: [{ path: 'bin/agent.js', kind: 'javascript', size: 60, text: 'require("child_process").spawnSync(process.argv[2])' }],
    skipped: [],
    platformPackages,
  };
}

describe('notes on where the code lives', () => {
  it('gives the command for the package that fits this machine', () => {
    const pkg = launcher(['linux-x64', 'linux-arm64', 'darwin-arm64', 'darwin-x64', 'win32-x64', 'win32-arm64'].map((p) => `@acme/agent-${p}@2.0.0`));
    const here = platformPackageFor(pkg);
    const note = scanLoaded(pkg).notes.find((n) => n.includes('platform packages'));
    expect(note).toContain('@acme/agent-linux-x64@2.0.0, @acme/agent-linux-arm64@2.0.0');
    if (here) expect(note).toMatch(new RegExp(`scan the one for this machine with: telltale scan npm:${here.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
    else expect(note).toMatch(/scan one with: telltale scan npm:<one of them>$/);
  });

  it('says which to choose from when none fits this machine', () => {
    const note = scanLoaded(launcher(['@acme/agent-aix-ppc64@2.0.0'])).notes.find((n) => n.includes('platform packages'));
    expect(note).toBe('the code of this package lives in platform packages: @acme/agent-aix-ppc64@2.0.0; scan one with: telltale scan npm:<one of them>');
  });

  it('names the dependency a thin wrapper\u2019s command runs, with the command that scans it', () => {
    const pkg: LoadedPackage = {
      ...launcher([]),
      manifest: { name: '@acme/wrapper', version: '3.0.0', bin: { acme: 'node_modules/@acme/cli/bin/acme.exe' }, dependencies: { '@acme/cli': '3.0.0' } },
    };
    expect(scanLoaded(pkg).notes).toContain('the code of this package lives in its dependency @acme/cli@3.0.0 (its command acme runs node_modules/@acme/cli/bin/acme.exe); scan it with: telltale scan npm:@acme/cli@3.0.0');
  });

  it('says which install scripts npm runs: the scan saw only the installer (Crush downloads its program)', () => {
    const pkg: LoadedPackage = { ...launcher([]), manifest: { name: '@acme/agent', scripts: { postinstall: 'node install.js', prepare: 'tsc', test: 'vitest' } } };
    expect(scanLoaded(pkg).notes).toContain('npm runs postinstall "node install.js" when it installs this package: what that fetches or builds is not in the package and was not scanned');
    expect(scanLoaded({ ...pkg, manifest: { scripts: { prepare: 'tsc', build: 'tsc' } } }).notes.filter((n) => n.startsWith('npm runs'))).toEqual([]);
  });
});
