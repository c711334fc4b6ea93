/**
 * `telltale diff` end to end through the CLI and the real scan engine, on
 * synthetic packages written by the test (directories and .tgz files).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { toJson } from '../../src/report/json.js';
import { scanTarget } from '../../src/scan/scan.js';
import type { DiffResult } from '../../src/core/diff/types.js';
import { writePackage } from './fixtures.js';

/** A minimal ELF header: enough to be classified as an executable. TEST DATA. */
const FAKE_ELF = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.alloc(120)]);

let root: string;
let v1: string;
let renamed: string;
let covert: string;
let other: string;
let v1Tgz: string;

function tgz(dir: string, out: string): string {
  // npm tarballs hold everything under package/.
  const staging = mkdtempSync(join(tmpdir(), 'telltale-tgz-'));
  execFileSync('cp', ['-r', dir, join(staging, 'package')]);
  execFileSync('tar', ['czf', out, '-C', staging, 'package']);
  return out;
}

async function run(...args: string[]): Promise<{ code: number; stderr: string; stdout: string }> {
  let stderr = '';
  let stdout = '';
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(((chunk: string | Uint8Array, cb?: (e?: Error | null) => void) => {
    stdout += String(chunk);
    cb?.();
    return true;
  }) as typeof process.stdout.write);
  try {
    const code = await main(['diff', ...args, '--no-progress']);
    return { code, stderr, stdout };
  } finally {
    err.mockRestore();
    out.mockRestore();
  }
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'telltale-diff-cli-'));
  v1 = writePackage({ version: '1.0.0', release: { seed: 1 } }, join(root, 'v1'));
  renamed = writePackage({ version: '1.0.1', release: { seed: 2, reorder: true, xorKey: 0x47, filler: 6 } }, join(root, 'v1.0.1'));
  covert = writePackage(
    { version: '1.1.0', release: { seed: 3, covert: true }, scripts: { postinstall: 'node setup.js' }, dependencies: { 'left-pad': '1.3.0' }, extra: { 'vendor/helper': FAKE_ELF } },
    join(root, 'v1.1.0'),
  );
  other = writePackage({ name: 'another-agent', version: '1.0.0', release: { seed: 1 } }, join(root, 'other'));
  v1Tgz = tgz(v1, join(root, 'example-agent-1.0.0.tgz'));
});

afterEach(() => vi.restoreAllMocks());

describe('telltale diff (CLI)', () => {
  it('renamed and moved code between a .tgz and a directory: nothing new, exit 0', async () => {
    const out = join(root, 'renamed.json');
    const { code, stderr } = await run(v1Tgz, renamed, '--format', 'json', '--output', out);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const result = JSON.parse(readFileSync(out, 'utf8')) as DiffResult;
    expect(result.schemaVersion).toBe(1);
    expect(result.findings.length).toBeGreaterThanOrEqual(4);
    expect(result.findings.filter((c) => c.state !== 'unchanged')).toEqual([]);
    expect(result.old.version).toBe('1.0.0');
    expect(result.new.version).toBe('1.0.1');
  });

  it('a release that adds a covert channel: new at error, exit 1; install script and binary listed', async () => {
    const { code, stdout } = await run(v1, covert);
    expect(code).toBe(1);
    expect(stdout).toMatch(/new error-level findings \(exit 1: --fail-on error\)/);
    expect(stdout).toMatch(/\+ ✖ error {2}TT007 covert-channel/);
    expect(stdout).toContain('+ postinstall: node setup.js');
    expect(stdout).toMatch(/\+ vendor\/helper \(executable/);
    expect(stdout).toContain('+ dependency left-pad 1.3.0');
  });

  it('SARIF output with baselineState, and --fail-on none', async () => {
    const out = join(root, 'covert.sarif');
    const { code } = await run(v1, covert, '--format', 'sarif', '--output', out, '--fail-on', 'none');
    expect(code).toBe(0);
    const log = JSON.parse(readFileSync(out, 'utf8')) as { runs: Array<{ results: Array<{ ruleId: string; level: string; baselineState: string }> }> };
    const channel = log.runs[0]!.results.find((r) => r.ruleId === 'TT007');
    expect(channel).toMatchObject({ level: 'error', baselineState: 'new' });
  });

  it('identical targets: an empty diff, exit 0', async () => {
    const { code, stdout } = await run(v1, v1);
    expect(code).toBe(0);
    expect(stdout.split('\n')[0]).toContain('identical files: nothing changed');
  });

  it('two different packages: allowed, with a warning', async () => {
    const { code, stdout } = await run(v1, other);
    expect(code).toBe(0);
    expect(stdout).toMatch(/! OLD is example-agent and NEW is another-agent: not versions of the same package/);
    const json = await run(v1, other, '--format', 'json');
    expect(json.stderr).toMatch(/^telltale: warning: OLD is example-agent and NEW is another-agent/);
  });

  it('an unreadable target: exit 2 with one line naming it', async () => {
    const { code, stderr, stdout } = await run(v1, join(root, 'missing-dir'));
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^telltale: NEW: .*missing-dir: no such file or directory/);
  });

  it('a corrupt archive: exit 2 with one line', async () => {
    const bad = join(root, 'bad.tgz');
    writeFileSync(bad, Buffer.from('this is not a gzip file'));
    const { code, stderr } = await run(bad, v1);
    expect(code).toBe(2);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^telltale: OLD/);
  });

  it('bad flags: exit 2', async () => {
    expect((await run(v1, covert, '--format', 'xml')).code).toBe(2);
    expect((await run(v1, covert, '--fail-on', 'loud')).code).toBe(2);
  });

  it('a saved scan report stands in for the old release', async () => {
    const saved = join(root, 'saved');
    mkdirSync(saved, { recursive: true });
    const report = join(saved, 'v1.json');
    // As `telltale scan --format json` writes it.
    const scanned = await scanTarget(v1);
    writeFileSync(report, toJson([scanned]));
    const out = join(root, 'from-saved.json');
    const { code } = await run(report, covert, '--format', 'json', '--output', out);
    expect(code).toBe(1);
    const result = JSON.parse(readFileSync(out, 'utf8')) as DiffResult;
    expect(result.old.target).toBe(v1);
    expect(result.findings.find((c) => c.ruleId === 'TT007')?.state).toBe('new');
    // A saved report of several targets cannot stand for one release.
    const several = join(saved, 'several.json');
    writeFileSync(several, toJson([scanned, scanned]));
    const refused = await run(several, covert);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^telltale: OLD: .*several targets; save the scan of one target per file/);
    // A JSON file that is not a telltale report is scanned like any file.
    const plain = join(saved, 'data.json');
    writeFileSync(plain, '{"a":1}');
    expect((await run(plain, plain)).code).toBe(0);
  });
});
