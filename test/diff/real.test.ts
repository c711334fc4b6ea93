/**
 * The diff on real consecutive releases of a real agent, fetched from the npm
 * registry by the scanner's npm loader (cached after the first run):
 * `@anthropic-ai/claude-code` 2.1.90 → 2.1.91 (2.1.91 is publicly reported to
 * have added a covert tracker) and 2.1.91 → 2.1.92 (minified names change, the
 * behaviour stays). Each release is scanned once and shared by the tests.
 * Skipped, with the reason, when the registry is unreachable and the tarballs are
 * not cached, or when TELLTALE_SKIP_REAL=1.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { diffReports } from '../../src/core/diff/diff-reports.js';
import type { DiffResult } from '../../src/core/diff/types.js';
import { toDiffText } from '../../src/diff/render-text.js';
import { scanTarget } from '../../src/scan/scan.js';
import type { ScanReport } from '../../src/scan/types.js';

const PACKAGE = 'npm:@anthropic-ai/claude-code';
const VERSIONS = ['2.1.90', '2.1.91', '2.1.92'] as const;

const scans = new Map<string, ScanReport>();
let unavailable: string | undefined = process.env.TELLTALE_SKIP_REAL === '1' ? 'TELLTALE_SKIP_REAL=1' : undefined;

beforeAll(async () => {
  if (unavailable) return;
  for (const version of VERSIONS) {
    try {
      scans.set(version, await scanTarget(`${PACKAGE}@${version}`));
    } catch (error) {
      unavailable = `cannot fetch ${PACKAGE}@${version} (${error instanceof Error ? error.message : String(error)})`;
      console.warn(`skipping the real-release diff tests: ${unavailable}`);
      return;
    }
  }
}, 900_000);

function diff(from: (typeof VERSIONS)[number], to: (typeof VERSIONS)[number]): DiffResult {
  return diffReports(scans.get(from)!, scans.get(to)!, { toolVersion: 'test' });
}

describe('real releases of @anthropic-ai/claude-code', () => {
  it('2.1.91 → 2.1.92: minified names changed, behaviour the same: nothing new, nothing gone', (ctx) => {
    if (unavailable) ctx.skip();
    const result = diff('2.1.91', '2.1.92');
    expect(result.samePackage).toBe(true);
    expect(result.summary.unchanged).toBeGreaterThan(100);
    expect(result.findings.filter((c) => c.state === 'new' || c.state === 'absent')).toEqual([]);
    // The bundle really changed (so this is a test of matching by behaviour, not of equal files).
    expect(result.package.files.changed.map((f) => f.path)).toContain('cli.js');
  });

  it('2.1.90 → 2.1.91: the tracker is new at error; nothing that stayed is called new', (ctx) => {
    if (unavailable) ctx.skip();
    const result = diff('2.1.90', '2.1.91');
    const newErrors = result.findings.filter((c) => c.state === 'new' && c.level === 'error');
    expect(newErrors.some((c) => c.ruleId === 'TT007' && c.category === 'covert-channel')).toBe(true);
    const hidden = newErrors.filter((c) => c.ruleId === 'TT003').map((c) => c.finding.decoded ?? '');
    expect(hidden.some((d) => d.includes('deepseek'))).toBe(true);
    // Of ~170 findings in both, the few that changed are about the tracker: the rest match.
    expect(result.summary.unchanged).toBeGreaterThan(150);
    expect(result.summary.absent).toBeLessThanOrEqual(3);
    const newNotes = result.findings.filter((c) => c.state === 'new' && c.level === 'note');
    expect(newNotes.length).toBeLessThanOrEqual(5);
    const text = toDiffText(result);
    expect(text.split('\n')[0]).toContain('new error-level findings');
  });

  it('2.1.90 → 2.1.92 and back: the same tracker is new one way and absent the other', (ctx) => {
    if (unavailable) ctx.skip();
    const forward = diff('2.1.90', '2.1.92');
    const backward = diff('2.1.92', '2.1.90');
    const forwardNew = forward.findings.filter((c) => c.state === 'new').map((c) => c.id).sort();
    const backwardGone = backward.findings.filter((c) => c.state === 'absent').map((c) => c.id).sort();
    expect(forwardNew.length).toBeGreaterThan(0);
    expect(backwardGone).toEqual(forwardNew);
  });
});
