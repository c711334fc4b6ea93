/**
 * `telltale probe`: plan the runs, execute them in parallel (bounded by cores),
 * diff what the agent sent, run the confirmation runs the analysis asks for, and
 * put everything into one result.
 */
import { availableParallelism } from 'node:os';
import { accessSync, constants, existsSync, readdirSync, realpathSync, rmSync, statSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createTlsAuthority } from '../capture/tls-authority.js';
import { analyzeRuns } from '../core/request-diff/analyze.js';
import { LEVEL_RANK, type Level } from '../core/findings.js';
import type { Analysis, RunInput } from '../core/request-diff/types.js';
import type { Matrix } from './matrix.js';
import { planRuns, type PlannedRun } from './plan.js';
import { executeRun, killActiveRuns, type RunContext } from './runner.js';
import { detectIsolation, findExecutable, type Isolation } from './sandbox/isolation.js';
import type { ProbeResult, RunRecord } from './types.js';

export class ProbeError extends Error {}

export interface ProbeOptions {
  command: string[];
  matrix: Matrix;
  repeat?: number;
  /** Parallel runs (default: number of cores). */
  jobs?: number;
  timeoutMs?: number;
  isolation?: 'auto' | 'namespaces' | 'none';
  /** Variables for every run (from --env / --pass-env). */
  env?: Record<string, string>;
  /** Run the confirmation runs that decide ambiguous attributions (default true). */
  confirm?: boolean;
  /** Resolve relative paths in the command against this directory (default: process.cwd()). */
  cwd?: string;
  /** Keep the temporary directory (homes, captures) for inspection. */
  keepTemp?: boolean;
  version?: string;
  onProgress?: (done: number, total: number, run: RunRecord) => void;
}

const CA_BUNDLES = ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt', '/etc/ssl/cert.pem'];
const MASKABLE = ['/root', '/home', '/tmp', '/var/tmp'];
const CREDENTIALS = ['.ssh', '.aws', '.azure', '.config', '.docker', '.kube', '.gnupg', '.npmrc', '.netrc', '.git-credentials', '.pypirc', '.claude', '.claude.json', '.codex', '.gemini', '.qwen', '.cargo/credentials.toml'];

function realpathOr(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** True when uid 65534 could run it: every directory on the way searchable by others, the file readable. */
function readableByOthers(path: string): boolean {
  try {
    let p = realpathSync(path);
    if ((statSync(p).mode & 0o004) === 0 && (statSync(p).mode & 0o001) === 0) return false;
    while (p !== '/') {
      p = dirname(p);
      if ((statSync(p).mode & 0o001) === 0) return false;
    }
    return true;
  } catch {
    return false;
  }
}

function portsOf(matrix: Matrix): number[] {
  const ports = new Set<number>([80, 443]);
  const values = [...Object.values(matrix.env), ...matrix.factors.flatMap((f) => [f.baseline, ...f.values].flatMap((v) => Object.values(v.env)))];
  for (const v of values) {
    if (typeof v !== 'string' || !/^[a-z][a-z0-9+.-]*:\/\//i.test(v)) continue;
    try {
      const u = new URL(v);
      if (u.port) ports.add(Number(u.port));
    } catch {
      // not a URL
    }
  }
  return [...ports].filter((p) => p > 0 && p < 65536 && p !== 53).sort((a, b) => a - b);
}

async function pool<T, R>(items: T[], jobs: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, items.length) }, worker));
  return results;
}

function toRunInput(r: RunRecord): RunInput {
  return {
    id: r.id,
    assignment: r.assignment,
    env: r.env,
    apiBases: r.apiBases,
    artifacts: r.artifacts,
    // A CONNECT only opens the tunnel the real request travels in (recorded as `tunnel`): it is egress, listed, not compared.
    requests: r.requests.filter((q) => q.method !== 'CONNECT').map((q) => ({ method: q.method, host: q.host, path: q.path, endpoint: q.endpoint, headers: q.headers, body: q.body, ...(q.json !== undefined ? { json: q.json } : {}) })),
  };
}

/** Runs whose data says something about the agent (not a broken sandbox). */
const usable = (r: RunRecord): boolean => !r.problems.some((p) => p.startsWith('sandbox setup failed') || p.includes('not found'));

export async function runProbe(options: ProbeOptions): Promise<ProbeResult> {
  const started = Date.now();
  const cwd = options.cwd ?? process.cwd();
  const [cmd, ...rawArgs] = options.command;
  if (!cmd) throw new ProbeError('no agent command: put it after --, e.g. telltale probe -- node cli.js -p "say hi"');
  const resolved = findExecutable(cmd.includes('/') ? resolve(cwd, cmd) : cmd);
  if (!resolved) throw new ProbeError(`agent command '${cmd}' not found${cmd.includes('/') ? '' : ' on PATH'}: check the name, or give its path`);
  const command = realpathOr(resolve(cwd, resolved));
  // Arguments that name existing files are made absolute: the agent runs in a throwaway directory.
  const args = rawArgs.map((a) => (!a.startsWith('-') && /[/.]/.test(a) && existsSync(resolve(cwd, a)) ? resolve(cwd, a) : a));
  const pathArgs = args.filter((a) => a.startsWith('/') && existsSync(a)).map(realpathOr);

  let isolation: Isolation;
  if (options.isolation === 'none') isolation = { mode: 'none', description: 'not isolated: --isolation none was given' };
  else {
    isolation = await detectIsolation();
    if (options.isolation === 'namespaces' && isolation.mode !== 'namespaces') {
      throw new ProbeError(`--isolation namespaces is not available here (${isolation.description.replace(/^not isolated: /, '')})`);
    }
  }

  const nodeOnPath = findExecutable('node');
  const keep = [command, ...pathArgs, ...(nodeOnPath ? [realpathOr(nodeOnPath)] : [])];
  const inside = (dir: string, p: string): boolean => p === dir || p.startsWith(`${dir}/`);
  const mask = MASKABLE.filter((d) => !keep.some((k) => inside(d, k)));
  const hide: string[] = [];
  const homes = [...(mask.includes('/root') ? [] : ['/root']), ...(mask.includes('/home') || !existsSync('/home') ? [] : readdirSync('/home').map((h) => join('/home', h)))];
  for (const h of homes) for (const c of CREDENTIALS) {
    const p = join(h, c);
    if (existsSync(p) && !keep.some((k) => inside(p, k))) hide.push(p);
  }
  const homeTarget = mask.includes('/home') ? '/home/dev' : mask.includes('/tmp') ? '/tmp/home/dev' : null;
  const root = process.getuid?.() === 0;
  const runAs = root && keep.every(readableByOthers) ? 65534 : undefined;

  const jobs = Math.max(1, options.jobs ?? availableParallelism());
  const timeoutMs = options.timeoutMs ?? 120_000;
  const authority = createTlsAuthority();
  const baseDir = await mkdtemp(join(tmpdir(), 'telltale-probe-'));
  await chmod(baseDir, 0o711);
  const caFile = join(baseDir, 'ca.pem');
  await writeFile(caFile, authority.caCertPem, { mode: 0o644 });
  const ctx: RunContext = {
    command,
    args,
    isolation,
    baseDir,
    authority,
    caFile,
    timeoutMs,
    path: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    extraEnv: options.env ?? {},
    ...(runAs !== undefined ? { runAs } : {}),
    mask,
    hide,
    ports: portsOf(options.matrix),
    homeTarget,
    systemBundle: CA_BUNDLES.find((p) => existsSync(p)) ?? null,
  };
  if (root && runAs === undefined) accessSync(command, constants.X_OK);

  const matrix = options.matrix;
  const planned = planRuns(matrix, options.repeat ?? matrix.repeat);
  const runs: RunRecord[] = [];
  let total = planned.length;
  const execute = async (batch: PlannedRun[]): Promise<void> => {
    await pool(batch, jobs, async (p) => {
      const record = await executeRun(ctx, matrix, p);
      runs.push(record);
      options.onProgress?.(runs.length, total, record);
      return record;
    });
  };

  let analysis: Analysis | null = null;
  let reference: string | null = null;
  // Stopped (Ctrl-C, kill): end every run's process group and remove the throwaway homes first.
  const onSignal = (signal: NodeJS.Signals): void => {
    killActiveRuns();
    if (!options.keepTemp) rmSync(baseDir, { recursive: true, force: true });
    process.kill(process.pid, signal);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await execute(planned);
    const analyze = (): Analysis | null => {
      const ordered = [...runs].sort((a, b) => a.id.localeCompare(b.id));
      const ref = ordered.find((r) => r.phase === 'baseline' && r.requests.length > 0 && usable(r));
      if (!ref) return null;
      reference = ref.id;
      return analyzeRuns({
        runs: ordered.filter(usable).map(toRunInput),
        factors: matrix.factors.map((f) => ({ name: f.name, baseline: f.baseline.label, role: f.role })),
        reference: ref.id,
      });
    };
    analysis = analyze();
    const seen = new Set(planned.map((p) => JSON.stringify(p.changes)));
    for (let round = 0; options.confirm !== false && analysis && analysis.confirm.length > 0 && round < 2; round++) {
      const budget = Math.max(8, 4 * jobs);
      const extra: PlannedRun[] = [];
      for (const c of analysis.confirm) {
        const key = JSON.stringify(Object.fromEntries(matrix.factors.filter((f) => c.assignment[f.name] !== undefined).map((f) => [f.name, c.assignment[f.name]!])));
        if (seen.has(key) || extra.length >= budget) continue;
        seen.add(key);
        extra.push({ id: `r${String(runs.length + extra.length).padStart(3, '0')}`, phase: 'confirm', repeat: 0, changes: JSON.parse(key) as Record<string, string> });
      }
      if (extra.length === 0) break;
      total += extra.length;
      await execute(extra);
      analysis = analyze();
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (!options.keepTemp) await rm(baseDir, { recursive: true, force: true }).catch(() => undefined);
  }
  runs.sort((a, b) => a.id.localeCompare(b.id));
  return buildResult(options, command, isolation, runAs, mask, runs, analysis, reference, started, jobs);
}

function buildResult(
  options: ProbeOptions,
  command: string,
  isolation: Isolation,
  runAs: number | undefined,
  mask: string[],
  runs: RunRecord[],
  analysis: Analysis | null,
  reference: string | null,
  started: number,
  jobs: number,
): ProbeResult {
  const differences = analysis?.differences ?? [];
  const persistent = analysis?.persistent ?? [];
  const unexplained = analysis?.unexplained ?? [];
  const nondeterministic = analysis?.nondeterministic ?? [];
  const levels: Level[] = [...differences.map((d) => d.level), ...persistent.map((p) => p.level), ...unexplained.map((u) => u.level)];
  if (nondeterministic.length > 0) levels.push('note');
  const highestLevel = levels.reduce<Level | null>((best, l) => (best === null || LEVEL_RANK[l] > LEVEL_RANK[best] ? l : best), null);

  const egress = new Map<string, { host: string; requests: number; runs: Set<string>; endpoints: Set<string> }>();
  for (const r of runs) {
    for (const q of r.requests) {
      const e = egress.get(q.host) ?? { host: q.host, requests: 0, runs: new Set(), endpoints: new Set() };
      e.requests++;
      e.runs.add(r.id);
      if (e.endpoints.size < 8) e.endpoints.add(`${q.method} ${q.path.split('?')[0]}`);
      egress.set(q.host, e);
    }
    for (const name of r.dnsLookups) {
      const e = egress.get(name) ?? { host: name, requests: 0, runs: new Set(), endpoints: new Set() };
      e.runs.add(r.id);
      egress.set(name, e);
    }
  }

  const problems: string[] = [];
  const byProblem = new Map<string, string[]>();
  for (const r of runs) for (const p of r.problems) byProblem.set(p, [...(byProblem.get(p) ?? []), r.id]);
  for (const [p, ids] of byProblem) problems.push(`${ids.length === runs.length ? 'every run' : `${ids.length} run${ids.length > 1 ? 's' : ''} (${ids.slice(0, 4).join(', ')}${ids.length > 4 ? ', …' : ''})`}: ${p}`);

  const covert = differences.filter((d) => d.level === 'error');
  let verdict: ProbeResult['summary']['verdict'];
  let headline: string;
  if (!analysis) {
    verdict = 'inconclusive';
    headline = 'INCONCLUSIVE: the agent made no request in any baseline run, so there is nothing to compare (see problems)';
  } else if (covert.length > 0) {
    verdict = 'covert-channel';
    const factors = [...new Set(covert.map((d) => d.factor))].join(', ');
    headline = `COVERT CHANNEL: what the agent sends changes with the environment (${factors}) in ways a person cannot see`;
  } else if (differences.length > 0) {
    verdict = 'differences';
    headline = `DIFFERENCES: what the agent sends changes with the environment (${[...new Set(differences.map((d) => d.factor))].join(', ')})`;
  } else if (persistent.length > 0) {
    verdict = 'hidden-characters';
    headline = 'HIDDEN CHARACTERS: no environment-dependent change, but the requests carry hidden characters in every run';
  } else {
    verdict = 'clean';
    headline = 'CLEAN: no environment-dependent difference and no hidden characters in what the agent sends';
  }

  return {
    tool: 'telltale',
    version: options.version ?? '0.0.0',
    agent: { command: options.command, resolved: command },
    matrix: options.matrix.factors.map((f) => ({ name: options.matrix.name, factor: f.name, role: f.role, baseline: f.baseline.label, values: f.values.map((v) => v.label) })),
    isolation: { mode: isolation.mode, description: isolation.description, runAs: runAs === undefined ? 'the current user' : `uid ${runAs} (nobody)`, masked: isolation.mode === 'namespaces' ? mask : [] },
    runs,
    differences,
    persistent,
    nondeterministic,
    unexplained,
    reference,
    egress: [...egress.values()]
      .map((e) => ({ host: e.host, requests: e.requests, runs: e.runs.size, endpoints: [...e.endpoints] }))
      .sort((a, b) => b.requests - a.requests || a.host.localeCompare(b.host)),
    summary: {
      verdict,
      headline,
      highestLevel,
      runs: runs.length,
      runsWithRequests: runs.filter((r) => r.requests.length > 0).length,
      timedOut: runs.filter((r) => r.timedOut).length,
      failed: runs.filter((r) => r.problems.length > 0).length,
      wallMs: Date.now() - started,
      slowestRunMs: runs.reduce((m, r) => Math.max(m, r.durationMs), 0),
      jobs,
      problems,
    },
  };
}
