import { execFileSync } from 'node:child_process';
import { chmod, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError, UsageError } from '../../src/cli/errors.js';
import { loadTarget } from '../../src/loading/load-target.js';
import { cacheKey, parseNpmSpec } from '../../src/loading/npm.js';
import { makeTgz, tempDir } from './helpers.js';

describe('npm specs', () => {
  it('parses registry specs', () => {
    expect(parseNpmSpec('is-number')).toEqual({ name: 'is-number' });
    expect(parseNpmSpec('is-number@7.0.0')).toEqual({ name: 'is-number', range: '7.0.0' });
    expect(parseNpmSpec('@scope/name@latest')).toEqual({ name: '@scope/name', range: 'latest' });
    expect(parseNpmSpec('@scope/name')).toEqual({ name: '@scope/name' });
    expect(parseNpmSpec('x@>=1.2 <2')).toEqual({ name: 'x', range: '>=1.2 <2' });
  });

  it.each(['github:user/repo', 'git+https://example.invalid/x.git', 'file:../x', 'alias@npm:other@1', '../local', '-rf', 'x@', '@scope', 'x@1.0.0;rm -rf'])(
    'rejects %s, which is not a registry spec',
    (spec) => {
      expect(() => parseNpmSpec(spec)).toThrow(UsageError);
    },
  );

  it('keys the cache by exact name and version', () => {
    expect(cacheKey('@anthropic-ai/claude-code', '2.1.0')).toBe('@anthropic-ai+claude-code@2.1.0.tgz');
  });
});

describe('npm fetching with a stand-in npm', () => {
  let dir = '';
  let cleanup: () => Promise<void> = async () => {};
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
  });
  afterAll(() => cleanup());

  /** A fake `npm` that answers `npm pack` like npm does: JSON on stdout, the tarball in --pack-destination. */
  async function fakeNpm(name: string, script: string): Promise<string> {
    const file = path.join(dir, name);
    await writeFile(file, `#!/bin/sh\n${script}\n`);
    await chmod(file, 0o755);
    return file;
  }

  it.skipIf(process.platform === 'win32')('resolves a tag through npm pack, caches by exact version, then loads offline', async () => {
    const tgz = path.join(dir, 'src.tgz');
    await writeFile(tgz, await makeTgz([{ name: 'package/package.json', body: '{"name":"demo-agent","version":"3.4.5"}' }, { name: 'package/cli.js', body: 'run();' }]));
    const npm = await fakeNpm(
      'npm-ok',
      `dest=""; prev=""; for a in "$@"; do [ "$prev" = "--pack-destination" ] && dest="$a"; prev="$a"; done
cp "${tgz}" "$dest/demo-agent-3.4.5.tgz"
echo '[{"id":"demo-agent@3.4.5","name":"demo-agent","version":"3.4.5","filename":"demo-agent-3.4.5.tgz"}]'`,
    );
    const cacheDir = path.join(dir, 'cache1');
    const first = await loadTarget('npm:demo-agent@latest', { cacheDir, npmCommand: npm });
    expect(first).toMatchObject({ source: 'npm', name: 'demo-agent', version: '3.4.5' });
    expect(first.files.map((f) => f.path)).toEqual(['cli.js', 'package.json']);
    expect(await readdir(path.join(cacheDir, 'npm'))).toEqual(['demo-agent@3.4.5.tgz']);
    // Pinned and cached: npm is not run at all.
    const second = await loadTarget('npm:demo-agent@3.4.5', { cacheDir, npmCommand: path.join(dir, 'no-such-npm') });
    expect(second.files.map((f) => f.text)).toEqual(['run();', '{"name":"demo-agent","version":"3.4.5"}']);
  });

  it.skipIf(process.platform === 'win32')('explains an unreachable registry and offers cached versions', async () => {
    const npm = await fakeNpm(
      'npm-offline',
      `echo '{"error":{"code":"ECONNREFUSED","summary":"FetchError: request to http://127.0.0.1:9/demo-agent failed, reason: connect ECONNREFUSED"}}'; exit 1`,
    );
    const cacheDir = path.join(dir, 'cache1');
    const error = await loadTarget('npm:demo-agent@latest', { cacheDir, npmCommand: npm }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toBe(
      'cannot fetch npm:demo-agent@latest: the npm registry is unreachable (ECONNREFUSED); cached versions you can scan offline: npm:demo-agent@3.4.5',
    );
  });

  it.skipIf(process.platform === 'win32')('reports a package that does not exist', async () => {
    const npm = await fakeNpm('npm-404', `echo '{"error":{"code":"E404","summary":"Not Found - GET https://registry.invalid/nope"}}'; exit 1`);
    await expect(loadTarget('npm:nope@1.0.0', { cacheDir: path.join(dir, 'cache2'), npmCommand: npm })).rejects.toThrow(
      'npm:nope@1.0.0 was not found on the registry (E404); check the package name and version',
    );
  });

  it('says so when npm is missing', async () => {
    await expect(loadTarget('npm:x@1.0.0', { cacheDir: path.join(dir, 'cache3'), npmCommand: path.join(dir, 'missing-npm') })).rejects.toThrow(
      /npm is not installed or not on PATH/,
    );
  });
});

/** Whether the configured registry answers within a few seconds (the real-registry test is skipped otherwise). */
async function registryReachable(): Promise<string | undefined> {
  let registry = 'https://registry.npmjs.org/';
  try {
    registry = execFileSync('npm', ['config', 'get', 'registry'], { encoding: 'utf8', timeout: 15_000, stdio: ['ignore', 'pipe', 'ignore'] }).trim() || registry;
  } catch {
    return 'npm is not available';
  }
  try {
    const res = await fetch(new URL('is-number', registry.endsWith('/') ? registry : `${registry}/`), { method: 'HEAD', signal: AbortSignal.timeout(5000) });
    return res.status < 500 ? undefined : `registry answered ${res.status}`;
  } catch (error) {
    return `registry ${registry} unreachable (${(error as Error).message})`;
  }
}

describe('the real npm registry', () => {
  let dir = '';
  let cleanup: () => Promise<void> = async () => {};
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
  });
  afterAll(() => cleanup());

  it('downloads npm:is-number@7.0.0 with npm pack, caches it, and loads it again without npm', async (ctx) => {
    const unreachable = await registryReachable();
    if (unreachable) {
      ctx.skip(`skipped: ${unreachable}`);
      return;
    }
    const cacheDir = path.join(dir, 'cache');
    const pkg = await loadTarget('npm:is-number@7.0.0', { cacheDir });
    expect(pkg).toMatchObject({ source: 'npm', name: 'is-number', version: '7.0.0' });
    expect(pkg.files.map((f) => [f.path, f.kind])).toEqual([
      ['LICENSE', 'text'],
      ['README.md', 'text'],
      ['index.js', 'javascript'],
      ['package.json', 'json'],
    ]);
    expect(await readdir(path.join(cacheDir, 'npm'))).toEqual(['is-number@7.0.0.tgz']);
    const again = await loadTarget('npm:is-number@7.0.0', { cacheDir, npmCommand: path.join(dir, 'no-npm-needed') });
    expect(again.files.map((f) => f.sha256)).toEqual(pkg.files.map((f) => f.sha256));
  });
});

const REAL_BINARIES = process.env.TELLTALE_REAL_BINARIES === '1';

describe.skipIf(!REAL_BINARIES)('real compiled agent (TELLTALE_REAL_BINARIES=1)', () => {
  it('extracts the JavaScript of the Claude Code Linux x64 Bun executable', { timeout: 600_000 }, async () => {
    const spec = process.env.TELLTALE_REAL_BINARY_SPEC ?? 'npm:@anthropic-ai/claude-code-linux-x64@2.1.330';
    const t0 = performance.now();
    const pkg = await loadTarget(spec);
    const ms = performance.now() - t0;
    const exe = pkg.files.find((f) => f.kind === 'executable');
    expect(exe?.runtime).toBe('bun');
    const js = (exe?.segments ?? []).filter((s) => s.javascript);
    const jsBytes = js.reduce((n, s) => n + s.text.length, 0);
    expect(jsBytes).toBeGreaterThan(5_000_000);
    console.log(`${spec}: ${exe?.size} bytes, ${js.length} JavaScript modules, ${jsBytes} characters, loaded in ${Math.round(ms)} ms`);
  });
});
