/**
 * The diff on real consecutive releases of a real agent, `@anthropic-ai/claude-code`,
 * fetched from the npm registry by the scanner's npm loader and cached under
 * `.cache/telltale/npm/` in the repository (TELLTALE_CACHE_DIR wins when set), so
 * only the first run needs the network:
 * - 2.1.91 → 2.1.92: both carry the publicly reported tracker (added in 2.1.91);
 *   the minified names change, the behaviour does not: nothing is called new.
 * - 2.1.91 → 2.1.92 with a synthetic covert channel spliced into its bundle
 *   (test/diff/covert-snippet.ts, inert TEST DATA): the channel is new at error,
 *   and nothing else is new at error or warning.
 * - 2.1.90 → 2.1.91: the real tracker is new at error.
 * Each release is scanned once and shared by the tests. Skipped, with the reason,
 * when the registry is unreachable and the tarballs are not cached, or when
 * TELLTALE_SKIP_REAL=1. Counts of the scanner's output are not pinned (detectors
 * are tuned over time): the tests check matching behaviour.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diffReports } from '../../src/core/diff/diff-reports.js';
import type { DiffResult, FindingChange } from '../../src/core/diff/types.js';
import { diffExitCode } from '../../src/diff/exit-code.js';
import { toDiffSarif } from '../../src/diff/render-sarif.js';
import { toDiffText } from '../../src/diff/render-text.js';
import { defaultCacheDir } from '../../src/loading/limits.js';
import { cacheKey } from '../../src/loading/npm.js';
import { scanTarget } from '../../src/scan/scan.js';
import type { ScanReport } from '../../src/scan/types.js';
import { covertChannelSnippet } from './covert-snippet.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
process.env.TELLTALE_CACHE_DIR ??= join(REPO, '.cache', 'telltale');

const NAME = '@anthropic-ai/claude-code';
const VERSIONS = ['2.1.90', '2.1.91', '2.1.92'] as const;
type Version = (typeof VERSIONS)[number];
const INJECTED = '2.1.92+synthetic-channel';

const scans = new Map<string, ScanReport>();
let unavailable: string | undefined = process.env.TELLTALE_SKIP_REAL === '1' ? 'TELLTALE_SKIP_REAL=1' : undefined;
let work: string | undefined;
/** Where the synthetic channel starts in the spliced bundle (UTF-16 offset) and its length. */
let injectedAt = 0;
let injectedLength = 0;

/**
 * 2.1.92 with the synthetic channel spliced in right after the banner comments,
 * before the first statement: every offset and line after it moves.
 */
function spliceRelease(): string {
  work = mkdtempSync(join(tmpdir(), 'telltale-diff-real-'));
  execFileSync('tar', ['xzf', join(defaultCacheDir(), 'npm', cacheKey(NAME, '2.1.92')), '-C', work]);
  const cli = join(work, 'package', 'cli.js');
  const text = readFileSync(cli, 'utf8');
  const snippet = covertChannelSnippet() + '\n';
  injectedAt = text.indexOf('\nimport') + 1;
  injectedLength = snippet.length;
  writeFileSync(cli, text.slice(0, injectedAt) + snippet + text.slice(injectedAt));
  return join(work, 'package');
}

beforeAll(async () => {
  if (unavailable) return;
  for (const version of VERSIONS) {
    try {
      scans.set(version, await scanTarget(`npm:${NAME}@${version}`));
    } catch (error) {
      unavailable = `cannot fetch npm:${NAME}@${version} (${error instanceof Error ? error.message : String(error)})`;
      console.warn(`skipping the real-release diff tests: ${unavailable}`);
      return;
    }
  }
  scans.set(INJECTED, await scanTarget(spliceRelease()));
}, 1_800_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

function diff(from: Version | typeof INJECTED, to: Version | typeof INJECTED): DiffResult {
  return diffReports(scans.get(from)!, scans.get(to)!, { toolVersion: 'test' });
}

const serious = (c: FindingChange): boolean => c.level === 'error' || c.level === 'warning';
const summaryLine = (c: FindingChange): string => `${c.state} ${c.level} ${c.ruleId} ${c.finding.facts.key}`;

describe('real releases of @anthropic-ai/claude-code', () => {
  it('2.1.91 → 2.1.92: minified names changed, behaviour the same: nothing new, nothing gone', (ctx) => {
    if (unavailable) ctx.skip();
    const result = diff('2.1.91', '2.1.92');
    expect(result.samePackage).toBe(true);
    expect(result.identical).toBe(false);
    // The bundle really changed, and so did the code around most findings (names, offsets):
    // this tests matching by behaviour, not equal files.
    expect(result.package.files.changed.map((f) => f.path)).toContain('cli.js');
    const oldSnippets = new Set(scans.get('2.1.91')!.findings.map((f) => `${f.location.offset}:${f.location.snippet}`));
    const moved = scans.get('2.1.92')!.findings.filter((f) => !oldSnippets.has(`${f.location.offset}:${f.location.snippet}`));
    expect(moved.length).toBeGreaterThan(scans.get('2.1.92')!.findings.length / 2);

    expect(result.findings.filter((c) => (c.state === 'new' || c.state === 'absent') && serious(c)).map(summaryLine)).toEqual([]);
    expect(result.findings.filter((c) => c.escalated).map(summaryLine)).toEqual([]);
    expect(result.findings.filter((c) => c.state === 'new' || c.state === 'absent').map(summaryLine)).toEqual([]);
    expect(result.summary.unchanged + result.summary.updated).toBe(scans.get('2.1.92')!.findings.length);
    expect(diffExitCode(result, 'warning')).toBe(0);
    expect(toDiffText(result).split('\n')[0]).not.toMatch(/new (error|warning)/);
  });

  it('2.1.91 → 2.1.92 with a synthetic covert channel: the channel is new at error, nothing else new at error or warning', (ctx) => {
    if (unavailable) ctx.skip();
    const result = diff('2.1.91', INJECTED);
    const inChannel = (c: FindingChange): boolean =>
      c.finding.location.file === 'cli.js' && c.finding.location.offset >= injectedAt && c.finding.location.offset < injectedAt + injectedLength;
    const channel = result.findings.find((c) => c.state === 'new' && c.ruleId === 'TT007' && inChannel(c));
    expect(channel, result.findings.filter((c) => c.state === 'new').map(summaryLine).join('\n')).toBeDefined();
    expect(channel).toMatchObject({ level: 'error', category: 'covert-channel' });
    // Its hidden list is new at error too, recovered and named.
    const payload = result.findings.find((c) => c.state === 'new' && c.ruleId === 'TT003' && inChannel(c));
    expect(payload?.finding.decoded).toContain('Europe/Minsk');
    // Everything new at error or warning is a part of the spliced channel; nothing of the real bundle.
    expect(result.findings.filter((c) => c.state === 'new' && serious(c) && !inChannel(c)).map(summaryLine)).toEqual([]);
    expect(result.findings.filter((c) => c.state === 'absent' && serious(c)).map(summaryLine)).toEqual([]);
    expect(diffExitCode(result, 'error')).toBe(1);
    expect(toDiffText(result).split('\n')[0]).toContain('new error-level findings');
    const sarif = toDiffSarif(result);
    const tt007 = sarif.runs[0]!.results!.filter((r) => r.ruleId === 'TT007');
    expect(tt007.filter((r) => r.baselineState === 'new').map((r) => r.level)).toEqual(['error']);
    expect(tt007.filter((r) => r.baselineState !== 'new').length).toBeGreaterThan(0);
  });

  it('2.1.90 → 2.1.91: the real tracker is new at error; what stayed is matched', (ctx) => {
    if (unavailable) ctx.skip();
    const result = diff('2.1.90', '2.1.91');
    const newErrors = result.findings.filter((c) => c.state === 'new' && c.level === 'error');
    expect(newErrors.some((c) => c.ruleId === 'TT007' && c.category === 'covert-channel')).toBe(true);
    expect(newErrors.filter((c) => c.ruleId === 'TT003').some((c) => (c.finding.decoded ?? '').includes('deepseek'))).toBe(true);
    // Nearly everything else matched: the tracker's parts are what is new.
    const matched = result.summary.unchanged + result.summary.updated;
    expect(matched).toBeGreaterThan(0.9 * scans.get('2.1.90')!.findings.length);
    expect(toDiffText(result).split('\n')[0]).toContain('new error-level findings');
  });

  it('2.1.90 → 2.1.92 and back: what is new one way is gone the other, with the same ids', (ctx) => {
    if (unavailable) ctx.skip();
    const forward = diff('2.1.90', '2.1.92');
    const backward = diff('2.1.92', '2.1.90');
    const forwardNew = forward.findings.filter((c) => c.state === 'new').map((c) => c.id).sort();
    const backwardGone = backward.findings.filter((c) => c.state === 'absent').map((c) => c.id).sort();
    expect(forwardNew.length).toBeGreaterThan(0);
    expect(backwardGone).toEqual(forwardNew);
  });
});
