/**
 * Bundles over 4 MB are analysed in two threads (scan.ts): each parses and walks
 * half of the anchored statements, the correlation runs once over both. This
 * test builds a 5 MB bundle whose covert channel (inert, labelled TEST DATA) is
 * spread over both halves, and checks that the real CLI finds the same chain
 * and merges once-per-file findings across the halves.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeJavaScript } from '../../src/core/analyze-js.js';
import { loadTarget } from '../../src/loading/load-target.js';
import { elfPrefix, makeTgz, pseudoMachineCode } from '../loading/helpers.js';

const BIN = resolve(__dirname, '../../dist/cli/bin.js');
let dir = '';
let bundle = '';

function filler(from: number, count: number): string {
  const out: string[] = [];
  for (let i = from; i < from + count; i++) {
    out.push(`function pad${i}(a,b){var c=a*${i}+b;for(var k=0;k<3;k++)c=(c<<1)^k;return c}`);
    // Anchored statements in both halves: the same host many times, and env reads.
    if (i % 500 === 0) out.push(`var link${i}="https://docs.example-vendor.net/page/${i}";`);
  }
  return out.join('\n');
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'telltale-two-threads-'));
  // TEST DATA: a synthetic tracker split across the file — signal first, choice last.
  const head = 'var zoneMemo;function zone(){if(!zoneMemo)zoneMemo=Intl.DateTimeFormat().resolvedOptions().timeZone;return zoneMemo}';
  const middle = 'function far(){var z=zone();return z==="Europe/Minsk"||z==="America/Caracas"}';
  const tail = 'function quote(){return far()?"\\u2019":"\'"}\nexport function line(){return "It"+quote()+"s fine"}';
  bundle = [head, filler(0, 30_000), middle, filler(30_000, 30_000), tail].join('\n');
  writeFileSync(join(dir, 'bundle.js'), bundle);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('two-thread analysis of a big bundle', () => {
  it('finds a covert channel whose parts are in different halves, like the one-thread analysis', () => {
    expect(bundle.length).toBeGreaterThan(4 << 20);
    const r = spawnSync(process.execPath, [BIN, 'scan', join(dir, 'bundle.js'), '--format', 'json'], { encoding: 'utf8', timeout: 120_000, maxBuffer: 1 << 26, env: { ...process.env, TELLTALE_DEBUG: 'timing' } });
    expect(r.status, r.stderr).toBe(1);
    // The worker analysed its half from the text sent while oxc outlined (not a fallback to one thread).
    expect(r.stderr).toMatch(/worker 1 portion received \(text sent ahead\)/);
    expect(r.stderr).not.toMatch(/analysed in one thread/);
    const two = JSON.parse(r.stdout) as { findings: Array<{ ruleId: string; level: string; message: string; facts: Record<string, unknown> }> };
    const channel = two.findings.find((f) => f.ruleId === 'TT007');
    expect(channel?.level).toBe('error');
    expect(channel?.facts.signals).toEqual(['timezone']);
    expect(channel?.facts.compared).toEqual(expect.arrayContaining(['Europe/Minsk', 'America/Caracas']));
    // One endpoint finding for the host, counting the references of both halves.
    const hosts = two.findings.filter((f) => f.ruleId === 'TT006' && f.facts.host === 'docs.example-vendor.net');
    expect(hosts).toHaveLength(1);
    expect(hosts[0]!.message).toContain('(120 references)');
    // Same findings as analysing the file in one piece (in this process).
    const one = analyzeJavaScript('bundle.js', bundle).findings;
    const keys = (fs: Array<{ ruleId: string; level: string; facts: Record<string, unknown> }>) => fs.map((f) => `${f.ruleId} ${f.level} ${String(f.facts.key)}`).sort();
    expect(keys(two.findings)).toEqual(keys(one));
  });

  it('converts binaries on the worker while this thread correlates, with the same files and findings', async () => {
    // A package folder: native binaries (one with embedded JavaScript, one without) beside
    // the big bundle. Their string extraction is deferred and done by the worker.
    const pkg = join(dir, 'pkg');
    mkdirSync(join(pkg, 'bin'), { recursive: true });
    writeFileSync(join(pkg, 'bundle.js'), bundle);
    // TEST DATA: JavaScript embedded in an executable, naming a host only it contains.
    const embedded = `var nativeHost="https://native-only.example-vendor.net/v1/ping";` + Array.from({ length: 200 }, (_, i) => `function n${i}(a,b){return typeof a==="string"?a.split(",").length+b:${i}}`).join('');
    writeFileSync(join(pkg, 'bin', 'agent-native'), Buffer.concat([elfPrefix(20_000, 3), Buffer.from(`\0${embedded}\0`), pseudoMachineCode(20_000, 4)]));
    // TEST DATA: a native helper with a documentation link and an error-reporting endpoint in its strings.
    writeFileSync(join(pkg, 'bin', 'helper'), Buffer.concat([elfPrefix(30_000, 5), Buffer.from('\0usage: helper [options]\0see https://docs.example-vendor.net/helper\0dsn https://o42.ingest.sentry.io/api/42/store/\0'), pseudoMachineCode(30_000, 6)]));
    const r = spawnSync(process.execPath, [BIN, 'scan', pkg, '--format', 'json'], { encoding: 'utf8', timeout: 120_000, maxBuffer: 1 << 26, env: { ...process.env, TELLTALE_DEBUG: 'timing' } });
    expect(r.status, r.stderr).toBe(1);
    // The worker did the conversion (its timing line), not this thread.
    expect(r.stderr).toMatch(/worker 1 binaries converted/);
    const report = JSON.parse(r.stdout) as {
      files: Array<{ path: string; kind: string; size: number; sha256?: string }>;
      skipped: Array<{ path: string; reason: string }>;
      findings: Array<{ ruleId: string; facts: Record<string, unknown>; location: { file: string; byteOffset?: number } }>;
    };
    // Files and skip notes as loading converts them itself.
    const loaded = await loadTarget(pkg);
    expect(report.files.map((f) => [f.path, f.kind, f.size, f.sha256])).toEqual(loaded.files.map((f) => [f.path, f.kind, f.size, f.sha256]));
    expect(report.skipped).toEqual(loaded.skipped);
    // The embedded JavaScript was analysed, with byte offsets into the binary.
    const native = report.findings.find((f) => f.ruleId === 'TT006' && f.facts.host === 'native-only.example-vendor.net');
    expect(native?.location.file).toBe('bin/agent-native');
    expect(native?.location.byteOffset).toBeGreaterThan(20_000);
    expect(report.findings.find((f) => f.ruleId === 'TT007')?.facts.signals).toEqual(['timezone']);
    // Native strings: the error-reporting host is reported (with its byte offset), the docs link is not.
    const helper = report.findings.filter((f) => f.location.file === 'bin/helper');
    expect(helper.map((f) => f.facts.host)).toEqual(['o42.ingest.sentry.io']);
    expect(helper[0]!.location.byteOffset).toBeGreaterThan(30_000);
  });
});

describe('a package of several big bundles', () => {
  it('analyses each in two threads, with one text ahead in the worker, in the order the archive holds them', async () => {
    // Archive order differs from path order (z/ before a/): the worker holds the first text
    // read, so the bundles are analysed in read order and each text was sent ahead.
    const second = bundle.replaceAll('pad', 'pod').replace('Europe/Minsk', 'Asia/Tbilisi');
    const tgz = await makeTgz([
      // The platform package is optional: the package's own code is its bundles, even once
      // their text is dropped after analysis (no "lives in platform packages" note).
      { name: 'package/package.json', body: '{"name":"fixture","version":"1.0.0","optionalDependencies":{"@fixture/agent-linux-x64":"1.0.0"}}' },
      { name: 'package/z/bundle.js', body: bundle },
      { name: 'package/a/bundle.js', body: second },
      // A native binary: its conversion is deferred, and merging it re-counts the package's own code.
      { name: 'package/bin/helper', body: Buffer.concat([elfPrefix(30_000, 7), pseudoMachineCode(30_000, 8)]) },
    ]);
    const file = join(dir, 'two-bundles.tgz');
    writeFileSync(file, tgz);
    const r = spawnSync(process.execPath, [BIN, 'scan', file, '--format', 'json'], { encoding: 'utf8', timeout: 120_000, maxBuffer: 1 << 26, env: { ...process.env, TELLTALE_DEBUG: 'timing' } });
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr.match(/worker 1 portion received \(text sent ahead\)/g), r.stderr).toHaveLength(2);
    expect(r.stderr).not.toMatch(/analysed in one thread/);
    // The worker's own lines reach stderr: it exits on its own once idle, not killed mid-write.
    expect(r.stderr.match(/worker 1 portion done/g)).toHaveLength(2);
    const report = JSON.parse(r.stdout) as { notes: string[]; findings: Array<{ ruleId: string; level: string; location: { file: string }; facts: Record<string, unknown> }> };
    const channels = report.findings.filter((f) => f.ruleId === 'TT007' && f.level === 'error');
    expect(channels.map((f) => [f.location.file, f.facts.compared])).toEqual([
      ['a/bundle.js', expect.arrayContaining(['Asia/Tbilisi', 'America/Caracas'])],
      ['z/bundle.js', expect.arrayContaining(['Europe/Minsk', 'America/Caracas'])],
    ]);
    expect(report.notes.join('\n')).not.toMatch(/platform packages/);
  });
});

describe('a package that fails to load after its big bundle was read', () => {
  it('exits 2 at once with the loader\u2019s error: the started worker does not keep the process alive', async () => {
    // The bundle is read first (its outline and the worker start), then an entry escapes the folder.
    const tgz = await makeTgz([
      { name: 'package/package.json', body: '{"name":"fixture","version":"1.0.0"}' },
      { name: 'package/dist/bundle.js', body: bundle },
      { name: 'package/../../escape.txt', body: 'x' },
    ]);
    const file = join(dir, 'escapes.tgz');
    writeFileSync(file, tgz);
    const r = spawnSync(process.execPath, [BIN, 'scan', file], { encoding: 'utf8', timeout: 20_000, env: { ...process.env, TELLTALE_DEBUG: 'timing' } });
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/read dist\/bundle\.js/);
    expect(r.stderr).toMatch(/escapes the package folder/);
  });
});

describe('embedded JavaScript that does not parse', () => {
  it('is listed as skipped, with its byte offset, not dropped silently', async () => {
    const { scanLoaded } = await import('../../src/scan/analysis.js');
    const report = scanLoaded({
      target: 'fixture',
      source: 'directory',
      files: [{ path: 'bin/tool', kind: 'executable', size: 9000, segments: [{ byteOffset: 4096, text: 'function broken(a,b{return a', javascript: true }] }],
      skipped: [],
      platformPackages: [],
    });
    expect(report.skipped).toEqual([{ path: 'bin/tool', reason: expect.stringMatching(/^embedded text at byte 4096 \(\d+ characters\) looked like JavaScript but is not parseable: /) }]);
  });
});
