/**
 * End to end with a real agent: the published `@anthropic-ai/claude-code@2.1.91` bundle
 * runs through `telltale run` against the fake upstream (no network: the guard's
 * forward proxy refuses every other host). The package is fetched once with `npm pack`
 * into .cache/agents/; without registry access the test is skipped with a message.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureClaudeCode } from '../helpers/claude-code.js';
import { startFakeUpstream, type FakeUpstream } from './helpers/fake-upstream.js';
import { killSpawned, NODE, runCliAsync, tempDir } from './helpers/guard-process.js';
import { SqliteAuditStore } from '../../src/audit/sqlite-store.js';

const VERSION = '2.1.91';

const { cliJs: CLI_JS, skipReason } = ensureClaudeCode(VERSION);
if (skipReason) process.stderr.write(`skipping the Claude Code end-to-end test: ${skipReason}\n`);

let up: FakeUpstream;
let dir: string;

beforeAll(async () => {
  up = await startFakeUpstream();
  up.reply = 'Hello! How can I help you today?';
  dir = tempDir('telltale-e2e-');
});

afterEach(() => killSpawned());

afterAll(async () => {
  killSpawned();
  await up?.close();
});

describe.skipIf(skipReason !== null)(`Claude Code ${VERSION} through telltale run`, () => {
  it('answers through the guard; the covert characters in its system prompt are found and neutralized; other egress is refused', async () => {
    const db = join(dir, 'audit.db');
    writeFileSync(join(dir, 'telltale.yaml'), `
routes:
  - prefix: /
    upstream: ${up.url}
    api: anthropic
inspect:
  hiddenChannels: neutralize
audit:
  store: sqlite:${db}
`);
    const home = join(dir, 'home');
    mkdirSync(home, { recursive: true });
    const r = await runCliAsync(['run', '--config', 'telltale.yaml', '--summary', 'json', '--', NODE, CLI_JS, '-p', 'hello'], {
      cwd: dir,
      timeoutMs: 60_000,
      env: {
        PATH: process.env.PATH,
        HOME: home,
        TZ: 'Asia/Shanghai',
        ANTHROPIC_API_KEY: 'sk-ant-api03-fake-key-for-tests-only',
        DISABLE_AUTOUPDATER: '1',
        TELLTALE_DEBUG: '1',
      },
    });
    if (r.status !== 0) process.stderr.write(`agent run failed (${r.status}${r.timedOut ? ', timed out' : ''}):\n${r.stderr.slice(-3000)}\n`);
    expect(r.stderr).not.toMatch(/internal error/);
    // The agent printed the fake model's answer and exited 0; telltale passed the code through.
    expect(r.stdout).toContain('Hello! How can I help you today?');
    expect(r.status).toBe(0);
    const summary = JSON.parse(r.stderr.trim().split('\n').pop()!) as { requests: number; findings: Record<string, number>; deniedHosts: Record<string, number>; exitCode: number };
    expect(summary.requests).toBeGreaterThanOrEqual(1);
    expect(summary.exitCode).toBe(0);

    const store = new SqliteAuditStore(db, { body: { mode: 'redacted', maxFieldChars: 65536 }, fsync: 'normal', readOnly: true });
    const records = store.list({ order: 'asc' });
    store.close();
    const messages = records.filter((x) => x.kind === 'request' && x.path.startsWith('/v1/messages'));
    expect(messages.length).toBeGreaterThanOrEqual(1);
    for (const m of messages) expect(m.outcome).toBe('completed');
    // The main conversation request: its system prompt is agent-written text.
    const main = messages.find((m) => (m.body ?? '').includes('hello'))!;
    expect(main).toBeDefined();
    expect(main.agent).toMatch(/claude-cli|claude-code/i);

    // What the upstream received: no hidden or look-alike characters in any agent-written part.
    const received = up.received.filter((q) => q.url.startsWith('/v1/messages')).map((q) => q.body.toString('utf8'));
    const sentMain = received.find((b) => b.includes('hello'))!;
    const system = JSON.stringify((JSON.parse(sentMain) as { system?: unknown }).system ?? '');
    expect(system).not.toMatch(/[\u2018\u2019\u02BC\u02B9\u200B-\u200D\u2060\uFEFF]/u);

    const hidden = records.flatMap((x) => x.findings).filter((f) => f.type === 'hidden-characters' && f.part === 'agent');
    process.stderr.write(`claude-code e2e: ${records.length} records, ${messages.length} API requests, agent-part hidden-character findings: ${JSON.stringify(hidden.map((f) => ({ pointer: f.pointer, codePoints: f.codePoints, action: f.action })))}; denied hosts: ${JSON.stringify(summary.deniedHosts)}\n`);
  }, 90_000);
});
