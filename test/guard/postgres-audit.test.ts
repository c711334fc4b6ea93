/**
 * A real guard process writing its audit log to PostgreSQL (`audit.store: postgres://…`),
 * over real sockets on 127.0.0.1: records and redacted bodies read back with `telltale
 * audit`, the durability guarantee under SIGKILL, an unreachable server refused at start,
 * and the URL's password shown nowhere. Skipped, with the reason, without a server
 * (test/helpers/postgres.ts).
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from './helpers/fake-upstream.js';
import { killSpawned, runCliAsync, startGuardProcess, tempDir, type GuardProcess } from './helpers/guard-process.js';
import { request } from './helpers/http.js';
import { killUnderLoad } from './helpers/kill-under-load.js';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.js';

const server = await startTestPostgres();
const skip = 'skip' in server ? server.skip : undefined;
if (skip) process.stderr.write(`postgres-audit.test.ts: skipped: ${skip}\n`);
const pgServer = skip ? undefined : (server as TestPostgres);

/** The test server trusts local connections: the password is accepted and ignored, so it can be a canary. */
const CANARY_PASSWORD = 'pw-canary-5d1f0c';
const withPassword = (url: string) => {
  const u = new URL(url);
  u.password = CANARY_PASSWORD;
  return u.toString();
};
const config = (upstream: string, store: string) => `
routes:
  - prefix: /
    upstream: ${upstream}
    api: anthropic
audit:
  store: ${store}
`;
const HEADERS = { 'content-type': 'application/json', 'x-api-key': 'sk-test-not-a-real-key', 'anthropic-version': '2023-06-01', 'user-agent': 'fleet-test-agent/1.0' };
// Test data: a GitHub-token-shaped canary that must be redacted before it is stored.
const TOKEN = 'ghp_R8nQx2Lw9Vb4Tk7Yp3Zs6Hd1Jf5Mc0Ga8Ue2';

describe.skipIf(skip !== undefined)('guard with a PostgreSQL audit store', () => {
  let up: FakeUpstream;
  let guard: GuardProcess | undefined;
  let url: string;

  beforeAll(async () => {
    up = await startFakeUpstream();
    url = withPassword(await pgServer!.newDatabase());
  });
  afterAll(async () => {
    await guard?.stop();
    killSpawned();
    guard?.cleanup();
    await up?.close();
    await pgServer?.stop();
  });

  it('records every request, with its body redacted, and `telltale audit` reads them back', async () => {
    guard = await startGuardProcess(config(up.url, url));
    const history = Array.from({ length: 6 }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', content: `fleet turn ${i} ${'of a conversation the agent resends '.repeat(6)}` }));
    const ids: string[] = [];
    for (let n = 1; n <= 5; n++) {
      const messages = [...history.slice(0, n), { role: 'user', content: n === 3 ? `use ${TOKEN} to push` : `turn ${n}` }];
      const r = await request(guard.url, { path: '/v1/messages', headers: HEADERS, body: JSON.stringify({ model: 'claude-test', messages }) });
      expect(r.status).toBe(200);
      ids.push(r.headers['x-telltale-request-id'] as string);
    }
    const list = await runCliAsync(['audit', 'list', '--db', url, '--format', 'json', '--agent', 'fleet-test']);
    expect(list.status).toBe(0);
    const records = JSON.parse(list.stdout) as { id: string; outcome: string; status: number; model: string; findings: { type: string }[] }[];
    expect(new Set(records.map((r) => r.id))).toEqual(new Set(ids));
    for (const r of records) expect(r).toMatchObject({ outcome: 'completed', status: 200, model: 'claude-test' });
    expect(records.find((r) => r.id === ids[2])!.findings.map((f) => f.type)).toEqual(['secret']);
    const show = await runCliAsync(['audit', 'show', ids[2]!, '--db', url, '--format', 'json']);
    expect(show.status).toBe(0);
    const body = JSON.parse((JSON.parse(show.stdout) as { body: string }).body) as { messages: { content: string }[] };
    expect(body.messages.at(-1)!.content).toBe('use [REDACTED:GITHUB_TOKEN] to push');
    expect(body.messages[0]!.content).toBe(history[0]!.content);
    const exported = await runCliAsync(['audit', 'export', '--db', url, '--format', 'otlp']);
    expect(exported.status).toBe(0);
    for (const out of [guard.stdout(), guard.stderr(), list.stdout, list.stderr, show.stdout, exported.stdout]) {
      expect(out).not.toContain(CANARY_PASSWORD);
      expect(out).not.toContain(TOKEN);
    }
    expect(guard.stderr()).toMatch(/audit postgres:\/\/telltale:\*\*\*@127\.0\.0\.1/);
    await guard.stop();
    guard.cleanup();
    guard = undefined;
  });

  it('every response a client saw complete survives SIGKILL of the guard', async () => {
    const db = withPassword(await pgServer!.newDatabase());
    up.eventGapMs = 1;
    // Each commit waits 15 ms first: a response that ended before its commit would be lost.
    guard = await startGuardProcess(config(up.url, db), ['--quiet'], { TELLTALE_TEST_AUDIT_DELAY_MS: '15' });
    const outcomes = await killUnderLoad(guard, { clients: 12, completed: 150, headers: HEADERS });
    const completed = outcomes.filter((o) => o.ended && o.id);
    expect(completed.length).toBeGreaterThanOrEqual(100);
    const list = await runCliAsync(['audit', 'list', '--db', db, '--format', 'json', '--limit', '100000']);
    expect(list.status).toBe(0);
    const records = new Map((JSON.parse(list.stdout) as { id: string; outcome: string; status: number }[]).map((r) => [r.id, r]));
    expect(completed.filter((o) => records.get(o.id!)?.outcome !== 'completed').map((o) => o.id)).toEqual([]);
    for (const o of completed) expect(records.get(o.id!)!.status).toBe(200);
    guard.cleanup();
    guard = undefined;
    up.eventGapMs = 0;
  }, 30_000);

  it('refuses to start when the store cannot be reached, saying so without the password', async () => {
    const closed = new URL(url);
    closed.port = '1';
    const dir = tempDir();
    const path = join(dir, 'telltale.yaml');
    writeFileSync(path, config(up.url, closed.toString()));
    try {
      const r = await runCliAsync(['guard', '--listen', '127.0.0.1:0', '--config', path], { timeoutMs: 30_000 });
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/audit\.store: cannot connect to postgres:\/\/telltale:\*\*\*@127\.0\.0\.1:1\//);
      expect(r.stderr + r.stdout).not.toContain(CANARY_PASSWORD);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
