/**
 * The guard's V8 heap flags (src/guard/heap-tuning.ts): which are set, that a user's own
 * choice wins, and that setting them at run time really changes the isolates created
 * afterwards (a fresh Node process each: the flags are process-wide).
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { PROXY_HEAP_FLAGS, heapFlagsToApply } from '../../src/guard/heap-tuning.js';

const MODULE = fileURLToPath(new URL('../../dist/guard/heap-tuning.js', import.meta.url));

/** The young generation of a worker thread started in a fresh process, after tuneHeapForProxy() when `tune`. */
function workerNewSpaceBytes(tune: boolean): number {
  const script = `
    const { Worker } = await import('node:worker_threads');
    const { tuneHeapForProxy } = await import(${JSON.stringify(MODULE)});
    if (${tune}) tuneHeapForProxy();
    const w = new Worker("require('node:worker_threads').parentPort.postMessage(require('node:v8').getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size)", { eval: true, execArgv: [] });
    w.once('message', (size) => { console.log(size); w.terminate(); });`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, NODE_OPTIONS: '' } });
  expect(r.status, r.stderr).toBe(0);
  return Number(r.stdout.trim());
}

describe('heap tuning', () => {
  it('sets every flag when the user set none', () => {
    expect(heapFlagsToApply(['--enable-source-maps'], '--max-old-space-size=4096')).toEqual([...PROXY_HEAP_FLAGS]);
  });

  it("leaves a flag the user set, on the command line or in NODE_OPTIONS, in either spelling", () => {
    expect(heapFlagsToApply(['--heap-growing-percent=50'], undefined)).toEqual(['--min-semi-space-size=8']);
    expect(heapFlagsToApply([], ' --min_semi_space_size=2  --heap-growing-percent=10')).toEqual([]);
  });

  it('gives worker threads started afterwards a young generation of at least 8 MB', () => {
    const MB = 1024 * 1024;
    expect(workerNewSpaceBytes(true)).toBeGreaterThanOrEqual(8 * MB);
    // The control: without it V8 starts them smaller, so the assertion above can fail.
    expect(workerNewSpaceBytes(false)).toBeLessThan(8 * MB);
  });
});
