/**
 * `telltale probe [--matrix default|quick|FILE] [--format text|json] -- AGENT_CMD…`:
 * runs the real agent under a matrix of environments, captures every request it
 * makes and reports what the environment changes in what it sends.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { CliContext } from '../main.js';
import { InputError, UsageError } from '../errors.js';
import { VERSION } from '../version.js';
import { atLeast, type Level } from '../../core/findings.js';
import { addVaryFactor, builtinMatrix, MatrixError, parseMatrix, type Matrix } from '../../probe/matrix.js';
import { ProbeError, runProbe } from '../../probe/probe.js';
import { renderText, toJson } from '../../probe/report.js';
import { decodeUtf8Strict } from '../io.js';

interface ProbeCliOptions {
  matrix: string;
  format: string;
  output?: string;
  failOn: string;
  repeat?: string;
  jobs?: string;
  timeout: string;
  isolation: string;
  env: string[];
  passEnv: string[];
  vary: string[];
  confirm: boolean;
  captures?: string;
  keepTemp?: boolean;
  quiet?: boolean;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

function positiveInt(value: string | undefined, flag: string, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new UsageError(`${flag} must be a whole number from 1 to ${max}, not '${value}'`);
  return n;
}

async function loadMatrix(spec: string): Promise<Matrix> {
  const builtin = builtinMatrix(spec);
  if (builtin && spec !== 'none') return builtin;
  let bytes: Buffer;
  try {
    bytes = await readFile(spec);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(`cannot read matrix file ${spec}: ${code === 'ENOENT' ? 'no such file (built-in matrices: default, quick)' : code ?? 'read error'}`);
  }
  try {
    return parseMatrix(decodeUtf8Strict(bytes, spec), spec);
  } catch (error) {
    if (error instanceof MatrixError) throw new InputError(error.message);
    throw error;
  }
}

export function registerProbe(program: Command, ctx: CliContext): void {
  program
    .command('probe')
    .description('run an agent under a matrix of environments, capture every request and report what the environment changes in what it sends')
    .argument('[agent...]', 'the agent command, after --')
    .option('--matrix <matrix>', 'default, quick, or a YAML file (see docs/probe.md)', 'default')
    .option('--format <format>', 'text or json', 'text')
    .option('--output <file>', 'write the report here instead of standard output')
    .option('--fail-on <level>', 'exit 1 when a finding is at or above: error (default), warning, note or none', 'error')
    .option('--repeat <n>', 'run every variant n times (tells nondeterminism from environment effects)')
    .option('--jobs <n>', 'parallel runs (default: number of cores)')
    .option('--timeout <seconds>', 'time limit of one run', '120')
    .option('--isolation <mode>', 'auto, namespaces or none', 'auto')
    .option('--env <NAME=VALUE>', 'set a variable in every run (repeatable)', collect, [])
    .option('--pass-env <NAME>', "pass one of your own variables to every run (repeatable; nothing of yours is passed otherwise)", collect, [])
    .option('--vary <NAME=V1,V2>', 'add a factor: the variable unset in the baseline, then each value (repeatable)', collect, [])
    .option('--no-confirm', 'do not run the extra runs that decide ambiguous attributions')
    .option('--captures <dir>', 'save every captured request (JSON, one file per run) in this directory')
    .option('--keep-temp', 'keep the temporary directory of the runs (homes, sandbox configs)')
    .option('--quiet', 'no progress on standard error')
    .action(async (agent: string[], opts: ProbeCliOptions) => {
      if (opts.format !== 'text' && opts.format !== 'json') throw new UsageError(`--format must be text or json, not '${opts.format}'`);
      if (!['error', 'warning', 'note', 'none'].includes(opts.failOn)) throw new UsageError(`--fail-on must be error, warning, note or none, not '${opts.failOn}'`);
      if (!['auto', 'namespaces', 'none'].includes(opts.isolation)) throw new UsageError(`--isolation must be auto, namespaces or none, not '${opts.isolation}'`);
      if (agent.length === 0) throw new UsageError('no agent command: give it after --, e.g. telltale probe -- node cli.js -p "say hi"');
      const timeout = positiveInt(opts.timeout, '--timeout', 3600)!;
      const repeat = positiveInt(opts.repeat, '--repeat', 20);
      const jobs = positiveInt(opts.jobs, '--jobs', 256);
      const env: Record<string, string> = {};
      for (const e of opts.env) {
        const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(e);
        if (!m) throw new UsageError(`--env expects NAME=VALUE, not '${e}'`);
        env[m[1]!] = m[2]!;
      }
      for (const name of opts.passEnv) {
        const value = process.env[name];
        if (value === undefined) throw new UsageError(`--pass-env ${name}: that variable is not set in your environment`);
        env[name] = value;
      }
      let matrix = await loadMatrix(opts.matrix);
      try {
        for (const v of opts.vary) matrix = addVaryFactor(matrix, v);
      } catch (error) {
        if (error instanceof MatrixError) throw new UsageError(error.message);
        throw error;
      }

      const progress = !opts.quiet && process.stderr.isTTY;
      let result;
      try {
        result = await runProbe({
          command: agent,
          matrix,
          ...(repeat !== undefined ? { repeat } : {}),
          ...(jobs !== undefined ? { jobs } : {}),
          timeoutMs: timeout * 1000,
          isolation: opts.isolation as 'auto' | 'namespaces' | 'none',
          env,
          confirm: opts.confirm,
          keepTemp: opts.keepTemp ?? false,
          version: VERSION,
          onProgress: (done, total, run) => {
            if (progress) process.stderr.write(`\rtelltale probe: run ${done}/${total} (${run.label.slice(0, 60)})\x1b[K`);
          },
        });
      } catch (error) {
        if (error instanceof ProbeError) throw new InputError(error.message);
        throw error;
      } finally {
        if (progress) process.stderr.write('\r\x1b[K');
      }

      if (opts.captures) {
        await mkdir(opts.captures, { recursive: true });
        for (const run of result.runs) {
          await writeFile(join(opts.captures, `${run.id}.json`), JSON.stringify({ id: run.id, label: run.label, env: run.env, requests: run.requests }, null, 2));
        }
      }
      const text = opts.format === 'json' ? `${JSON.stringify(toJson(result, Boolean(opts.captures)), null, 2)}\n` : renderText(result);
      if (opts.output) await writeFile(opts.output, text);
      else process.stdout.write(text);

      if (result.summary.verdict === 'inconclusive') {
        const first = result.summary.problems[0] ?? 'no request was captured';
        throw new InputError(`probe inconclusive: the agent made no request in any baseline run (${first.replace(/^every run: /, '')})`);
      }
      const threshold = opts.failOn as Level | 'none';
      const highest = result.summary.highestLevel;
      ctx.exitCode = threshold !== 'none' && highest !== null && atLeast(highest, threshold) ? 1 : 0;
    });
}
