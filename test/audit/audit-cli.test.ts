/**
 * `telltale audit list|show|export` over a log a real guard wrote, and the canary test:
 * secrets planted in every place a request can carry them must not appear in any
 * output — the store's files, the guard's stdout/stderr, `audit` output, JSONL and OTLP.
 */
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { startGuardWithUpstream, stopGuardWithUpstream } from '../guard/helpers/lifecycle.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeUpstream } from '../guard/helpers/fake-upstream.js';
import { type GuardProcess, runCliAsync } from '../guard/helpers/guard-process.js';
import { request } from '../guard/helpers/http.js';

const CANARIES = {
  github: 'ghp_Q7vT2mXk9LpR4sWz8YbN3cHd6FjA1eGu5Ki0',
  slack: 'xoxb-2847561930-4827461937265-Ab3dE6gH9jK2mN5pQ8sT1vW4',
  anthropic: 'sk-ant-api03-Zq8Wv3Xr7Ty2Ub6Nc1Md5Le9Kf4Jg0Hh3Ai7Bj2Ck6Dl1Em5Fn9Go4Hp8Iq3Jr7Ks2Lt6Mu1Nv5Ow9Px4Qy8Rz3Sa7Tb-AbCdEfAA',
  npm: 'npm_Ab3dE6gH9jK2mN5pQ8sT1vW4xY7zA0cF3hJ6',
};
const CLAUDE_UA = 'claude-cli/2.1.91 (external, cli)';
const CODEX_UA = 'codex_cli_rs/0.30.0';

let up: FakeUpstream;
let guard: GuardProcess;
const ids: Record<string, string> = {};
let startedAt = 0;

async function cli(...args: string[]) {
  const r = await runCliAsync(['audit', ...args, '--db', `sqlite:${guard.dbPath}`], { timeoutMs: 30_000 });
  return r;
}

beforeAll(async () => {
  startedAt = Date.now();
  // audit.bodies is the default: redacted.
  ({ up, guard } = await startGuardWithUpstream('inspect:\n  hiddenChannels: neutralize\n  secrets: redact\n'));
  const anthropic = { 'content-type': 'application/json', 'user-agent': CLAUDE_UA, 'x-api-key': CANARIES.anthropic };
  const send = async (name: string, path: string, body: string, headers: Record<string, string> = anthropic) => {
    const r = await request(guard.url, { path, headers, body });
    ids[name] = r.headers['x-telltale-request-id'] as string;
    return r;
  };
  await send('plain', '/v1/messages', JSON.stringify({ model: 'claude-test', messages: [{ role: 'user', content: 'hello' }] }));
  await send('secrets', '/v1/messages', JSON.stringify({
    model: 'claude-test',
    system: `Deploy with ${CANARIES.slack}`,
    messages: [
      { role: 'user', content: `my token is ${CANARIES.github}` },
      { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'Read', input: { file_path: 'notes.txt' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: `//registry.npmjs.org/:_authToken=${CANARIES.npm}` }] },
    ],
  }));
  await send('hidden', '/v1/messages', JSON.stringify({ model: 'claude-test', system: 'Today\u2019s date\u200B', messages: [{ role: 'user', content: 'hi' }] }));
  await send('blocked', '/v1/messages', JSON.stringify({
    model: 'claude-test',
    messages: [
      { role: 'assistant', content: [{ type: 'tool_use', id: 't2', name: 'Read', input: { file_path: '/home/u/.env' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't2', content: `GITHUB_TOKEN=${CANARIES.github}` }] },
    ],
  }));
  await send('codex', '/openai/v1/chat/completions', JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: `use ${CANARIES.npm}` }] }), { 'content-type': 'application/json', 'user-agent': CODEX_UA, authorization: `Bearer ${CANARIES.anthropic}` });
  await send('query', `/v1/messages?key=${CANARIES.anthropic}&beta=true`, JSON.stringify({ model: 'claude-test', messages: [{ role: 'user', content: 'q' }] }));
  await send('segment', `/v1/files/${CANARIES.github}`, '{}');
  await send('malformed', '/v1/messages', `{"model": "x", "messages": [${CANARIES.slack}`);
  // A refused CONNECT.
  await new Promise<void>((resolve) => {
    const s = net.connect(guard.port, '127.0.0.1', () => s.write(`CONNECT telemetry.example.com:443 HTTP/1.1\r\nHost: telemetry.example.com:443\r\nUser-Agent: ${CLAUDE_UA}\r\n\r\n`));
    s.on('data', () => s.end());
    s.on('close', () => resolve());
  });
  await guard.stop();
}, 60_000);

afterAll(() => stopGuardWithUpstream({ up, guard }));

describe('audit list', () => {
  it('lists every record, newest first, one line each', async () => {
    const r = await cli('list');
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(9);
    expect(lines[0]).toMatch(/connect .*403 .*deny/);
    expect(r.stdout).toContain(ids.plain);
  });

  it('filters by finding, action, agent, kind and time', async () => {
    const json = async (...args: string[]) => {
      const r = await cli('list', '--format', 'json', ...args);
      expect(r.status).toBe(0);
      return JSON.parse(r.stdout) as { id: string; action: string; agent: string; kind: string; findings: { type: string }[] }[];
    };
    const secret = await json('--finding', 'secret');
    expect(secret.map((x) => x.id).sort()).toEqual([ids.secrets, ids.blocked, ids.codex].sort());
    expect((await json('--action', 'block')).map((x) => x.id)).toEqual([ids.blocked]);
    expect((await json('--action', 'neutralize')).map((x) => x.id)).toEqual([ids.hidden]);
    expect((await json('--agent', 'codex')).map((x) => x.id)).toEqual([ids.codex]);
    expect((await json('--kind', 'connect'))[0]).toMatchObject({ kind: 'connect', action: 'deny', agent: CLAUDE_UA });
    expect(await json('--since', '1h')).toHaveLength(9);
    expect(await json('--until', new Date(startedAt - 60_000).toISOString())).toHaveLength(0);
    expect(await json('--finding', 'hidden-characters', '--limit', '1')).toHaveLength(1);
  });

  it('rejects bad filters with exit 2 and one line', async () => {
    const r = await cli('list', '--since', 'yesterday-ish');
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--since must be an ISO time/);
    const missing = await runCliAsync(['audit', 'list', '--db', 'sqlite:/nonexistent/audit.db']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/no audit log at/);
  });
});

describe('audit show', () => {
  it('shows one record with findings (code points, pointers) and its redacted body', async () => {
    const r = await cli('show', ids.hidden!);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`id:        ${ids.hidden}`);
    expect(r.stdout).toMatch(/\[hidden-characters\] neutralize at \/system \(agent\)/);
    expect(r.stdout).toContain('code points: U+2019 U+200B');
    const j = await cli('show', ids.secrets!, '--format', 'json');
    const rec = JSON.parse(j.stdout) as { body: string; findings: { secretType: string }[]; agent: string; model: string; status: number };
    expect(rec).toMatchObject({ agent: CLAUDE_UA, model: 'claude-test', status: 200 });
    expect(rec.body).toContain('[REDACTED:GITHUB_TOKEN]');
    expect(rec.findings.map((f) => f.secretType).sort()).toEqual(['GITHUB_TOKEN', 'NPM_ACCESS_TOKEN', 'SLACK_TOKEN']);
  });

  it('unknown id: exit 2', async () => {
    const r = await cli('show', 'nope');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/no audit record 'nope'/);
  });
});

describe('audit export', () => {
  it('jsonl: one record per line, oldest first', async () => {
    const r = await cli('export', '--format', 'jsonl', '--with-bodies');
    expect(r.status).toBe(0);
    const recs = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { id: string; timeMs: number });
    expect(recs).toHaveLength(9);
    expect(recs[0]!.id).toBe(ids.plain);
  });

  it('otlp: an ExportLogsServiceRequest in OTLP/JSON', async () => {
    const r = await cli('export', '--format', 'otlp', '--action', 'block');
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout) as {
      resourceLogs: { resource: { attributes: { key: string; value: { stringValue?: string } }[] }; scopeLogs: { scope: { name: string }; logRecords: { timeUnixNano: string; severityNumber: number; severityText: string; body: { stringValue: string }; attributes: { key: string; value: Record<string, unknown> }[] }[] }[] }[];
    };
    const rl = doc.resourceLogs[0]!;
    expect(rl.resource.attributes).toContainEqual({ key: 'service.name', value: { stringValue: 'telltale' } });
    const records = rl.scopeLogs[0]!.logRecords;
    expect(records).toHaveLength(1);
    const lr = records[0]!;
    expect(lr.timeUnixNano).toMatch(/^\d{19}$/);
    expect(lr.severityNumber).toBe(13);
    expect(lr.severityText).toBe('WARN');
    expect(lr.body.stringValue).toMatch(/POST \/v1\/messages → 403 blocked/);
    const attrs = Object.fromEntries(lr.attributes.map((a) => [a.key, a.value]));
    expect(attrs['telltale.record.id']).toEqual({ stringValue: ids.blocked });
    expect(attrs['http.response.status_code']).toEqual({ intValue: '403' });
    expect(attrs['user_agent.original']).toEqual({ stringValue: CLAUDE_UA });
    expect(attrs['gen_ai.request.model']).toEqual({ stringValue: 'claude-test' });
  });
});

describe('canary secrets', () => {
  it('appear in no output: store files, guard stdout/stderr, audit list/show/export (JSONL, OTLP)', async () => {
    const outputs: [string, string][] = [];
    for (const f of readdirSync(guard.dir).filter((f) => f.startsWith('audit.db'))) outputs.push([`store ${f}`, readFileSync(join(guard.dir, f)).toString('latin1')]);
    outputs.push(['guard stdout', guard.stdout()], ['guard stderr', guard.stderr()]);
    for (const args of [['list'], ['list', '--format', 'json'], ['export', '--format', 'jsonl', '--with-bodies'], ['export', '--format', 'otlp']]) {
      const r = await cli(...args);
      outputs.push([`audit ${args.join(' ')}`, r.stdout + r.stderr]);
    }
    for (const id of Object.values(ids)) {
      const r = await cli('show', id, '--format', 'json');
      outputs.push([`audit show ${id}`, r.stdout + r.stderr]);
    }
    // The guard's log lines were written (not --quiet), and the store is not empty.
    expect(guard.stderr()).toMatch(/403 denied/);
    expect(outputs.find(([n]) => n === 'store audit.db')![1].length).toBeGreaterThan(4096);
    const leaks = outputs.flatMap(([name, text]) => Object.entries(CANARIES).filter(([, v]) => text.includes(v)).map(([k]) => `${k} in ${name}`));
    expect(leaks).toEqual([]);
    // The redacted forms are there instead.
    const show = await cli('show', ids.query!, '--format', 'json');
    expect((JSON.parse(show.stdout) as { path: string }).path).toBe('/v1/messages?key=[REDACTED]&beta=true');
    const seg = await cli('show', ids.segment!, '--format', 'json');
    expect((JSON.parse(seg.stdout) as { path: string }).path).toBe('/v1/files/[REDACTED:GITHUB_TOKEN]');
  });
});
