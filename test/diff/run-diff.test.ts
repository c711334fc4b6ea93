/** The diff shell with a stand-in scanner: what gets scanned, in which order, and how failures read. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/errors.js';
import { runDiff, type Scanner } from '../../src/diff/run-diff.js';
import { scanBundle } from './fixtures.js';

function recordingScanner(): { scan: Scanner; calls: string[] } {
  const calls: string[] = [];
  const scan: Scanner = async (target) => {
    calls.push(target);
    if (target.includes('missing')) throw new UsageError(`${target}: no such file or directory`);
    return { ...scanBundle({ version: '1.0.0', release: { seed: target.length } }), target };
  };
  return { scan, calls };
}

describe('runDiff', () => {
  const dir = mkdtempSync(join(tmpdir(), 'telltale-run-diff-'));

  it('scans OLD, then NEW, and diffs them', async () => {
    const { scan, calls } = recordingScanner();
    const run = await runDiff(dir, `${dir}/.`, { scan });
    expect(calls).toEqual([dir, `${dir}/.`]);
    expect(run.result.findings.every((c) => c.state === 'unchanged')).toBe(true);
    expect(run.timings.diffMs).toBeGreaterThanOrEqual(0);
  });

  it('the same target twice is scanned once', async () => {
    const { scan, calls } = recordingScanner();
    const run = await runDiff(dir, dir, { scan });
    expect(calls).toEqual([dir]);
    expect(run.result.identical).toBe(true);
  });

  it('a missing local NEW fails before OLD is scanned, with one line naming NEW', async () => {
    const { scan, calls } = recordingScanner();
    const missing = join(dir, 'missing');
    await expect(runDiff(dir, missing, { scan })).rejects.toThrow(/^NEW: .*missing: no such file or directory$/);
    expect(calls).toEqual([missing]);
  });

  it('an unexpected scanner failure becomes a one-line input error naming the side', async () => {
    const scan: Scanner = async () => {
      throw new Error('boom\n    at somewhere');
    };
    await expect(runDiff(dir, dir, { scan })).rejects.toThrow(/^OLD target .* could not be scanned: boom$/);
  });
});
