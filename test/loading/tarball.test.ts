import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/cli/errors.js';
import { loadTarget } from '../../src/loading/load-target.js';
import { readTarballBuffer } from '../../src/loading/tarball.js';
import { limits, makeTar, makeTgz, tempDir } from './helpers.js';

const PKG_JSON = JSON.stringify({ name: 'demo', version: '1.2.3', bin: { demo: 'bin/demo' }, scripts: { postinstall: 'node x.js' } });

async function rejectsWith(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InputError);
  expect((error as Error).message).toMatch(pattern);
  expect((error as Error).message).not.toContain('\n');
}

describe('tarball reading', () => {
  let dir = '';
  let cleanup: () => Promise<void> = async () => {};
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
  });
  afterAll(() => cleanup());

  it('reads a normal npm tarball in memory, strips package/ and classifies files', async () => {
    const tgz = await makeTgz([
      { name: 'package/', type: 'directory' },
      { name: 'package/package.json', body: PKG_JSON },
      { name: 'package/index.js', body: 'module.exports = 1;\n' },
      { name: 'package/lib/types.d.ts', body: 'export declare const x: number;\n' },
      { name: 'package/bin/demo', body: '#!/usr/bin/env node\nrequire("../index.js")\n' },
      { name: 'package/README.md', body: '# demo\n' },
    ]);
    const file = path.join(dir, 'demo-1.2.3.tgz');
    await writeFile(file, tgz);
    const pkg = await loadTarget(file);
    expect(pkg.source).toBe('tarball');
    expect(pkg.name).toBe('demo');
    expect(pkg.version).toBe('1.2.3');
    expect(pkg.manifest?.scripts).toEqual({ postinstall: 'node x.js' });
    expect(pkg.manifest?.bin).toEqual({ demo: 'bin/demo' });
    expect(pkg.files.map((f) => [f.path, f.kind])).toEqual([
      ['README.md', 'text'],
      ['bin/demo', 'javascript'],
      ['index.js', 'javascript'],
      ['lib/types.d.ts', 'typescript-declaration'],
      ['package.json', 'json'],
    ]);
    expect(pkg.files.find((f) => f.path === 'index.js')?.text).toBe('module.exports = 1;\n');
    expect(pkg.files[0]?.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(pkg.skipped).toEqual([]);
    expect(pkg.platformPackages).toEqual([]);
  });

  it('reads a plain (uncompressed) .tar', async () => {
    const file = path.join(dir, 'plain.tar');
    await writeFile(file, await makeTar([{ name: 'package/a.mjs', body: 'export const a = 1;' }]));
    const pkg = await loadTarget(file);
    expect(pkg.files.map((f) => [f.path, f.kind])).toEqual([['a.mjs', 'javascript']]);
  });

  it('rejects path traversal with a one-line InputError', async () => {
    const tgz = await makeTgz([
      { name: 'package/ok.js', body: '1' },
      { name: 'package/../../etc/evil.js', body: 'x' },
    ]);
    await rejectsWith(readTarballBuffer(tgz, 'evil.tgz', limits()), /evil\.tgz: archive entry "package\/\.\.\/\.\.\/etc\/evil\.js" escapes the package folder/);
  });

  it('rejects traversal hidden in a pax long-name header', async () => {
    const longName = `package/${'a'.repeat(300)}/../../../../x.js`;
    const tar = await makeTar([{ name: longName, body: 'x' }]);
    // The name does not fit a ustar header, so it travels in a pax record.
    expect(tar.includes(`path=${longName}`)).toBe(true);
    const tgz = zlib.gzipSync(tar);
    await rejectsWith(readTarballBuffer(tgz, 'pax.tgz', limits()), /escapes the package folder/);
  });

  it('rejects absolute paths, also Windows drive paths', async () => {
    await rejectsWith(readTarballBuffer(await makeTgz([{ name: '/etc/passwd', body: 'x' }]), 'abs.tgz', limits()), /absolute path/);
    await rejectsWith(readTarballBuffer(await makeTgz([{ name: 'C:\\Windows\\x.js', body: 'x' }]), 'win.tgz', limits()), /absolute path/);
  });

  it('lists symbolic and hard links as skipped, never following them', async () => {
    const tgz = await makeTgz([
      { name: 'package/index.js', body: 'module.exports = 1;' },
      { name: 'package/secret', type: 'symlink', linkname: '/etc/passwd' },
      { name: 'package/hard.js', type: 'link', linkname: 'package/index.js' },
    ]);
    const pkg = await readTarballBuffer(tgz, 'links.tgz', limits());
    expect(pkg.files.map((f) => f.path)).toEqual(['index.js']);
    expect(pkg.skipped).toEqual([
      { path: 'secret', reason: 'symbolic link not followed (-> /etc/passwd)' },
      { path: 'hard.js', reason: 'hard link not followed (-> package/index.js)' },
    ]);
  });

  it('stops an archive that expands beyond the byte limit', async () => {
    const tgz = await makeTgz([{ name: 'package/big.txt', body: Buffer.alloc(300_000, 0x61) }]);
    await rejectsWith(readTarballBuffer(tgz, 'bomb.tgz', limits({ maxTotalBytes: 100_000 })), /bomb\.tgz: archive expands beyond .* MiB; raise --max-bytes if you trust it/);
  });

  it('stops an archive whose compression ratio looks like a bomb', async () => {
    const tgz = await makeTgz([{ name: 'package/zeros.bin', body: Buffer.alloc(4_000_000) }]);
    expect(tgz.length).toBeLessThan(40_000);
    await rejectsWith(
      readTarballBuffer(tgz, 'ratio.tgz', limits({ maxCompressionRatio: 50, compressionRatioFloorBytes: 1_000_000 })),
      /ratio\.tgz: archive expands \d+x \(limit 50x\), which looks like an archive bomb; raise --max-ratio/,
    );
  });

  it('stops an archive with too many entries', async () => {
    const entries = Array.from({ length: 30 }, (_, i) => ({ name: `package/f${i}.js`, body: `${i}` }));
    await rejectsWith(readTarballBuffer(await makeTgz(entries), 'many.tgz', limits({ maxFiles: 10 })), /holds more than 10 entries; raise --max-files/);
  });

  it('skips a file above the per-file limit with a reason, without reading it', async () => {
    const tgz = await makeTgz([
      { name: 'package/huge.js', body: 'x'.repeat(50_000) },
      { name: 'package/small.js', body: 'y' },
    ]);
    const pkg = await readTarballBuffer(tgz, 'sizes.tgz', limits({ maxFileBytes: 10_000 }));
    expect(pkg.files.map((f) => f.path)).toEqual(['small.js']);
    expect(pkg.skipped).toEqual([{ path: 'huge.js', reason: expect.stringMatching(/^javascript file too large: .* \(raise --max-file-bytes if you trust it\)$/) }]);
  });

  it('rejects truncated gzip data', async () => {
    const tgz = await makeTgz([{ name: 'package/index.js', body: 'x'.repeat(20_000) }]);
    await rejectsWith(readTarballBuffer(tgz.subarray(0, Math.floor(tgz.length / 2)), 'cut.tgz', limits()), /cut\.tgz: gzip data is truncated/);
  });

  it('rejects corrupt gzip data', async () => {
    const tgz = await makeTgz([{ name: 'package/index.js', body: 'x'.repeat(20_000) }]);
    const bad = Buffer.from(tgz);
    for (let i = 20; i < 60; i++) bad[i] = 0xff;
    await rejectsWith(readTarballBuffer(bad, 'bad.tgz', limits()), /bad\.tgz: gzip data is corrupt/);
  });

  it('rejects a corrupt tar header (bad checksum)', async () => {
    const tar = await makeTar([{ name: 'package/index.js', body: 'module.exports = 1;' }]);
    tar.write('garbage!', 0, 'latin1');
    await rejectsWith(readTarballBuffer(zlib.gzipSync(tar), 'corrupt.tgz', limits()), /corrupt\.tgz: not a valid tar archive/);
  });

  it('rejects a truncated tar body', async () => {
    const tar = await makeTar([{ name: 'package/index.js', body: 'x'.repeat(5000) }]);
    await rejectsWith(readTarballBuffer(zlib.gzipSync(tar.subarray(0, 2048)), 'short.tgz', limits()), /short\.tgz: tar data is truncated/);
  });

  it('rejects something that is not an archive at all', async () => {
    const file = path.join(dir, 'notes.tgz');
    await writeFile(file, 'just some text, not a tarball\n'.repeat(40));
    await rejectsWith(loadTarget(file), /notes\.tgz: not a valid tar archive/);
  });

  it('keeps the later of two entries with the same path, as npm would, and says so', async () => {
    const tgz = await makeTgz([
      { name: 'package/index.js', body: 'first();' },
      { name: 'package/index.js', body: 'second();' },
    ]);
    const pkg = await readTarballBuffer(tgz, 'dup.tgz', limits());
    expect(pkg.files.map((f) => f.text)).toEqual(['second();']);
    expect(pkg.skipped[0]?.reason).toMatch(/earlier entry of this path .* replaced by a later one/);
  });

  it('hands JavaScript to the scanner before the strings of binaries listed ahead of it are extracted, losing nothing', async () => {
    // A native binary before the bundle (as claude-code ships ripgrep before cli.js).
    const binary = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.alloc(200), Buffer.from('https://telemetry.example.net/v1 is inside\0'), Buffer.alloc(64)]);
    const tgz = await makeTgz([
      { name: 'package/vendor/tool', body: binary },
      { name: 'package/vendor/tool', body: binary },
      { name: 'package/cli.js', body: 'console.log("hi");' },
    ]);
    const order: string[] = [];
    const pkg = await readTarballBuffer(tgz, 'order.tgz', limits({ onFile: (f) => order.push(f.path) }));
    expect(order).toEqual(['cli.js', 'vendor/tool']);
    const tool = pkg.files.find((f) => f.path === 'vendor/tool');
    expect(tool?.segments?.some((s) => s.text.includes('telemetry.example.net'))).toBe(true);
    expect(pkg.files.map((f) => f.path)).toEqual(['cli.js', 'vendor/tool']);
    expect(pkg.skipped.map((s) => s.reason)).toEqual([expect.stringMatching(/earlier entry of this path .* replaced by a later one/)]);
  });

  it('leaves out files at the archive root, outside the package folder (npm does not install them)', async () => {
    const tgz = await makeTgz([
      { name: 'index.js', body: 'decoy();' },
      { name: 'package/index.js', body: 'ok();' },
      { name: 'stray.js', body: 'hidden();' },
    ]);
    const pkg = await readTarballBuffer(tgz, 'stray.tgz', limits());
    expect(pkg.files.map((f) => [f.path, f.text])).toEqual([['index.js', 'ok();']]);
    expect(pkg.skipped).toEqual([
      { path: 'index.js', reason: expect.stringMatching(/outside the package folder/) },
      { path: 'stray.js', reason: expect.stringMatching(/outside the package folder/) },
    ]);
  });

  it('takes an archive with every file at its root as it is', async () => {
    const pkg = await readTarballBuffer(await makeTgz([{ name: 'a.js', body: 'a();' }, { name: 'b.json', body: '{}' }]), 'flat.tgz', limits());
    expect(pkg.files.map((f) => f.path)).toEqual(['a.js', 'b.json']);
    expect(pkg.skipped).toEqual([]);
  });

  it('notes invalid UTF-8 in a JavaScript file and reads the rest', async () => {
    const body = Buffer.concat([Buffer.from('const s = "'), Buffer.from([0xc3, 0x28]), Buffer.from('";\n')]);
    const pkg = await readTarballBuffer(await makeTgz([{ name: 'package/x.js', body }]), 'utf.tgz', limits());
    expect(pkg.files[0]?.kind).toBe('javascript');
    expect(pkg.files[0]?.text).toBe('const s = "\uFFFD(";\n');
    expect(pkg.skipped).toEqual([{ path: 'x.js', reason: 'partly analysed: 1 invalid UTF-8 sequence (first at byte 11) read as U+FFFD' }]);
  });
});
