#!/usr/bin/env node
/**
 * Benchmark: `telltale diff` of two consecutive releases of a real agent, each
 * with a ~13 MB minified bundle, against the baseline of scanning both releases
 * in the same run. Target (DESIGN.md, issue 3): well under 2x.
 *
 *   npm run build && node bench/diff.bench.mjs [OLD NEW] [--runs N]
 *
 * Defaults to npm:@anthropic-ai/claude-code@2.1.91 → @2.1.92. Tarballs are
 * fetched once into .cache/telltale/ (TELLTALE_CACHE_DIR wins when set); when the
 * registry is unreachable and nothing is cached, prints why and exits 0.
 * Prints both medians, the ratio and the machine, and writes
 * bench/results/diff.json. Not a timed test.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { arch, cpus, loadavg, platform, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
process.env.TELLTALE_CACHE_DIR ??= join(REPO, '.cache', 'telltale');

const args = process.argv.slice(2);
const runsFlag = args.indexOf('--runs');
const runs = runsFlag >= 0 ? Math.max(1, Number(args.splice(runsFlag, 2)[1]) || 1) : 3;
const [oldTarget = 'npm:@anthropic-ai/claude-code@2.1.91', newTarget = 'npm:@anthropic-ai/claude-code@2.1.92'] = args;

let modules;
try {
  modules = {
    ...(await import('../dist/scan/scan.js')),
    ...(await import('../dist/diff/run-diff.js')),
    ...(await import('../dist/loading/load-target.js')),
  };
} catch (error) {
  console.error(`bench/diff: cannot load dist/ (${error instanceof Error ? error.message : String(error)}); run npm run build first`);
  process.exit(2);
}
const { scanTarget, runDiff, loadTarget } = modules;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const seconds = (ms) => `${(ms / 1000).toFixed(2)} s`;

async function timeIt(fn) {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

const cpu = cpus();
const machine = `${cpu[0]?.model?.trim() ?? 'unknown CPU'} × ${cpu.length}, ${(totalmem() / 2 ** 30).toFixed(1)} GB RAM, ${platform()}-${arch()}, Node ${process.version}`;
console.log(`machine: ${machine}; load average at start ${loadavg()[0].toFixed(2)}`);
console.log(`diff ${oldTarget} → ${newTarget}, ${runs} run(s) each`);

// Fetch (or find in the cache) both targets before timing anything.
try {
  for (const target of [oldTarget, newTarget]) {
    const pkg = await loadTarget(target);
    const bytes = pkg.files.reduce((sum, f) => sum + f.size, 0);
    const biggest = pkg.files.reduce((a, f) => (f.size > (a?.size ?? 0) ? f : a), undefined);
    console.log(`  ${target}: ${pkg.files.length} files, ${(bytes / 2 ** 20).toFixed(1)} MB; largest ${biggest?.path} ${(biggest.size / 2 ** 20).toFixed(1)} MB`);
  }
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
  const baseline = async () => {
    const t = await timeIt(async () => {
      await scanTarget(oldTarget);
      await scanTarget(newTarget);
    });
    scanBoth.push(t.ms);
  };
  const diff = async () => {
    const t = await timeIt(() => runDiff(oldTarget, newTarget));
    diffs.push(t.ms);
    matching.push(t.value.timings.diffMs);
    last = t.value;
  };
  // Alternate the order so neither side profits from a warmer JIT or heap.
  if (i % 2 === 0) {
    await baseline();
    await diff();
  } else {
    await diff();
    await baseline();
  }
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  console.log(`  run ${i + 1}: scan both ${seconds(scanBoth[i])}, diff ${seconds(diffs[i])}`);
}

const base = median(scanBoth);
const diff = median(diffs);
const ratio = diff / base;
// Paired per run (both measured back to back): steadier on a shared, loaded machine.
const pairedRatios = diffs.map((d, i) => d / scanBoth[i]);
console.log(`scan OLD + scan NEW (baseline): median ${seconds(base)}`);
console.log(`telltale diff OLD NEW:          median ${seconds(diff)}`);
console.log(`  of which matching + package facts: median ${median(matching).toFixed(1)} ms`);
console.log(`ratio diff / (scan both): ${ratio.toFixed(2)}x of medians, ${median(pairedRatios).toFixed(2)}x median of paired runs (target: well under 2x)`);
console.log(`peak rss: ${(peakRss / 2 ** 20).toFixed(0)} MB`);
const s = last.result.summary;
console.log(`result: ${s.new.error} new error, ${s.new.warning} new warning, ${s.new.note} new note, ${s.updated} updated, ${s.absent} gone, ${s.unchanged} unchanged`);

const out = join(REPO, 'bench', 'results', 'diff.json');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(
  out,
  JSON.stringify(
    {
      benchmark: 'diff',
      date: new Date().toISOString(),
      machine,
      loadAverage: loadavg().map((x) => Math.round(x * 100) / 100),
      old: oldTarget,
      new: newTarget,
      runs,
      baseline: { name: 'scan OLD + scan NEW', medianMs: Math.round(base), runsMs: scanBoth.map(Math.round) },
      diff: { medianMs: Math.round(diff), runsMs: diffs.map(Math.round), matchingMedianMs: Math.round(median(matching) * 10) / 10 },
      ratio: Math.round(ratio * 1000) / 1000,
      pairedRatioMedian: Math.round(median(pairedRatios) * 1000) / 1000,
      target: 'well under 2x',
      peakRssMB: Math.round(peakRss / 2 ** 20),
      summary: s,
    },
    null,
    2,
  ) + '\n',
);
console.log(`wrote ${out}`);
