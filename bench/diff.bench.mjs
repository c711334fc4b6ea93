#!/usr/bin/env node
/**
 * Benchmark: `telltale diff` of two consecutive releases of a real agent with a
 * 13 MB minified bundle, against the time of scanning both releases in the same
 * run (the baseline). Target (DESIGN.md / issue 3): well under 2x.
 *
 *   node bench/diff.bench.mjs [OLD NEW] [--runs N]
 *
 * Defaults to npm:@anthropic-ai/claude-code@2.1.90 → @2.1.91 (cached by npm after
 * the first download). Needs `npm run build` first (reads dist/). Prints the
 * medians, the ratio and the machine. Not a timed test.
 */
import { cpus, totalmem, platform, arch } from 'node:os';
import { performance } from 'node:perf_hooks';

const args = process.argv.slice(2);
const runsFlag = args.indexOf('--runs');
const runs = runsFlag >= 0 ? Number(args.splice(runsFlag, 2)[1]) : 3;
const [oldTarget = 'npm:@anthropic-ai/claude-code@2.1.90', newTarget = 'npm:@anthropic-ai/claude-code@2.1.91'] = args;

const { scanTarget } = await import('../dist/scan/scan.js');
const { runDiff } = await import('../dist/diff/run-diff.js');
const { toDiffText } = await import('../dist/diff/render-text.js');

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const seconds = (ms) => `${(ms / 1000).toFixed(2)} s`;

async function timeIt(fn) {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

const cpu = cpus();
console.log(`machine: ${cpu[0]?.model ?? 'unknown CPU'} × ${cpu.length}, ${(totalmem() / 2 ** 30).toFixed(1)} GB RAM, ${platform()}-${arch()}, Node ${process.version}`);
console.log(`diff ${oldTarget} → ${newTarget}, ${runs} runs each (after one warm-up that also fills the npm cache)`);

try {
  await runDiff(oldTarget, newTarget);
} catch (error) {
  console.log(`skipped: ${error instanceof Error ? error.message : String(error)} (is the npm registry reachable?)`);
  process.exit(0);
}

const scanBoth = [];
const diffs = [];
const matching = [];
let last;
let peakRss = 0;
for (let i = 0; i < runs; i++) {
  // Alternate the order so neither side profits from a warmer heap.
  const base = await timeIt(async () => {
    const a = await scanTarget(oldTarget);
    const b = await scanTarget(newTarget);
    return a.files.length + b.files.length;
  });
  scanBoth.push(base.ms);
  const d = await timeIt(() => runDiff(oldTarget, newTarget));
  diffs.push(d.ms);
  matching.push(d.value.timings.diffMs);
  last = d.value;
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}

const base = median(scanBoth);
const diff = median(diffs);
console.log(`scan OLD + scan NEW (baseline): median ${seconds(base)}  [${scanBoth.map(seconds).join(', ')}]`);
console.log(`telltale diff OLD NEW:           median ${seconds(diff)}  [${diffs.map(seconds).join(', ')}]`);
console.log(`  of which matching + package facts: median ${median(matching).toFixed(1)} ms`);
console.log(`ratio diff / (scan both): ${(diff / base).toFixed(2)}x  (target: well under 2x)`);
console.log(`rss after runs: ${(peakRss / 2 ** 20).toFixed(0)} MB`);
const s = last.result.summary;
console.log(`result: ${s.new.error} new error, ${s.new.warning} new warning, ${s.new.note} new note, ${s.updated} updated, ${s.absent} gone, ${s.unchanged} unchanged`);
if (process.env.BENCH_SHOW) process.stdout.write(toDiffText(last.result, { durationMs: last.timings.totalMs }));
