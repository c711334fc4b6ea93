/**
 * The guard's V8 heap flags (src/guard/heap-tuning.ts): which are set, that a user's own
 * choice wins, and that setting them at run time really takes effect: on the main isolate's
 * major collections (read from --trace-gc) and on the worker threads created afterwards.
 * A fresh Node process each: the flags are process-wide. V8's own choice on the synthetic
 * heap below was a growth of ~4.1–4.3 (measured), outside the range the tuned run must hit.
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

/**
 * The old generation's size at each major collection, over its live size after the one
 * before, in a fresh process: 87 MB kept alive, then garbage that lives long enough to be
 * promoted. `setup` runs first (tuneHeapForProxy(), or a flag for the control).
 */
function majorGcGrowth(setup: string): number[] {
  const script = `
    const v8 = await import('node:v8');
    const { tuneHeapForProxy } = await import(${JSON.stringify(MODULE)});
    ${setup}
    const live = []; for (let i = 0; i < 60; i++) live.push(new Array(131072).fill(i));
    const ring = new Array(400);
    for (let i = 0; i < 30000; i++) { ring[i % 400] = new Array(8000).fill(i); if (i % 100 === 0) await new Promise((r) => setImmediate(r)); }`;
  const r = spawnSync(process.execPath, ['--trace-gc', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, NODE_OPTIONS: '' } });
  expect(r.status, r.stderr).toBe(0);
  const sizes = [...r.stdout.matchAll(/Mark-Compact ([\d.]+) \([\d.]+\) -> ([\d.]+)/g)].map((m) => [Number(m[1]), Number(m[2])] as const);
  // Each collection's start over the previous one's end (the first ones measure start-up).
  return sizes.slice(1).map(([before], i) => before / sizes[i]![1]).slice(-3);
}

describe('heap tuning', () => {
  it('sets every flag when the user set none', () => {
    expect(heapFlagsToApply(['--enable-source-maps'], '--max-old-space-size=4096')).toEqual([...PROXY_HEAP_FLAGS]);
  });

  it("leaves a flag the user set, on the command line or in NODE_OPTIONS, in either spelling", () => {
    expect(heapFlagsToApply(['--heap-growing-percent=50'], undefined)).toEqual(['--min-semi-space-size=8']);
    expect(heapFlagsToApply([], ' --min_semi_space_size=2  --heap-growing-percent=10')).toEqual([]);
  });

  it('lets the old generation grow to about three times its live size before a major collection', () => {
    const tuned = majorGcGrowth('tuneHeapForProxy();');
    expect(tuned.length).toBeGreaterThan(0);
    for (const g of tuned) expect(g).toBeGreaterThan(2.5), expect(g).toBeLessThan(3.8);
    // The control: with a growing factor of 1.1 set the same way, collections come far sooner.
    const control = majorGcGrowth("v8.setFlagsFromString('--heap-growing-percent=10');");
    for (const g of control) expect(g).toBeLessThan(2);
  });

  it('gives worker threads started afterwards a young generation of at least 8 MB', () => {
    const MB = 1024 * 1024;
    expect(workerNewSpaceBytes(true)).toBeGreaterThanOrEqual(8 * MB);
    // The control: without it V8 starts them smaller, so the assertion above can fail.
    expect(workerNewSpaceBytes(false)).toBeLessThan(8 * MB);
  });
});
