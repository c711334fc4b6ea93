import { describe, expect, it } from 'vitest';
import { addVaryFactor, builtinMatrix, MatrixError, parseMatrix } from '../../src/probe/matrix.js';
import { pairwiseRows, planRuns } from '../../src/probe/plan.js';
import { composeEnv } from '../../src/probe/runner.js';

describe('default matrix', () => {
  const m = builtinMatrix('default')!;
  const values = (name: string): string[] => m.factors.find((f) => f.name === name)!.values.map((v) => v.label);

  it('covers the regions a vendor is most likely to single out, plus neutral controls', () => {
    expect(values('tz')).toEqual(expect.arrayContaining(['Asia/Shanghai', 'Asia/Urumqi', 'Asia/Hong_Kong', 'Europe/Moscow', 'Asia/Tehran', 'Asia/Pyongyang', 'America/Havana', 'UTC', 'Europe/Berlin']));
    expect(values('locale')).toEqual(expect.arrayContaining(['zh_CN.UTF-8', 'zh_HK.UTF-8', 'ru_RU.UTF-8', 'fa_IR.UTF-8', 'ko_KP.UTF-8', 'de_DE.UTF-8']));
    expect(values('proxy')).toEqual(['clash-7890', 'corporate']);
    expect(values('hostname').length).toBeGreaterThan(1);
  });

  it('covers non-US model providers and resellers next to the official host', () => {
    const hosts = m.factors.find((f) => f.name === 'apiHost')!;
    expect(hosts.baseline.label).toBe('official');
    expect(hosts.values.map((v) => v.label)).toEqual(expect.arrayContaining(['deepseek', 'moonshot', 'zhipu', 'dashscope', 'minimax', 'openrouter', 'relay-one-api', 'relay-chatanywhere']));
    expect(hosts.values.find((v) => v.label === 'zhipu')!.env.ANTHROPIC_BASE_URL).toBe('https://open.bigmodel.cn/api/anthropic');
  });

  it('plans the baseline twice, each value alone, and a covering array of every pair', () => {
    const runs = planRuns(m);
    expect(runs.filter((r) => r.phase === 'baseline')).toHaveLength(2);
    expect(runs.filter((r) => r.phase === 'single')).toHaveLength(m.factors.reduce((n, f) => n + f.values.length, 0));
    const rows = runs.filter((r) => r.phase === 'pairwise').map((r) => r.changes);
    for (let i = 0; i < m.factors.length; i++) {
      for (let j = i + 1; j < m.factors.length; j++) {
        const f = m.factors[i]!;
        const g = m.factors[j]!;
        for (const a of f.values) for (const b of g.values) expect(rows.some((r) => r[f.name] === a.label && r[g.name] === b.label), `${f.name}=${a.label} & ${g.name}=${b.label}`).toBe(true);
      }
    }
    // Close to the lower bound (the product of the two largest factors).
    const sizes = m.factors.map((f) => f.values.length).sort((a, b) => b - a);
    expect(rows.length).toBeLessThanOrEqual(Math.ceil(sizes[0]! * sizes[1]! * 1.2));
    expect(new Set(runs.map((r) => r.id)).size).toBe(runs.length);
  });

  it('--repeat repeats every variant', () => {
    const runs = planRuns(builtinMatrix('quick')!, 3);
    expect(runs.filter((r) => r.phase === 'single' && r.changes.tz === 'Asia/Shanghai')).toHaveLength(3);
  });

  it('pairwiseRows on small factors', () => {
    const f = (name: string, n: number) => ({ name, role: 'custom' as const, baseline: { label: 'b', env: {} }, values: Array.from({ length: n }, (_, i) => ({ label: `v${i}`, env: {} })) });
    expect(pairwiseRows([f('a', 2), f('b', 2), f('c', 2)]).length).toBeLessThanOrEqual(6);
  });
});

describe('composeEnv', () => {
  it('applies baseline and values; unset variables are removed; hostname follows the factor', () => {
    const m = builtinMatrix('default')!;
    const { env, hostname } = composeEnv(m, { apiHost: 'deepseek', proxy: 'clash-7890', hostname: 'ws-0142.alibaba-inc.com' }, { PATH: '/bin', ANTHROPIC_BASE_URL: 'x' });
    expect(env.ANTHROPIC_BASE_URL).toBe('https://api.deepseek.com/anthropic');
    expect(env.HTTPS_PROXY).toBe('http://127.0.0.1:7890');
    expect(env.TZ).toBe('America/Los_Angeles');
    expect(hostname).toBe('ws-0142.alibaba-inc.com');
    const base = composeEnv(m, {}, { PATH: '/bin', ANTHROPIC_BASE_URL: 'x' }).env;
    expect(base.ANTHROPIC_BASE_URL).toBeUndefined();
    expect(base.HTTPS_PROXY).toBeUndefined();
  });
});

describe('matrix YAML', () => {
  it('extends the default: adds values, replaces a factor, removes one, adds a new one', () => {
    const m = parseMatrix(
      `extends: default
repeat: 2
env: { EXTRA: "1" }
factors:
  tz:
    add: [Asia/Kolkata]
  hostname:
    remove: true
  proxy:
    baseline: null
    values: ["http://10.0.0.1:8080"]
  CI:
    vars: CI
    values: ["true"]
`,
      'm.yaml',
    );
    expect(m.factors.map((f) => f.name)).toEqual(['tz', 'locale', 'proxy', 'apiHost', 'CI']);
    expect(m.factors[0]!.values.at(-1)!.label).toBe('Asia/Kolkata');
    expect(m.factors.find((f) => f.name === 'proxy')!.values[0]!.env.HTTPS_PROXY).toBe('http://10.0.0.1:8080');
    expect(m.factors.find((f) => f.name === 'CI')).toMatchObject({ role: 'custom', baseline: { label: 'unset', env: { CI: null } } });
    expect(m.repeat).toBe(2);
    expect(m.env.EXTRA).toBe('1');
  });

  it('rejects bad input with one-line messages', () => {
    expect(() => parseMatrix('factors: [', 'bad.yaml')).toThrow(/bad.yaml is not valid YAML/);
    expect(() => parseMatrix('factors:\n  x:\n    values: [a]\n', 'v.yaml')).toThrow(/needs 'vars'/);
    expect(() => parseMatrix('factors:\n  x:\n    vars: X\n    values: [a, a]\n', 'd.yaml')).toThrow(/appears twice/);
    expect(() => parseMatrix('unknown: 1\n', 'u.yaml')).toThrow(MatrixError);
    expect(() => parseMatrix('extends: none\n', 'e.yaml')).toThrow(/no factors/);
    expect(() => addVaryFactor(builtinMatrix('quick')!, 'tz=a')).toThrow(/exists already/);
    expect(() => addVaryFactor(builtinMatrix('quick')!, 'nonsense')).toThrow(/NAME=VALUE1,VALUE2/);
  });
});
