import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError, UsageError } from '../../src/cli/errors.js';
import { loadTarget } from '../../src/loading/load-target.js';
import { convertBinaries, mergeConverted } from '../../src/loading/collector.js';
import { elfPrefix, pseudoMachineCode, tempDir } from './helpers.js';

describe('directory and single-file targets', () => {
  let root = '';
  let cleanup: () => Promise<void> = async () => {};
  beforeAll(async () => {
    ({ dir: root, cleanup } = await tempDir());
  });
  afterAll(() => cleanup());

  it('walks a folder without following links out of it, and skips .git and node_modules with reasons', async () => {
    const outside = path.join(root, 'outside');
    await mkdir(outside);
    await writeFile(path.join(outside, 'secret.js'), 'steal();');
    const pkg = path.join(root, 'pkg');
    await mkdir(path.join(pkg, 'lib'), { recursive: true });
    await mkdir(path.join(pkg, '.git'));
    await mkdir(path.join(pkg, 'node_modules', 'dep'), { recursive: true });
    await writeFile(path.join(pkg, 'package.json'), JSON.stringify({ name: 'dir-pkg', version: '0.0.1' }));
    await writeFile(path.join(pkg, 'lib', 'main.cjs'), 'exports.x = 1;');
    await writeFile(path.join(pkg, '.git', 'HEAD'), 'ref: refs/heads/main');
    await writeFile(path.join(pkg, 'node_modules', 'dep', 'index.js'), 'dep();');
    await symlink(outside, path.join(pkg, 'escape'));
    await symlink(path.join(outside, 'secret.js'), path.join(pkg, 'lib', 'linked.js'));

    const loaded = await loadTarget(pkg);
    expect(loaded.source).toBe('directory');
    expect(loaded.name).toBe('dir-pkg');
    expect(loaded.files.map((f) => [f.path, f.kind])).toEqual([
      ['lib/main.cjs', 'javascript'],
      ['package.json', 'json'],
    ]);
    const skipped = Object.fromEntries(loaded.skipped.map((s) => [s.path, s.reason]));
    expect(skipped).toEqual({
      '.git': 'version-control folder not scanned',
      node_modules: expect.stringContaining('installed dependencies not scanned'),
      escape: `symbolic link not followed (-> ${outside})`,
      'lib/linked.js': `symbolic link not followed (-> ${path.join(outside, 'secret.js')})`,
    });
    expect(loaded.files.some((f) => f.text?.includes('steal'))).toBe(false);
  });

  it('loads a single file target under its base name', async () => {
    const file = path.join(root, 'cli.bundle');
    await writeFile(file, '"use strict";var a=require("fs");module.exports=a;');
    const loaded = await loadTarget(file);
    expect(loaded.source).toBe('file');
    expect(loaded.files).toHaveLength(1);
    expect(loaded.files[0]).toMatchObject({ path: 'cli.bundle', kind: 'javascript', size: 50 });
  });

  it('skips a directory file above the size limit and limits the number of entries', async () => {
    const pkg = path.join(root, 'big');
    await mkdir(pkg);
    await writeFile(path.join(pkg, 'big.json'), `{"a":"${'x'.repeat(5000)}"}`);
    await writeFile(path.join(pkg, 'ok.json'), '{}');
    const loaded = await loadTarget(pkg, { maxFileBytes: 1000 });
    expect(loaded.files.map((f) => f.path)).toEqual(['ok.json']);
    expect(loaded.skipped).toEqual([{ path: 'big.json', reason: expect.stringMatching(/^json file too large/) }]);
    await expect(loadTarget(pkg, { maxFiles: 1 })).rejects.toThrow(/big: directory holds more than 1 entries; raise --max-files/);
  });

  it('gives a clear InputError for a missing target, with a hint for a forgotten npm: prefix', async () => {
    const error = await loadTarget('left-pad@1.3.0').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toBe('left-pad@1.3.0: no such file or directory (did you mean npm:left-pad@1.3.0?); give npm:<name>@<version>, a .tgz, a directory or a file');
    await expect(loadTarget('')).rejects.toBeInstanceOf(UsageError);
  });

  it('rejects invalid limits as a usage error', async () => {
    await expect(loadTarget(root, { maxFiles: -1 })).rejects.toThrow(/maxFiles must be a positive number/);
  });

  it('notes a package.json that is not valid JSON', async () => {
    const pkg = path.join(root, 'badjson');
    await mkdir(pkg);
    await writeFile(path.join(pkg, 'package.json'), '{ "name": ');
    const loaded = await loadTarget(pkg);
    expect(loaded.manifest).toBeUndefined();
    expect(loaded.skipped).toEqual([{ path: 'package.json', reason: expect.stringMatching(/^partly analysed: not a valid JSON object/) }]);
  });

  it('can leave binaries unconverted (deferBinaries) and convert them later to the same package', async () => {
    const pkg = path.join(root, 'deferred');
    await mkdir(path.join(pkg, 'bin'), { recursive: true });
    // A platform package manifest: whether its own code is thin depends on the binaries' JavaScript.
    await writeFile(path.join(pkg, 'package.json'), JSON.stringify({ name: 'agent', version: '1.0.0', optionalDependencies: { 'agent-linux-x64': '1.0.0' } }));
    await writeFile(path.join(pkg, 'index.js'), 'require("./bin/agent")');
    await writeFile(path.join(pkg, 'bin', 'agent'), Buffer.concat([elfPrefix(8_000, 7), Buffer.from('\0usage: agent --help\0'), pseudoMachineCode(8_000, 8)]));
    await writeFile(path.join(pkg, 'data.bin'), pseudoMachineCode(5_000, 9));
    const whole = await loadTarget(pkg);
    const later = await loadTarget(pkg, { deferBinaries: true });
    expect(later.unconverted?.items.map((i) => i.path).sort()).toEqual(['bin/agent', 'data.bin']);
    expect(later.files.map((f) => f.path)).toEqual(['index.js', 'package.json']);
    mergeConverted(later, convertBinaries(later.unconverted!));
    expect(later.unconverted).toBeUndefined();
    expect(later.files).toEqual(whole.files);
    expect(later.skipped).toEqual(whole.skipped);
    expect(later.platformPackages).toEqual(whole.platformPackages);
    await expect(loadTarget(pkg, { deferBinaries: 'yes' as unknown as boolean })).rejects.toThrow(UsageError);
  });
});
