/**
 * `runProbe` end to end with synthetic agents (test/probe/helpers/agents.ts):
 * real processes, the real capture server and sandbox, small matrices. Each
 * agent varies what it sends by environment in its own way; the probe must find
 * each variation, attribute it to the right factor (or pair of factors), keep
 * honest variation out, and report bad runs clearly.
 */
import { describe, expect, it } from 'vitest';
import { parseMatrix, addVaryFactor, type Matrix } from '../../src/probe/matrix.js';
import { ProbeError, runProbe } from '../../src/probe/probe.js';
import { renderText } from '../../src/probe/report.js';
import type { ProbeResult } from '../../src/probe/types.js';
import { writeAgent } from './helpers/agents.js';

const SMALL = parseMatrix(
  `
extends: none
factors:
  tz:
    role: timezone
    vars: TZ
    baseline: America/Los_Angeles
    values: [Asia/Shanghai, Europe/Berlin]
  locale:
    role: locale
    vars: [LANG, LC_ALL]
    baseline: en_US.UTF-8
    values: [zh_CN.UTF-8]
  apiHost:
    role: api-host
    baseline: { label: official, env: { ANTHROPIC_BASE_URL: null, OPENAI_BASE_URL: null } }
    values:
      - { label: deepseek, env: { ANTHROPIC_BASE_URL: "https://api.deepseek.com/anthropic", OPENAI_BASE_URL: "https://api.deepseek.com/v1" } }
      - { label: openrouter, env: { ANTHROPIC_BASE_URL: "https://openrouter.ai/api", OPENAI_BASE_URL: "https://openrouter.ai/api/v1" } }
`,
  'small.yaml',
);

const probe = (agent: Parameters<typeof writeAgent>[0], matrix: Matrix = SMALL, extra: Partial<Parameters<typeof runProbe>[0]> = {}): Promise<ProbeResult> =>
  runProbe({ command: ['node', writeAgent(agent)], matrix, jobs: 2, timeoutMs: 30_000, ...extra });

describe('probe with synthetic agents', () => {
  it('finds each environment-keyed change, with its factor, kind and code points; date shifts and ids stay quiet', async () => {
    const result = await probe('tracker');
    const text = renderText(result);
    expect(result.summary.verdict, text).toBe('covert-channel');
    expect(text.split('\n')[0]).toMatch(/^COVERT CHANNEL/);

    const swap = result.differences.find((d) => d.kind === 'confusable-swap');
    expect(swap, text).toMatchObject({ factor: 'tz', value: 'Asia/Shanghai', baselineValue: 'America/Los_Angeles', field: '/system', level: 'error' });
    expect(swap!.codePoints).toEqual(['U+0027', 'U+02BC']);
    expect(swap!.characters[0]).toMatchObject({ change: 'swapped', cp: 'U+02BC', name: 'MODIFIER LETTER APOSTROPHE' });
    expect(swap!.request.endpoint).toBe('POST /v1/messages');

    const zw = result.differences.filter((d) => d.kind === 'invisible-char');
    expect(zw.map((d) => d.value).sort()).toEqual(['deepseek', 'openrouter']);
    expect(zw[0]!.codePoints).toEqual(['U+200B']);
    expect(zw[0]!.factor).toBe('apiHost');

    const format = result.differences.find((d) => d.kind === 'format-change');
    expect(format, text).toMatchObject({ factor: 'locale', value: 'zh_CN.UTF-8', level: 'warning' });
    expect(format!.from).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(format!.to).toMatch(/^\d{4}\/\d{2}\/\d{2}$/);

    // Only under a China timezone AND a non-official host: an interaction, attributed to both.
    const extra = result.differences.filter((d) => d.kind === 'extra-request');
    expect(extra.length, text).toBeGreaterThan(0);
    for (const e of extra) {
      expect(e.factor).toBe('tz+apiHost');
      expect(e.request.host).toBe('telemetry.example.net');
      expect(e.level).toBe('error');
      expect(e.factors.map((f) => f.factor)).toEqual(['tz', 'apiHost']);
    }
    expect(new Set(extra.map((e) => e.value))).toEqual(new Set(['Asia/Shanghai + deepseek', 'Asia/Shanghai + openrouter']));

    // Honest variation: no text-change at all (the date moves a day in Shanghai, session ids, timestamps).
    expect(result.differences.filter((d) => d.kind === 'text-change'), text).toEqual([]);
    expect(result.egress.map((e) => e.host)).toEqual(expect.arrayContaining(['api.anthropic.com', 'api.deepseek.com', 'openrouter.ai', 'telemetry.example.net']));
    expect(result.summary.failed).toBe(0);
    expect(result.runs.every((r) => r.exitCode === 0 && r.requests.length > 0)).toBe(true);
  }, 120_000);

  it('reports an honest agent as clean (curly apostrophe in every run is not a finding)', async () => {
    const result = await probe('honest');
    const text = renderText(result);
    expect(result.differences, text).toEqual([]);
    expect(result.persistent, text).toEqual([]);
    expect(result.summary.verdict).toBe('clean');
    expect(text).toMatch(/^CLEAN/);
  }, 120_000);

  it('reports hidden characters present in every run, with the payload they spell', async () => {
    const result = await probe('persistent');
    const text = renderText(result);
    expect(result.summary.verdict, text).toBe('hidden-characters');
    expect(result.persistent.length).toBeGreaterThan(0);
    expect(result.persistent[0]).toMatchObject({ field: '/system', level: 'error', kind: 'tag' });
    expect(result.persistent.some((p) => p.payload === 'ID42')).toBe(true);
  }, 120_000);

  it('covers OpenAI chat (streamed) and responses, a user-added factor (--vary) and --repeat', async () => {
    let matrix = parseMatrix('extends: none\nfactors:\n  apiHost:\n    role: api-host\n    baseline: { label: official, env: { OPENAI_BASE_URL: null } }\n    values:\n      - { label: zhipu, env: { OPENAI_BASE_URL: "https://open.bigmodel.cn/api/paas/v4" } }\n', 'o.yaml');
    matrix = addVaryFactor(matrix, 'DEPLOY_REGION=cn,eu');
    const result = await probe('openai', matrix, { repeat: 2 });
    const text = renderText(result);
    expect(result.runs.every((r) => r.exitCode === 0), text + result.runs.map((r) => r.stderr).join('\n')).toBe(true);
    expect(result.runs.filter((r) => r.label === 'DEPLOY_REGION=cn')).toHaveLength(2);
    const ws = result.differences.filter((d) => d.kind === 'whitespace-change');
    expect(ws, text).toHaveLength(1);
    expect(ws[0]).toMatchObject({ factor: 'DEPLOY_REGION', value: 'cn', baselineValue: 'unset', field: '/messages/0/content', level: 'error' });
    expect(ws[0]!.codePoints).toContain('U+00A0');
    expect(ws[0]!.request.endpoint).toBe('POST /chat/completions');
    // The zhipu host (another path prefix, no /v1) aligns with the official endpoints: nothing else differs.
    expect(result.differences).toHaveLength(1);
    const ref = result.runs.find((r) => r.id === result.reference)!;
    expect(ref.requests.map((q) => q.endpoint)).toEqual(['openai.chat', 'openai.responses']);
    expect(ref.requests[0]!.stream).toBe(true);
  }, 120_000);

  it('tells nondeterminism from environment effects (--repeat)', async () => {
    const matrix = parseMatrix('extends: none\nfactors:\n  tz:\n    vars: TZ\n    baseline: UTC\n    values: [Asia/Shanghai]\n', 'r.yaml');
    const result = await probe('random', matrix, { repeat: 4 });
    expect(result.differences).toEqual([]);
    expect(result.nondeterministic.length).toBeGreaterThan(0);
    expect(renderText(result)).toMatch(/Varies between identical runs/);
  }, 120_000);

  it('works without namespaces too (--isolation none: Node preload), and says so', async () => {
    const matrix = parseMatrix('extends: none\nfactors:\n  tz:\n    vars: TZ\n    baseline: UTC\n    values: [Asia/Urumqi]\n', 'n.yaml');
    const result = await probe('tracker', matrix, { isolation: 'none' });
    expect(result.isolation.mode).toBe('none');
    expect(renderText(result)).toMatch(/Isolation: not isolated/);
    expect(result.differences.find((d) => d.kind === 'confusable-swap')).toMatchObject({ factor: 'tz', value: 'Asia/Urumqi' });
  }, 120_000);
});

describe('probe with bad agents', () => {
  const one = parseMatrix('extends: none\nfactors:\n  tz:\n    vars: TZ\n    baseline: UTC\n    values: [Asia/Shanghai]\n', 'one.yaml');

  it('agent command not found: a clear error before any run', async () => {
    await expect(runProbe({ command: ['no-such-agent-xyz'], matrix: one })).rejects.toThrow(ProbeError);
    await expect(runProbe({ command: ['no-such-agent-xyz'], matrix: one })).rejects.toThrow(/agent command 'no-such-agent-xyz' not found on PATH/);
  });

  it('exits immediately: inconclusive, with the reason and the runs kept', async () => {
    const result = await probe('exitsImmediately', one);
    expect(result.summary.verdict).toBe('inconclusive');
    expect(result.runs).toHaveLength(3);
    expect(result.runs[0]!.exitCode).toBe(3);
    expect(result.summary.problems[0]).toMatch(/every run: the agent exited immediately \(code 3\) without a request/);
  }, 60_000);

  it('makes no request: inconclusive, says so', async () => {
    const result = await probe('noRequest', one);
    expect(result.summary.verdict).toBe('inconclusive');
    expect(result.runs[0]!.stdout).toMatch(/nothing to send/);
    expect(result.summary.problems[0]).toMatch(/the agent made no request \(exit code 0\)/);
  }, 60_000);

  it('hangs: killed at the timeout, the run is kept with its problem', async () => {
    const started = Date.now();
    const result = await probe('hangs', one, { timeoutMs: 1500 });
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(result.runs.every((r) => r.timedOut)).toBe(true);
    expect(result.summary.timedOut).toBe(3);
    expect(result.summary.problems[0]).toMatch(/timed out after 2 s/);
  }, 60_000);
});
