import { describe, expect, it } from 'vitest';
import { binDependenciesOf, platformPackageFor, platformPackagesOf, type Host } from '../../src/loading/platform.js';
import type { LoadedFile, LoadedPackage } from '../../src/loading/types.js';

const optionalDependencies = {
  '@acme/agent-darwin-arm64': '2.0.0',
  '@acme/agent-darwin-x64': '2.0.0',
  '@acme/agent-linux-x64': '2.0.0',
  '@acme/agent-linux-x64-musl': '2.0.0',
  '@acme/agent-linux-x64-baseline': '2.0.0',
  '@acme/agent-linux-arm64': '2.0.0',
  '@acme/agent-win32-x64': '2.0.0',
  'fsevents': '^2.3.0',
};

const launcher: LoadedFile[] = [{ path: 'cli-wrapper.cjs', kind: 'javascript', size: 900, text: 'require("child_process").spawnSync(bin)' }];

function pkg(files: LoadedFile[]): LoadedPackage {
  const manifest = { name: '@acme/agent', version: '2.0.0', optionalDependencies };
  return { target: 'npm:@acme/agent@2.0.0', source: 'npm', manifest, files, skipped: [], platformPackages: platformPackagesOf(manifest, files) };
}

describe('platform packages', () => {
  it('lists per-platform optionalDependencies of a thin launcher', () => {
    expect(pkg(launcher).platformPackages).toEqual([
      '@acme/agent-darwin-arm64@2.0.0',
      '@acme/agent-darwin-x64@2.0.0',
      '@acme/agent-linux-x64@2.0.0',
      '@acme/agent-linux-x64-musl@2.0.0',
      '@acme/agent-linux-x64-baseline@2.0.0',
      '@acme/agent-linux-arm64@2.0.0',
      '@acme/agent-win32-x64@2.0.0',
    ]);
  });

  it('lists nothing when the package carries its own code', () => {
    const bundle: LoadedFile = { path: 'cli.js', kind: 'javascript', size: 2_000_000, text: 'x'.repeat(2_000_000) };
    expect(pkg([bundle]).platformPackages).toEqual([]);
  });

  it.each<[Host, string | undefined]>([
    [{ platform: 'linux', arch: 'x64', libc: 'glibc' }, '@acme/agent-linux-x64@2.0.0'],
    [{ platform: 'linux', arch: 'x64', libc: 'musl' }, '@acme/agent-linux-x64-musl@2.0.0'],
    [{ platform: 'linux', arch: 'arm64', libc: 'glibc' }, '@acme/agent-linux-arm64@2.0.0'],
    [{ platform: 'darwin', arch: 'arm64' }, '@acme/agent-darwin-arm64@2.0.0'],
    [{ platform: 'win32', arch: 'x64' }, '@acme/agent-win32-x64@2.0.0'],
    [{ platform: 'win32', arch: 'arm64' }, undefined],
    [{ platform: 'freebsd', arch: 'x64' }, undefined],
  ])('picks the package for %o', (host, expected) => {
    expect(platformPackageFor(pkg(launcher), host)).toBe(expected);
  });

  it('understands x86_64 / aarch64 / macos spellings', () => {
    const manifest = { optionalDependencies: { 'tool-macos-aarch64': '1.0.0', 'tool-linux-x86_64-gnu': '1.0.0' } };
    const p: LoadedPackage = { target: 't', source: 'npm', manifest, files: [], skipped: [], platformPackages: platformPackagesOf(manifest, []) };
    expect(platformPackageFor(p, { platform: 'darwin', arch: 'arm64' })).toBe('tool-macos-aarch64@1.0.0');
    expect(platformPackageFor(p, { platform: 'linux', arch: 'x64', libc: 'glibc' })).toBe('tool-linux-x86_64-gnu@1.0.0');
  });

  it('names npm aliases by their target, the spec npm pack can fetch (Codex)', () => {
    const manifest = {
      name: '@openai/codex',
      version: '0.169.0',
      optionalDependencies: {
        '@openai/codex-linux-x64': 'npm:@openai/codex@0.169.0-linux-x64',
        '@openai/codex-linux-arm64': 'npm:@openai/codex@0.169.0-linux-arm64',
        '@openai/codex-darwin-arm64': 'npm:@openai/codex@0.169.0-darwin-arm64',
        '@openai/codex-win32-x64': 'npm:@openai/codex@0.169.0-win32-x64',
      },
    };
    const p: LoadedPackage = { target: 'npm:@openai/codex@0.169.0', source: 'npm', manifest, files: launcher, skipped: [], platformPackages: platformPackagesOf(manifest, launcher) };
    expect(p.platformPackages).toEqual(['@openai/codex@0.169.0-linux-x64', '@openai/codex@0.169.0-linux-arm64', '@openai/codex@0.169.0-darwin-arm64', '@openai/codex@0.169.0-win32-x64']);
    expect(platformPackageFor(p, { platform: 'linux', arch: 'x64', libc: 'glibc' })).toBe('@openai/codex@0.169.0-linux-x64');
    expect(platformPackageFor(p, { platform: 'darwin', arch: 'arm64' })).toBe('@openai/codex@0.169.0-darwin-arm64');
    expect(platformPackageFor(p, { platform: 'linux', arch: 'riscv64', libc: 'glibc' })).toBeUndefined();
  });

  it('names the dependency a thin wrapper\u2019s command runs (Amp: node_modules/@ampcode/cli/bin/amp.exe)', () => {
    const manifest = { name: '@sourcegraph/amp', version: '1.0.0', bin: { amp: 'node_modules/@ampcode/cli/bin/amp.exe', other: 'bin/other.js' }, dependencies: { '@ampcode/cli': '1.0.0' } };
    expect(binDependenciesOf(manifest, [])).toEqual([{ command: 'amp', target: 'node_modules/@ampcode/cli/bin/amp.exe', spec: '@ampcode/cli@1.0.0' }]);
    // A bin string, an unscoped dependency, an npm alias, a dependency without a version.
    expect(binDependenciesOf({ name: 'w', bin: './node_modules/real-tool/cli.js', dependencies: { 'real-tool': 'npm:tool-core@2.1.0' } }, [])).toEqual([{ command: 'w', target: './node_modules/real-tool/cli.js', spec: 'tool-core@2.1.0' }]);
    expect(binDependenciesOf({ name: 'w', bin: { w: 'node_modules/x/bin' } }, [])).toEqual([{ command: 'w', target: 'node_modules/x/bin', spec: 'x' }]);
    // Not when the package carries code of its own, nor for bins of its own.
    const bundle: LoadedFile = { path: 'cli.js', kind: 'javascript', size: 2_000_000, text: 'x'.repeat(2_000_000) };
    expect(binDependenciesOf(manifest, [bundle])).toEqual([]);
    expect(binDependenciesOf({ bin: { a: 'bin/a.js' } }, [])).toEqual([]);
  });
});
