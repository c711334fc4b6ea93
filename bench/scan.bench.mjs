#!/usr/bin/env node
/**
 * Benchmark: `telltale scan` of a whole real agent package with a 13 MB minified
 * bundle, end to end (process start to report written), against the baseline of
 * oxc-parser's native parse of that bundle measured in the same run. Target
 * (issue 2): scan ≤ 2x the native parse, peak memory < 1 GB.
 *
 *   npm run build && node bench/scan.bench.mjs [TARGET] [--runs N]
 *
 * Default target: npm:@anthropic-ai/claude-code@2.1.91 (cached in
 * .cache/telltale/ via the scanner's own npm cache; without registry access and
 * nothing cached the benchmark says so and exits 0). Each measurement is its own
 * process; the median of N runs (default 7) is reported with the machine and its load, and
 * written to bench/results/scan.json. Not a timed test.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { arch, cpus, loadavg, platform, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const NODE = process.execPath;
const BIN = join(REPO, 'dist/cli/bin.js');
process.env.TELLTALE_CACHE_DIR ??= join(REPO, '.cache', 'telltale');

const args = process.argv.slice(2);
const runsFlag = args.indexOf('--runs');
const runs = runsFlag >= 0 ? Math.max(1, Number(args.splice(runsFlag, 2)[1]) || 1) : 7;
const target = args[0] ?? 'npm:@anthropic-ai/claude-code@2.1.91';

if (!existsSync(BIN)) {
  console.error('bench/scan: dist/ missing; run npm run build first');
  process.exit(2);
}
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

/** Runs a command in its own process; wall ms from spawn to exit, peak RSS in MB when /usr/bin/time exists. */
function measure(argv, env = {}) {
  const tmp = mkdtempSync(join(tmpdir(), 'telltale-bench-'));
  const rssFile = join(tmp, 'rss');
  const cmd = TIME ? [TIME, '-f', '%M', '-o', rssFile, ...argv] : argv;
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd[0], cmd.slice(1), { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 1 << 28 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const rssMb = TIME && existsSync(rssFile) ? Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop()) / 1024 : undefined;
  rmSync(tmp, { recursive: true, force: true });
  return { ms, rssMb, status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// 1. Make sure the package is cached (this download is not timed).
const warm = measure([NODE, BIN, 'scan', target, '--format', 'json', '--output', join(tmpdir(), 'telltale-bench-warm.json')]);
if (warm.status === 2) {
  console.log(`bench/scan: skipped — cannot load ${target}: ${warm.stderr.trim().split('\n')[0]}`);
  process.exit(0);
}
const report = JSON.parse(readFileSync(join(tmpdir(), 'telltale-bench-warm.json'), 'utf8'));
const scanned = report.reports?.[0] ?? report;
const biggest = [...(scanned.files ?? [])].sort((a, b) => b.size - a.size)[0];

// 2. Extract the biggest JavaScript file for the parser baseline.
const work = mkdtempSync(join(tmpdir(), 'telltale-bench-src-'));
const extract = spawnSync(NODE, ['--input-type=module', '-e', `
  const { loadTarget } = await import(${JSON.stringify(join(REPO, 'dist/loading/load-target.js'))});
  const { writeFileSync } = await import('node:fs');
  const pkg = await loadTarget(${JSON.stringify(target)});
  const f = pkg.files.find((x) => x.path === ${JSON.stringify(biggest.path)});
  writeFileSync(${JSON.stringify(join(work, 'bundle.js'))}, f.text);
`], { encoding: 'utf8', env: process.env });
if (extract.status !== 0) {
  console.error(`bench/scan: cannot extract ${biggest.path}: ${extract.stderr}`);
  process.exit(1);
}
const bundle = join(work, 'bundle.js');
// oxc-parser's native parse, program not deserialized: the issue's baseline.
const parseScript = `
  import { parseSync } from 'oxc-parser';
  import { readFileSync } from 'node:fs';
  const text = readFileSync(process.argv[2], 'utf8');
  const t0 = performance.now();
  const r = parseSync('bundle.js', text, { sourceType: 'unambiguous' });
  const ms = performance.now() - t0;
  process.stdout.write(JSON.stringify({ ms, errors: r.errors.length }));
`;
const parseFile = join(REPO, 'bench', '.parse-baseline.mjs');
writeFileSync(parseFile, parseScript);

const samples = { parse: [], parseProcess: [], scan: [], rss: [] };
try {
  for (let i = 0; i < runs; i++) {
    const p = measure([NODE, parseFile, bundle]);
    samples.parse.push(JSON.parse(p.stdout).ms);
    samples.parseProcess.push(p.ms);
    // Run the binary the way `npx telltale` does: through its shebang (which sets V8 flags), Node 22 first on PATH.
    const s = measure([BIN, 'scan', target, '--format', 'json', '--output', join(work, 'out.json')], { PATH: `${dirname(NODE)}:${process.env.PATH}` });
    if (s.status !== 0 && s.status !== 1) throw new Error(`scan exited ${s.status}: ${s.stderr}`);
    samples.scan.push(s.ms);
    if (s.rssMb !== undefined) samples.rss.push(s.rssMb);
  }
} finally {
  rmSync(parseFile, { force: true });
  rmSync(work, { recursive: true, force: true });
}

const result = {
  benchmark: 'scan',
  target,
  bundle: { path: biggest.path, bytes: biggest.size },
  package: { files: scanned.files.length, bytes: scanned.files.reduce((a, f) => a + f.size, 0) },
  runs,
  nativeParseMs: Math.round(median(samples.parse)),
  nativeParseProcessMs: Math.round(median(samples.parseProcess)),
  scanMs: Math.round(median(samples.scan)),
  ratio: Number((median(samples.scan) / median(samples.parse)).toFixed(2)),
  // The machines are shared: each run's scan against the parse measured just before it, and
  // the fastest scan against the fastest parse (each at its least disturbed), beside the medians.
  pairRatios: samples.scan.map((s, i) => Number((s / samples.parse[i]).toFixed(2))),
  medianPairRatio: Number(median(samples.scan.map((s, i) => s / samples.parse[i])).toFixed(2)),
  fastestRatio: Number((Math.min(...samples.scan) / Math.min(...samples.parse)).toFixed(2)),
  peakRssMb: samples.rss.length ? Math.round(Math.max(...samples.rss)) : null,
  findings: Object.fromEntries(['error', 'warning', 'note'].map((l) => [l, scanned.findings.filter((f) => f.level === l).length])),
  samples: Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, v.map((x) => Math.round(x))])),
  machine: { node: process.version, platform: platform(), arch: arch(), cpus: cpus().length, cpu: cpus()[0]?.model, memGb: Math.round(totalmem() / 2 ** 30), loadavg: loadavg().map((x) => Number(x.toFixed(2))) },
  date: new Date().toISOString(),
};

console.log(`scan benchmark — ${target} (${biggest.path}, ${(biggest.size / 1e6).toFixed(1)} MB; ${result.package.files} files, ${(result.package.bytes / 1e6).toFixed(1)} MB)`);
console.log(`  oxc-parser native parse of the bundle (baseline) ${String(result.nativeParseMs).padStart(6)} ms`);
console.log(`  telltale scan, process start to report          ${String(result.scanMs).padStart(6)} ms   ratio ${result.ratio}x (target ≤ 2x)`);
console.log(`  per run (scan / the parse just before it)       ${result.pairRatios.map((r) => `${r}x`).join(' ')}: median ${result.medianPairRatio}x; fastest / fastest ${result.fastestRatio}x`);
console.log(`  peak RSS of the scan                            ${String(result.peakRssMb ?? '?').padStart(6)} MB   (target < 1024 MB)`);
console.log(`  medians of ${runs} runs · ${result.machine.cpus} × ${result.machine.cpu} · Node ${process.version} · load ${result.machine.loadavg.join(' ')}`);
mkdirSync(join(REPO, 'bench/results'), { recursive: true });
writeFileSync(join(REPO, 'bench/results/scan.json'), JSON.stringify(result, null, 2) + '\n');
