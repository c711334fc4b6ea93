#!/usr/bin/env node
/**
 * Benchmark: what the guard costs on the request path (DESIGN.md, issue 5), measured
 * side by side in one run against a fake LLM API on 127.0.0.1:
 *
 *   direct   client → fake upstream
 *   bare     client → a bare Node pass-through proxy → fake upstream (the baseline)
 *   guard    client → `telltale guard` (the binary, as users start it; default policy,
 *            SQLite audit log) → fake upstream
 *   guard, audit off    the same with `audit.store: none` (throughput only): what the
 *            audit log costs, measured beside the rest
 *
 * Figures: latency p50/p99 at 1 client (added over direct), throughput at 32 clients
 * (as % of bare), and SSE time to first byte (added over direct). With each throughput
 * figure, the CPU time its server process used per request (Linux: /proc), which varies
 * far less than requests per second on a shared machine. Load comes from
 * autocannon (per-request times read from its response events, at µs resolution);
 * TTFB from a keep-alive client that times the first body byte of each stream.
 * Bodies are ~100 KB Anthropic Messages requests shaped like a coding agent's (system
 * prompt, tool definitions, a conversation with file contents); as with a real agent
 * the history repeats and the last user message changes on every request.
 *
 *   npm run build && node bench/guard.bench.mjs [--quick]
 *
 * Prints a table and writes bench/results/guard.json. Targets: +<1 ms p50, +<5 ms p99,
 * ≥70% of bare throughput, TTFB overhead <1 ms. Not a timed test; takes about 2.5 minutes, hard limit 3.5.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { cpus, totalmem, platform, arch, tmpdir, loadavg } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { agentRequest, SESSIONS } from './guard-bodies.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
// telltale needs Node >= 22.19: run every server under the Node the package installs.
const NODE = existsSync(join(ROOT, 'node_modules/.bin/node')) ? join(ROOT, 'node_modules/.bin/node') : process.execPath;
const quick = process.argv.includes('--quick');
const LATENCY_S = quick ? 3 : 5;
const THROUGHPUT_S = quick ? 4 : 8;
const TTFB_N = quick ? 100 : 200;
const ROUNDS = 2;

const BIN = join(ROOT, 'dist/cli/bin.js');
if (!existsSync(BIN)) {
  console.error('bench/guard.bench.mjs: dist/ is missing; run `npm run build` first');
  process.exit(2);
}

// ---------------------------------------------------------------- processes
const children = new Set();
function cleanup() {
  for (const c of children) {
    try {
      process.kill(-c.pid, 'SIGKILL');
    } catch {
      c.kill('SIGKILL');
    }
  }
  children.clear();
}
process.on('exit', cleanup);
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => process.exit(130));
// Hard bound: whatever happens, the benchmark ends.
setTimeout(() => {
  console.error('bench/guard.bench.mjs: time limit (3.5 min) reached, stopping');
  process.exit(1);
}, 210_000).unref();

/** Starts `NODE args…`, or with `command`, that executable (the `telltale` binary, as users run it). */
function start(args, command = NODE) {
  return new Promise((resolve, reject) => {
    // NODE's directory first: the binary's `#!/usr/bin/env -S node …` line finds that Node.
    const env = { ...process.env, PATH: `${dirname(NODE)}${delimiter}${process.env.PATH ?? ''}` };
    const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true, env });
    children.add(child);
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`${args.join(' ')} did not start: ${err}`)), 20_000);
    child.stderr.on('data', (d) => (err += d));
    child.stdout.on('data', (d) => {
      out += d;
      const m = /"port":(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: `http://127.0.0.1:${m[1]}` });
      }
    });
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited (${code}): ${err}`)));
  });
}

// ---------------------------------------------------------------- request bodies
// Every request of the run is unique (a running number): see bench/guard-bodies.mjs.
let requestNo = 0;
const nextBody = (stream) => agentRequest(requestNo++, stream);
const bodyKb = Math.round(Buffer.byteLength(agentRequest(0, false)) / 1024);

// ---------------------------------------------------------------- measurements
const HEADERS = { 'content-type': 'application/json', 'x-api-key': 'sk-bench', 'anthropic-version': '2023-06-01', 'user-agent': 'bench/1.0' };

function percentile(sorted, p) {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function load(url, connections, seconds) {
  return new Promise((resolve, reject) => {
    const times = [];
    const instance = autocannon(
      {
        url: `${url}/v1/messages`,
        connections,
        duration: seconds,
        requests: [{ method: 'POST', headers: HEADERS, setupRequest: (req) => ({ ...req, body: nextBody(false) }) }],
      },
      (error, result) => (error ? reject(error) : resolve({ result, times })),
    );
    instance.on('response', (_client, status, _bytes, responseTime) => {
      if (status === 200) times.push(responseTime);
    });
  });
}

async function latency(url) {
  const { result, times } = await load(url, 1, LATENCY_S);
  if (result.non2xx || result.errors) throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors at 1 client`);
  return times;
}

/**
 * CPU time the hypervisor gave to others (Linux's `steal`, /proc/stat), as a share of
 * all CPU time: on a shared virtual machine it comes and goes, and a throughput run
 * during which it was high measured the neighbours too. Null where there is no /proc.
 */
function cpuTimes() {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
    return { steal: f[7] ?? 0, all: f.reduce((a, b) => a + b, 0) };
  } catch {
    return null;
  }
}
const stolenPct = [];

/** CPU time (user + system, all threads) a process has used, in µs; null where there is no /proc. */
function processCpuUs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime (fields 14 and 15 of proc(5)), in clock ticks: 100 per second on Linux.
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return null;
  }
}

/** Requests per second at 32 clients, and the CPU the server (`pid`; none for direct's upstream) used per request. */
async function throughput(url, pid) {
  const before = cpuTimes();
  const cpuBefore = pid ? processCpuUs(pid) : null;
  const { result } = await load(url, 32, THROUGHPUT_S);
  const cpuAfter = pid ? processCpuUs(pid) : null;
  const after = cpuTimes();
  if (before && after && after.all > before.all) stolenPct.push(Math.round((100 * (after.steal - before.steal)) / (after.all - before.all)));
  if (result.non2xx || result.errors) throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors at 32 clients`);
  const cpuUsPerRequest = cpuBefore !== null && cpuAfter !== null && result.requests.total > 0 ? (cpuAfter - cpuBefore) / result.requests.total : null;
  return { rps: result.requests.average, cpuUsPerRequest };
}

const ttfbAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
function ttfbOnce(url, body) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let first = -1;
    const req = http.request(`${url}/v1/messages`, { method: 'POST', headers: { ...HEADERS, 'content-length': Buffer.byteLength(body) }, agent: ttfbAgent }, (res) => {
      res.on('data', () => {
        if (first < 0) first = performance.now() - t0;
      });
      res.on('end', () => resolve(first));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function ttfb(url) {
  const out = [];
  for (let i = 0; i < TTFB_N; i++) out.push(await ttfbOnce(url, nextBody(true)));
  return out;
}

// ---------------------------------------------------------------- run
const cpu = cpus();
const serverNode = execFileSync(NODE, ['--version'], { encoding: 'utf8' }).trim();
const machine = `${cpu[0]?.model ?? 'unknown CPU'} × ${cpu.length}, ${(totalmem() / 2 ** 30).toFixed(1)} GB RAM, ${platform()}-${arch()}, servers on Node ${serverNode}, load generator on Node ${process.version}`;
console.log(`machine: ${machine}; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
console.log(`bodies: ${bodyKb} KB Anthropic Messages requests (${SESSIONS} sessions, every request unique, ~5% new); latency ${ROUNDS}×${LATENCY_S} s at 1 client, throughput ${ROUNDS}×${THROUGHPUT_S} s at 32 clients, ${ROUNDS}×${TTFB_N} SSE streams`);

const dir = mkdtempSync(join(tmpdir(), 'telltale-bench-'));
let exitCode = 0;
try {
  const upstream = await start(['bench/guard-servers.mjs', 'upstream']);
  const bare = await start(['bench/guard-servers.mjs', 'bare', upstream.url]);
  // A guard in front of the fake upstream, with the given audit store.
  const startGuard = (name, store) => {
    writeFileSync(join(dir, name), `routes:\n  - prefix: /\n    upstream: ${upstream.url}\n    api: anthropic\naudit:\n  store: ${store}\n`);
    // Through the binary itself, not `node dist/cli/bin.js`: its `#!` line gives Node the
    // flags every `telltale` process runs with (the young generation's size among them).
    return start(['guard', '--config', join(dir, name), '--listen', '127.0.0.1:0', '--quiet'], BIN);
  };
  const guard = await startGuard('telltale.yaml', `sqlite:${join(dir, 'audit.db')}`);
  const guardNoAudit = await startGuard('no-audit.yaml', 'none');
  const targets = { direct: upstream.url, bare: bare.url, guard: guard.url };
  // Throughput only: the processes whose CPU is counted per request.
  const throughputTargets = { ...targets, 'guard, audit off': guardNoAudit.url };
  const pids = { bare: bare.child.pid, guard: guard.child.pid, 'guard, audit off': guardNoAudit.child.pid };

  // Warm up every path (JIT, keep-alive sockets, the guard's caches), at the concurrency of
  // the throughput runs too: at 32 clients other code turns hot (the guard's group commits,
  // held records), and its first compilations otherwise land in the first measured round
  // (the guard's compiler threads then used ~3× the CPU per request of later rounds).
  for (const url of Object.values(throughputTargets)) {
    await load(url, 4, 1);
    await load(url, 32, quick ? 2 : 3);
    if (url !== guardNoAudit.url) for (let i = 0; i < 30; i++) await ttfbOnce(url, nextBody(true));
  }

  const lat = { direct: [], bare: [], guard: [] };
  const perThroughputTarget = () => Object.fromEntries(Object.keys(throughputTargets).map((name) => [name, []]));
  const rps = perThroughputTarget();
  const cpuPerRequest = perThroughputTarget();
  const first = { direct: [], bare: [], guard: [] };
  // Rounds interleave the targets, and odd rounds run them in reverse order, so that a noisy
  // neighbour, and whatever one target's round leaves behind for the next, hurt all alike.
  const inOrder = (entries, round) => (round % 2 ? [...entries].reverse() : entries);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, url] of inOrder(Object.entries(targets), round)) lat[name].push(...(await latency(url)));
    for (const [name, url] of inOrder(Object.entries(throughputTargets), round)) {
      const t = await throughput(url, pids[name]);
      rps[name].push(t.rps);
      if (t.cpuUsPerRequest !== null) cpuPerRequest[name].push(t.cpuUsPerRequest);
    }
    for (const [name, url] of inOrder(Object.entries(targets), round)) first[name].push(...(await ttfb(url)));
  }

  const mean = (xs) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
  const summary = {};
  for (const name of Object.keys(throughputTargets)) {
    const l = (lat[name] ?? []).sort((a, b) => a - b);
    const f = (first[name] ?? []).sort((a, b) => a - b);
    summary[name] = {
      requests: l.length,
      p50Ms: percentile(l, 50),
      p99Ms: percentile(l, 99),
      rps: mean(rps[name]),
      // The server process's CPU (all its threads) per request at 32 clients; null for direct (the fake upstream is not a proxy).
      cpuUsPerRequest: mean(cpuPerRequest[name]),
      rpsPerRound: rps[name],
      cpuUsPerRequestPerRound: cpuPerRequest[name],
      ttfbP50Ms: percentile(f, 50),
      ttfbP99Ms: percentile(f, 99),
    };
  }
  const d = summary.direct;
  const b = summary.bare;
  const g = summary.guard;
  const figures = {
    addedP50Ms: g.p50Ms - d.p50Ms,
    addedP99Ms: g.p99Ms - d.p99Ms,
    bareAddedP50Ms: b.p50Ms - d.p50Ms,
    bareAddedP99Ms: b.p99Ms - d.p99Ms,
    throughputVsBarePct: (100 * g.rps) / b.rps,
    throughputVsDirectPct: (100 * g.rps) / d.rps,
    auditOffThroughputVsBarePct: (100 * summary['guard, audit off'].rps) / b.rps,
    ttfbOverheadMs: g.ttfbP50Ms - d.ttfbP50Ms,
    bareTtfbOverheadMs: b.ttfbP50Ms - d.ttfbP50Ms,
  };
  const targetsMet = {
    'added p50 < 1 ms': figures.addedP50Ms < 1,
    'added p99 < 5 ms': figures.addedP99Ms < 5,
    'throughput ≥ 70% of bare': figures.throughputVsBarePct >= 70,
    'SSE TTFB overhead < 1 ms': figures.ttfbOverheadMs < 1,
  };

  const f2 = (x) => x.toFixed(2);
  const ms2 = (x) => (Number.isNaN(x) ? '—' : `${x.toFixed(2)} ms`);
  const rows = [
    ['', 'p50 (1 client)', 'p99 (1 client)', 'req/s (32 clients)', 'CPU µs/req', 'SSE TTFB p50', 'SSE TTFB p99'],
    ...Object.entries(summary).map(([name, s]) => [name, ms2(s.p50Ms), ms2(s.p99Ms), s.rps.toFixed(0), s.cpuUsPerRequest === null ? '—' : s.cpuUsPerRequest.toFixed(0), ms2(s.ttfbP50Ms), ms2(s.ttfbP99Ms)]),
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  console.log('');
  for (const r of rows) console.log(r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('   '));
  console.log('');
  console.log(`guard vs direct: +${f2(figures.addedP50Ms)} ms p50, +${f2(figures.addedP99Ms)} ms p99 (bare proxy: +${f2(figures.bareAddedP50Ms)} / +${f2(figures.bareAddedP99Ms)} ms)`);
  console.log(`guard throughput: ${figures.throughputVsBarePct.toFixed(0)}% of bare proxy, ${figures.throughputVsDirectPct.toFixed(0)}% of direct; with the audit log off: ${figures.auditOffThroughputVsBarePct.toFixed(0)}% of bare`);
  if (stolenPct.length) console.log(`CPU stolen by the hypervisor during the throughput runs (in run order: direct, bare, guard, guard with audit off, then reversed): ${stolenPct.join(' ')} %`);
  console.log(`SSE first byte: +${f2(figures.ttfbOverheadMs)} ms over direct (bare proxy: +${f2(figures.bareTtfbOverheadMs)} ms)`);
  for (const [t, ok] of Object.entries(targetsMet)) console.log(`  ${ok ? 'met   ' : 'MISSED'} ${t}`);

  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(
    join(ROOT, 'bench/results/guard.json'),
    `${JSON.stringify({ benchmark: 'guard', date: new Date().toISOString(), machine, loadAverage: loadavg(), bodyBytes: Buffer.byteLength(agentRequest(0, false)), bodies: `${SESSIONS} sessions, every request unique (history resent unchanged + ~5 KB new round trip)`, settings: { rounds: ROUNDS, latencySeconds: LATENCY_S, throughputSeconds: THROUGHPUT_S, ttfbStreams: TTFB_N }, results: summary, figures, targetsMet, stolenCpuPctPerThroughputRun: stolenPct }, null, 2)}\n`,
  );
  console.log('written: bench/results/guard.json');
} catch (error) {
  console.error(`bench/guard.bench.mjs failed: ${error instanceof Error ? error.message : String(error)}`);
  exitCode = 1;
} finally {
  cleanup();
  rmSync(dir, { recursive: true, force: true });
}
process.exit(exitCode);
