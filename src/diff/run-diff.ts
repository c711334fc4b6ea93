/**
 * The `diff` shell: resolve both targets, scan them (or read a saved scan
 * report), and hand both scans to the pure `diffReports`. Rendering is separate
 * (render-*.ts), so a scheduled job can call `runDiff` and store the result.
 */
import { InputError, isUserError } from '../cli/errors.js';
import { VERSION } from '../cli/version.js';
import { diffReports } from '../core/diff/diff-reports.js';
import type { DiffInput, DiffResult } from '../core/diff/types.js';
import { resolveTargets, type RegistryLookup } from './resolve.js';
import { readSavedReport } from './saved-report.js';

export type Scanner = (target: string, options: { onProgress?: (message: string) => void }) => Promise<DiffInput>;

export interface RunDiffOptions {
  /** Scans one target; defaults to the scan engine's `scanTarget`. */
  scan?: Scanner;
  /** Looks up registry versions for `@latest`/`@previous`; defaults to `npm view`. */
  lookup?: RegistryLookup;
  onProgress?: (message: string) => void;
}

export interface DiffTimings {
  resolveMs: number;
  oldMs: number;
  newMs: number;
  /** Matching and package facts, after both scans. */
  diffMs: number;
  totalMs: number;
}

export interface DiffRun {
  result: DiffResult;
  timings: DiffTimings;
  /** Both scans as the scanner returned them (for callers that also want full reports). */
  scans: { old: DiffInput; new: DiffInput };
}

const defaultScanner: Scanner = async (target, options) => {
  const { scanTarget } = await import('../scan/scan.js');
  return scanTarget(target, options);
};

async function load(role: 'OLD' | 'NEW', target: string, scan: Scanner, onProgress: ((m: string) => void) | undefined): Promise<{ input: DiffInput; ms: number }> {
  const t0 = performance.now();
  try {
    const saved = await readSavedReport(target);
    const input = saved ?? (await scan(target, onProgress ? { onProgress: (m) => onProgress(`${role}: ${m}`) } : {}));
    return { input, ms: performance.now() - t0 };
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0]! : String(error);
    if (isUserError(error)) throw new InputError(message.includes(target) ? `${role}: ${message}` : `${role} target ${target}: ${message}`);
    throw new InputError(`${role} target ${target} could not be scanned: ${message}`);
  }
}

export async function runDiff(oldTarget: string, newTarget: string, options: RunDiffOptions = {}): Promise<DiffRun> {
  const started = performance.now();
  const scan = options.scan ?? defaultScanner;
  const [oldResolved, newResolved] = await resolveTargets(oldTarget, newTarget, options.lookup);
  const resolveMs = performance.now() - started;
  if (oldResolved !== oldTarget) options.onProgress?.(`OLD: ${oldTarget} is ${oldResolved}`);
  if (newResolved !== newTarget) options.onProgress?.(`NEW: ${newTarget} is ${newResolved}`);

  let oldLoad: { input: DiffInput; ms: number };
  let newLoad: { input: DiffInput; ms: number };
  if (oldResolved === newResolved) {
    // The same target twice: one scan, an empty diff.
    oldLoad = await load('OLD', oldResolved, scan, options.onProgress);
    newLoad = { input: oldLoad.input, ms: 0 };
  } else {
    // Loading (download, unpacking) of one overlaps the analysis of the other.
    [oldLoad, newLoad] = await Promise.all([
      load('OLD', oldResolved, scan, options.onProgress),
      load('NEW', newResolved, scan, options.onProgress),
    ]);
  }
  const t0 = performance.now();
  const result = diffReports(oldLoad.input, newLoad.input, { toolVersion: VERSION });
  const diffMs = performance.now() - t0;
  return {
    result,
    scans: { old: oldLoad.input, new: newLoad.input },
    timings: { resolveMs, oldMs: oldLoad.ms, newMs: newLoad.ms, diffMs, totalMs: performance.now() - started },
  };
}
