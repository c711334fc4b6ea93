/**
 * `telltale run -- AGENT…` with a scripted agent: the base-URL and proxy variables it
 * gets, its requests recorded, the summary at exit, its exit code passed through, and
 * signals forwarded (nothing left running).
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from './helpers/fake-upstream.js';
import { CLI, killSpawned, NODE, requireBuild, runCliAsync, tempDir } from './helpers/guard-process.js';

let up: FakeUpstream;
let dir: string;

// The agent: reports its environment, calls the API through ANTHROPIC_BASE_URL, tries a
// CONNECT through HTTPS_PROXY to a host the policy refuses, then exits with code 7.
const AGENT = `
import http from 'node:http';
const env = Object.fromEntries(['ANTHROPIC_BASE_URL', 'OPENAI_BASE_URL', 'GOOGLE_GEMINI_BASE_URL', 'HTTPS_PROXY', 'HTTP_PROXY', 'NO_PROXY', 'NODE_USE_ENV_PROXY'].map((k) => [k, process.env[k]]));
console.log('ENV ' + JSON.stringify(env));
const r = await fetch(process.env.ANTHROPIC_BASE_URL + '/v1/messages', { method: 'POST', headers: { 'content-type': 'application/json', 'user-agent': 'scripted-agent/1.0' }, body: JSON.stringify({ model: 'claude-test', messages: [{ role: 'user', content: 'hi' }] }) });
console.log('STATUS ' + r.status + ' ' + (await r.text()).length);
const proxy = new URL(process.env.HTTPS_PROXY);
const status = await new Promise((resolve) => {
  const req = http.request({ host: proxy.hostname, port: proxy.port, method: 'CONNECT', path: 'telemetry.example.com:443' });
  req.on('connect', (res, socket) => { socket.destroy(); resolve(res.statusCode); });
  req.on('response', (res) => resolve(res.statusCode));
  req.on('error', (e) => resolve(e.code));
  req.end();
});
console.log('CONNECT ' + status);
process.exit(7);
`;

beforeAll(async () => {
  requireBuild();
  up = await startFakeUpstream();
  dir = tempDir('telltale-run-');
  writeFileSync(join(dir, 'agent.mjs'), AGENT);
  writeFileSync(join(dir, 'telltale.yaml'), `routes:\n  - prefix: /\n    upstream: ${up.url}\n    api: anthropic\n  - prefix: /openai\n    upstream: ${up.url}\n    api: openai\naudit:\n  store: sqlite:${join(dir, 'audit.db')}\n`);
});

afterEach(() => killSpawned());

afterAll(async () => {
  killSpawned();
  await up?.close();
});

describe('telltale run', () => {
  it('sets the variables, records the requests, prints a summary and passes the exit code through', async () => {
    const r = await runCliAsync(['run', '--config', 'telltale.yaml', '--', NODE, 'agent.mjs'], { cwd: dir, timeoutMs: 30_000 });
    expect(r.timedOut).toBe(false);
    expect(r.status).toBe(7);
    const env = JSON.parse(/ENV (.*)/.exec(r.stdout)![1]!) as Record<string, string>;
    expect(env.ANTHROPIC_BASE_URL).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(env.OPENAI_BASE_URL).toBe(`${env.ANTHROPIC_BASE_URL}/openai/v1`);
    expect(env.HTTPS_PROXY).toBe(env.ANTHROPIC_BASE_URL);
    expect(env.HTTP_PROXY).toBe(env.ANTHROPIC_BASE_URL);
    expect(env.NO_PROXY).toContain('127.0.0.1');
    expect(r.stdout).toMatch(/STATUS 200 \d+/);
    expect(r.stdout).toContain('CONNECT 403');
    expect(r.stderr).toMatch(/telltale run: 1 API request, 0 findings, 0 blocked/);
    expect(r.stderr).toMatch(/egress refused: telemetry\.example\.com:443 \(1\)/);
    expect(r.stderr).toContain('telltale audit list');

    const list = await runCliAsync(['audit', 'list', '--format', 'json', '--db', `sqlite:${join(dir, 'audit.db')}`]);
    const recs = JSON.parse(list.stdout) as { kind: string; agent: string; outcome: string }[];
    expect(recs.map((x) => x.kind).sort()).toEqual(['connect', 'request']);
    expect(recs.find((x) => x.kind === 'request')).toMatchObject({ agent: 'scripted-agent/1.0', outcome: 'completed' });
  });

  it('summary as JSON', async () => {
    const r = await runCliAsync(['run', '--config', 'telltale.yaml', '--summary', 'json', '--', NODE, 'agent.mjs'], { cwd: dir, timeoutMs: 30_000 });
    const summary = JSON.parse(r.stderr.trim().split('\n').pop()!) as Record<string, unknown>;
    expect(summary).toMatchObject({ requests: 1, blocked: 0, deniedHosts: { 'telemetry.example.com:443': 1 }, exitCode: 7 });
  });

  it('a command that does not exist: exit 2, one line', async () => {
    const r = await runCliAsync(['run', '--config', 'telltale.yaml', '--', 'no-such-agent-telltale'], { cwd: dir, timeoutMs: 30_000 });
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe("telltale: cannot run 'no-such-agent-telltale': no such command");
  });

  it('forwards SIGTERM to the agent and exits 128+15 with nothing left running', async () => {
    const proc = spawn(NODE, [CLI, 'run', '--config', 'telltale.yaml', '--summary', 'none', '--', NODE, '-e', 'console.log("ready"); setInterval(() => {}, 1000)'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('agent did not start')), 15_000);
        proc.stdout.on('data', (d: Buffer) => {
          if (d.toString().includes('ready')) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      const code = new Promise<number | null>((resolve) => proc.once('exit', (c) => resolve(c)));
      proc.kill('SIGTERM');
      expect(await code).toBe(143);
      // The whole group (telltale and the agent) is gone.
      await new Promise((r) => setTimeout(r, 200));
      expect(() => process.kill(-proc.pid!, 0)).toThrow();
    } finally {
      try {
        process.kill(-proc.pid!, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  });

  it('survives its output pipes closing (no busy loop on EPIPE) and still exits with the agent', async () => {
    const proc = spawn(NODE, [CLI, 'run', '--config', 'telltale.yaml', '--', NODE, '-e', 'setTimeout(() => process.exit(3), 1500)'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { ...process.env, TELLTALE_DEBUG: '1' } });
    try {
      const code = new Promise<number | null>((resolve) => proc.once('exit', (c) => resolve(c)));
      await new Promise((r) => setTimeout(r, 500));
      proc.stdout!.destroy();
      proc.stderr!.destroy();
      const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
      expect(await code).toBe(3);
      clearTimeout(timer);
    } finally {
      try {
        process.kill(-proc.pid!, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  });
});
