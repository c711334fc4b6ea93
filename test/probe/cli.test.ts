/**
 * `telltale probe` through the built CLI (dist/): exit codes, one-line errors,
 * the JSON contract, --captures. Run `npm run build` first.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeAgent } from './helpers/agents.js';

const ROOT = resolve(import.meta.dirname, '../..');
const NODE = join(ROOT, 'node_modules/.bin/node');
const CLI = join(ROOT, 'dist/cli/bin.js');

const cli = (args: string[], timeout = 120_000) => spawnSync(NODE, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', timeout, killSignal: 'SIGKILL' });

let dir: string;
let matrix: string;
beforeAll(() => {
  if (!existsSync(CLI)) throw new Error('dist/ is missing: run `npm run build` before these tests');
  dir = mkdtempSync(join(tmpdir(), 'telltale-probe-cli-'));
  matrix = join(dir, 'm.yaml');
  writeFileSync(matrix, 'extends: none\nfactors:\n  tz:\n    vars: TZ\n    baseline: America/Los_Angeles\n    values: [Asia/Shanghai]\n');
});

describe('telltale probe (CLI)', () => {
  it('usage and input errors: one line, exit 2, no stack', () => {
    for (const [args, message] of [
      [['probe'], /no agent command: give it after --/],
      [['probe', '--', 'no-such-agent-xyz'], /agent command 'no-such-agent-xyz' not found on PATH/],
      [['probe', '--matrix', join(dir, 'missing.yaml'), '--', 'node'], /cannot read matrix file .*no such file/],
      [['probe', '--format', 'sarif', '--', 'node'], /--format must be text or json/],
      [['probe', '--repeat', '0', '--', 'node'], /--repeat must be a whole number/],
      [['probe', '--vary', 'oops', '--', 'node'], /--vary expects NAME=VALUE1,VALUE2/],
    ] as const) {
      const r = cli([...args]);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    writeFileSync(join(dir, 'bad.yaml'), 'factors: [');
    const bad = cli(['probe', '--matrix', join(dir, 'bad.yaml'), '--', 'node']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/is not valid YAML/);
  });

  it('an agent that makes no request: the report is still written, then exit 2 with the reason', () => {
    const r = cli(['probe', '--matrix', matrix, '--', 'node', writeAgent('noRequest')]);
    expect(r.status).toBe(2);
    expect(r.stdout).toMatch(/^INCONCLUSIVE/);
    expect(r.stderr).toMatch(/probe inconclusive: .*the agent made no request/);
  });

  it('--format json follows the contract; --captures keeps every request; exit 1 on findings', () => {
    const captures = join(dir, 'captures');
    const r = cli(['probe', '--matrix', matrix, '--format', 'json', '--captures', captures, '--', 'node', writeAgent('tracker')]);
    expect(r.status, r.stderr).toBe(1);
    const doc = JSON.parse(r.stdout) as Record<string, unknown> & { differences: Array<Record<string, unknown>>; runs: Array<Record<string, unknown>>; matrix: Array<Record<string, unknown>> };
    expect(Object.keys(doc)).toEqual(expect.arrayContaining(['agent', 'matrix', 'runs', 'differences', 'isolation', 'summary']));
    expect(doc.matrix[0]).toMatchObject({ factor: 'tz', baseline: 'America/Los_Angeles', values: ['Asia/Shanghai'] });
    expect(doc.runs[0]).toMatchObject({ id: 'r000', label: 'baseline', exitCode: 0 });
    expect(doc.runs[0]!.env).toMatchObject({ ANTHROPIC_API_KEY: expect.stringMatching(/^<redacted/) });
    const d = doc.differences.find((x) => x.kind === 'confusable-swap')!;
    expect(d).toMatchObject({ factor: 'tz', value: 'Asia/Shanghai', baselineValue: 'America/Los_Angeles', field: '/system', request: { index: 0, endpoint: 'POST /v1/messages' } });
    expect(d.codePoints).toEqual(['U+0027', 'U+02BC']);
    expect(typeof d.baseline).toBe('string');
    expect(typeof d.variant).toBe('string');
    expect(readdirSync(captures).sort()).toEqual(['r000.json', 'r001.json', 'r002.json']);
    const none = cli(['probe', '--matrix', matrix, '--fail-on', 'none', '--quiet', '--', 'node', writeAgent('tracker')]);
    expect(none.status).toBe(0);
    expect(none.stdout.split('\n')[0]).toMatch(/^COVERT CHANNEL/);
  });
});
