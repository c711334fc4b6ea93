/**
 * The scan shell's entry: load a target (npm spec, tarball, directory, file) and hand
 * its files to the analysis (analysis.ts) as they are read. The analysis modules
 * (detectors, Unicode tables, oxc-parser: ~50 ms) are loaded while the loader gunzips
 * the archive, not before it starts: the archive, not the CPU, is what the first third
 * of a second waits for.
 */
import { loadTarget } from '../loading/load-target.js';
import type { LoadedFile, LoadedPackage } from '../loading/types.js';
import type { ScanOptions } from './analysis.js';
import type { ScanReport } from './types.js';

export type { ScanOptions } from './analysis.js';

export async function scanTarget(target: string, options: ScanOptions = {}): Promise<ScanReport> {
  const started = performance.now();
  options.onProgress?.(`loading ${target}`);
  const early = import('./analysis.js').then((analysis) => new analysis.EarlyScan());
  // Files reach the analysis in the loader's order, once its modules are loaded (a failure
  // to load them is reported by the `await early` below, not here).
  const onFile = (file: LoadedFile) => void early.then((scan) => scan.onFile(file), () => undefined);
  let pkg: LoadedPackage;
  try {
    pkg = await loadTarget(target, { onFile, deferBinaries: true });
  } catch (error) {
    void early.then((scan) => scan.close(), () => undefined);
    throw error;
  }
  const scan = await early;
  try {
    return await scan.finish(pkg, options, started);
  } finally {
    scan.close();
  }
}
