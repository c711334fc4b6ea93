import { describe, expect, it } from 'vitest';
import { diffPackages, treeDigest } from '../../src/core/diff/package-facts.js';
import type { DiffInput } from '../../src/core/diff/types.js';

function input(files: DiffInput['files'], manifest: DiffInput['manifest'] = {}, name = 'example-agent', skipped: DiffInput['skipped'] = []): DiffInput {
  return { target: name, package: { name }, rules: [], findings: [], files, skipped, manifest };
}

describe('diffPackages', () => {
  it('lists files added, removed and changed (by hash), and new native binaries', () => {
    const before = input([
      { path: 'cli.js', kind: 'javascript', size: 1000, sha256: 'aa' },
      { path: 'README.md', kind: 'text', size: 10, sha256: 'bb' },
      { path: 'old.js', kind: 'javascript', size: 5, sha256: 'cc' },
      { path: 'vendor/tool', kind: 'text', size: 20, sha256: 'dd' },
    ]);
    const after = input([
      { path: 'cli.js', kind: 'javascript', size: 1500, sha256: 'a2' },
      { path: 'README.md', kind: 'text', size: 10, sha256: 'bb' },
      { path: 'bin/helper', kind: 'executable', size: 4096 },
      { path: 'vendor/tool', kind: 'executable', size: 30 },
    ]);
    const p = diffPackages(before, after);
    expect(p.files.added.map((f) => f.path)).toEqual(['bin/helper']);
    expect(p.files.removed.map((f) => f.path)).toEqual(['old.js']);
    expect(p.files.changed.map((f) => [f.path, f.delta, f.previousKind])).toEqual([
      ['cli.js', 500, undefined],
      ['vendor/tool', 10, 'text'],
    ]);
    expect(p.files.unchanged).toBe(1);
    expect(p.nativeBinaries.map((f) => f.path)).toEqual(['bin/helper', 'vendor/tool']);
  });

  it('reports install scripts first, dependencies by field, bins (string or map)', () => {
    const before = input([], { scripts: { test: 'vitest', prepare: 'tsc' }, dependencies: { a: '^1.0.0', b: '2.0.0' }, bin: 'cli.js' });
    const after = input([], {
      scripts: { test: 'vitest run', prepare: 'tsc', postinstall: 'node setup.js' },
      dependencies: { a: '^1.1.0', c: '1.0.0' },
      optionalDependencies: { 'example-agent-linux-x64': '1.0.1' },
      bin: { 'example-agent': 'cli.js', helper: 'bin/helper' },
    });
    const p = diffPackages(before, after);
    expect(p.scripts).toEqual([
      { name: 'postinstall', state: 'added', install: true, after: 'node setup.js' },
      { name: 'test', state: 'changed', install: false, before: 'vitest', after: 'vitest run' },
    ]);
    expect(p.dependencies).toEqual([
      { name: 'a', field: 'dependencies', state: 'changed', before: '^1.0.0', after: '^1.1.0' },
      { name: 'b', field: 'dependencies', state: 'removed', before: '2.0.0' },
      { name: 'c', field: 'dependencies', state: 'added', after: '1.0.0' },
      { name: 'example-agent-linux-x64', field: 'optionalDependencies', state: 'added', after: '1.0.1' },
    ]);
    expect(p.bin).toEqual([{ name: 'helper', state: 'added', after: 'bin/helper' }]);
  });

  it('lists files newly skipped by the scanner', () => {
    const p = diffPackages(input([], {}, 'x', [{ path: 'a.bin', reason: 'too large' }]), input([], {}, 'x', [{ path: 'a.bin', reason: 'too large' }, { path: 'b.js', reason: 'not valid UTF-8' }]));
    expect(p.newlySkipped).toEqual([{ path: 'b.js', reason: 'not valid UTF-8' }]);
  });

  it('the tree digest ignores order and tells identical trees', () => {
    const a = [{ path: 'a', kind: 'text', size: 1, sha256: '1' }, { path: 'b', kind: 'text', size: 2, sha256: '2' }];
    expect(treeDigest(a)).toBe(treeDigest([...a].reverse()));
    expect(treeDigest(a)).not.toBe(treeDigest([a[0]!, { ...a[1]!, sha256: '3' }]));
  });
});
