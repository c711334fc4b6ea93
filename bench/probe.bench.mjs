#!/usr/bin/env node
/**
 * Benchmark: `telltale probe` with the built-in default matrix on a real agent
 * (`@anthropic-ai/claude-code@2.1.91`, one-shot prompt), against the slowest
 * single run of the same probe (the baseline: the wall time could never be
 * shorter). Target (DESIGN.md): runs in parallel, bounded by cores, total close
 * to the slowest run times runs ÷ cores.
 *
 *   node bench/probe.bench.mjs [--matrix default|quick|FILE] [--jobs N] [--timeout S]
 *
 * Needs `npm run build` first (reads dist/). The agent comes from the cache the
 * end-to-end tests use (.cache/agents/claude-code-2.1.91, fetched once with
 * `npm pack`); without it and without registry access the benchmark is skipped.
 * Prints the figures and the machine, writes bench/results/probe.json. Not a timed test.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { arch, availableParallelism, cpus, platform, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const VERSION = '2.1.91';
const CACHE = join(ROOT, '.cache/agents');
const CLI_JS = join(CACHE, `claude-code-${VERSION}/package/cli.js`);

const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const matrixName = flag('--matrix', 'default');
const jobs = Number(flag('--jobs', String(availableParallelism())));
const timeoutS = Number(flag('--timeout', '120'));

function ensureAgent() {
  if (existsSync(CLI_JS)) return null;
  mkdirSync(CACHE, { recursive: true });
  const pack = spawnSync('npm', ['pack', `@anthropic-ai/claude-code@${VERSION}`, '--silent'], { cwd: CACHE, encoding: 'utf8', timeout: 120_000 });
  if (pack.status !== 0) return `npm pack @anthropic-ai/claude-code@${VERSION} failed (registry unreachable?)`;
  const tgz = join(CACHE, pack.stdout.trim().split('\n').pop());
  mkdirSync(join(CACHE, `claude-code-${VERSION}`), { recursive: true });
  const untar = spawnSync('tar', ['xzf', tgz, '-C', join(CACHE, `claude-code-${VERSION}`)], { encoding: 'utf8' });
  return untar.status === 0 && existsSync(CLI_JS) ? null : `cannot unpack ${tgz}`;
}

const cpu = cpus();
const machine = `${cpu[0]?.model ?? 'unknown CPU'} × ${cpu.length}, ${(totalmem() / 2 ** 30).toFixed(1)} GB RAM, ${platform()}-${arch()}, Node ${process.version}`;
console.log(`machine: ${machine}`);
const skip = ensureAgent();
if (skip) {
  console.log(`skipped: ${skip}`);
  process.exit(0);
}

const { builtinMatrix, parseMatrix } = await import('../dist/probe/matrix.js');
const { runProbe } = await import('../dist/probe/probe.js');
const { renderText } = await import('../dist/probe/report.js');
const matrix = builtinMatrix(matrixName) ?? parseMatrix(readFileSync(matrixName, 'utf8'), matrixName);

const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;
console.log(`probe --matrix ${matrixName} -- node claude-code@${VERSION}/cli.js -p "say hi"  (${jobs} jobs, ${timeoutS} s per run)`);
const started = Date.now();
let lastShown = 0;
const result = await runProbe({
  command: [process.execPath, CLI_JS, '-p', 'say hi'],
  matrix,
  jobs,
  timeoutMs: timeoutS * 1000,
  onProgress: (done, total) => {
    if (Date.now() - lastShown > 15_000) {
      lastShown = Date.now();
      console.log(`  ${done}/${total} runs after ${seconds(Date.now() - started)}`);
    }
  },
});
const wallMs = Date.now() - started;
const durations = result.runs.map((r) => r.durationMs).sort((a, b) => a - b);
const slowest = durations.at(-1) ?? 0;
const median = durations[Math.floor(durations.length / 2)] ?? 0;
const sum = durations.reduce((a, b) => a + b, 0);
const ideal = sum / jobs;

console.log(`runs: ${result.runs.length} (${result.summary.runsWithRequests} made requests, ${result.summary.timedOut} timed out), isolation: ${result.isolation.mode}`);
console.log(`slowest single run (baseline): ${seconds(slowest)}   median run: ${seconds(median)}   sum of runs: ${seconds(sum)}`);
console.log(`probe wall time:               ${seconds(wallMs)}   = ${(wallMs / slowest).toFixed(1)}x the slowest run; ${(wallMs / ideal).toFixed(2)}x the ideal (sum of runs ÷ ${jobs} jobs)`);
console.log(`verdict: ${result.summary.headline}`);
const report = renderText(result);
if (process.env.BENCH_SHOW) process.stdout.write(report);

mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
writeFileSync(
  join(ROOT, 'bench/results/probe.json'),
  `${JSON.stringify(
    {
      benchmark: 'probe',
      date: new Date().toISOString(),
      machine,
      agent: `@anthropic-ai/claude-code@${VERSION}`,
      matrix: matrixName,
      jobs,
      runs: result.runs.length,
      isolation: result.isolation.mode,
      wallMs,
      slowestRunMs: slowest,
      medianRunMs: median,
      sumOfRunsMs: sum,
      ratioToSlowestRun: Number((wallMs / slowest).toFixed(2)),
      ratioToIdeal: Number((wallMs / ideal).toFixed(2)),
      verdict: result.summary.verdict,
      headline: result.summary.headline,
      report: report.split('\n'),
    },
    null,
    2,
  )}\n`,
);
console.log('written: bench/results/probe.json');
