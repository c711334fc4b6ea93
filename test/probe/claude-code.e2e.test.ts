/**
 * A real agent: the published `@anthropic-ai/claude-code@2.1.91` bundle, probed
 * with a reduced matrix (two timezones, one non-official API host, pairwise)
 * through the built CLI. Nothing tells the probe what to look for: the test only
 * checks that what it reports includes the publicly described behaviour of this
 * version (look-alike apostrophe and another date format in the prompt, under
 * a China timezone with a non-official API host). The package is fetched once
 * with `npm pack` into .cache/agents/ (shared with the guard's e2e test);
 * without registry access the test is skipped with a message.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureClaudeCode } from '../helpers/claude-code.js';

const ROOT = resolve(import.meta.dirname, '../..');
const NODE = join(ROOT, 'node_modules/.bin/node');
const CLI = join(ROOT, 'dist/cli/bin.js');
const VERSION = '2.1.91';

const { cliJs: CLI_JS, skipReason } = ensureClaudeCode(VERSION);
if (skipReason) process.stderr.write(`skipping the Claude Code probe test: ${skipReason}\n`);

const MATRIX = `# A reduced matrix for the test; the default matrix runs in bench/probe.bench.mjs.
extends: none
interactions: pairwise
factors:
  tz:
    role: timezone
    vars: TZ
    baseline: America/Los_Angeles
    values: [Asia/Shanghai, Europe/Berlin]
  apiHost:
    role: api-host
    baseline: { label: official, env: { ANTHROPIC_BASE_URL: null } }
    values:
      - { label: deepseek, env: { ANTHROPIC_BASE_URL: "https://api.deepseek.com/anthropic" } }
`;

/** Runs the built CLI in its own process group, killed (whole group) at the deadline. */
function runCli(args: string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(NODE, [CLI, ...args], { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const kill = (): void => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // gone
      }
    };
    const timer = setTimeout(kill, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      kill();
      done({ code, stdout, stderr });
    });
  });
}

describe.skipIf(skipReason !== null)(`telltale probe on Claude Code ${VERSION}`, () => {
  it('exposes the environment-keyed look-alike apostrophe and date format without being told what to look for', async () => {
    if (!existsSync(CLI)) throw new Error('dist/ is missing: run `npm run build` before this test');
    const dir = mkdtempSync(join(tmpdir(), 'telltale-probe-cc-'));
    const matrix = join(dir, 'matrix.yaml');
    writeFileSync(matrix, MATRIX);
    const jsonOut = join(dir, 'probe.json');
    const agent = [NODE, CLI_JS, '-p', 'say hi'];
    const json = await runCli(['probe', '--matrix', matrix, '--timeout', '120', '--format', 'json', '--output', jsonOut, '--', ...agent], 420_000);
    expect(json.code, json.stderr).toBe(1); // findings at or above the default --fail-on
    const result = JSON.parse(readFileSync(jsonOut, 'utf8')) as {
      agent: { command: string[] };
      matrix: unknown[];
      runs: Array<{ exitCode: number; requests: unknown[]; timedOut: boolean }>;
      differences: Array<{ factor: string; value: string; baselineValue: string; kind: string; field: string; codePoints: string[]; request: { index: number; endpoint: string }; baseline: string; variant: string; level: string; factors: Array<{ factor: string; value: string }> }>;
      isolation: { mode: string; description: string };
      summary: { verdict: string; headline: string };
    };
    // The contract's top level.
    expect(Object.keys(result)).toEqual(expect.arrayContaining(['agent', 'matrix', 'runs', 'differences']));
    expect(result.runs.every((r) => r.exitCode === 0 && !r.timedOut && r.requests.length > 0)).toBe(true);
    expect(result.summary.verdict).toBe('covert-channel');

    const inPrompt = result.differences.filter((d) => d.request.endpoint === 'POST /v1/messages' && d.level === 'error');
    // The look-alike apostrophe with the non-official host …
    const swap = inPrompt.find((d) => d.kind === 'confusable-swap' && d.codePoints.includes('U+02BC'));
    expect(swap, JSON.stringify(inPrompt, null, 1)).toBeDefined();
    expect(swap!.factors.map((f) => f.factor)).toContain('apiHost');
    expect(swap!.field).toMatch(/^\/(?:messages|system)\//);
    // … and the date written another way under a China timezone with it (an interaction).
    const format = inPrompt.find((d) => d.kind === 'format-change');
    expect(format, JSON.stringify(inPrompt, null, 1)).toBeDefined();
    expect(format!.factors).toEqual([
      { factor: 'tz', value: 'Asia/Shanghai', baselineValue: 'America/Los_Angeles' },
      { factor: 'apiHost', value: 'deepseek', baselineValue: 'official' },
    ]);
    // Berlin (a control) changes nothing covert.
    expect(result.differences.filter((d) => d.level === 'error' && d.value.includes('Europe/Berlin'))).toEqual([]);

    // The text report, verdict first: one line per finding.
    const text = await runCli(['probe', '--matrix', matrix, '--timeout', '120', '--no-confirm', '--', ...agent], 420_000);
    process.stderr.write(`\n--- telltale probe on Claude Code ${VERSION} (reduced matrix) ---\n${text.stdout}\n`);
    expect(text.stdout.split('\n')[0]).toMatch(/^COVERT CHANNEL/);
    expect(text.stdout).toMatch(/error +apiHost=deepseek → confusable-swap \(U\+0027 APOSTROPHE → U\+02BC MODIFIER LETTER APOSTROPHE\)/);
    expect(text.stdout).toMatch(/error +tz=Asia\/Shanghai & apiHost=deepseek → format-change/);
    expect(text.stdout).toMatch(/^Isolation: /m);
  }, 900_000);
});
