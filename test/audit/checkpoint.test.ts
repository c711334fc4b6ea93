/**
 * WAL checkpoints run on their own thread (src/audit/checkpoint-worker.ts), never on the
 * writer connection: while the guard runs, the audit data reaches the database file
 * although it is far below SQLite's automatic checkpoint threshold (1000 pages), and the
 * log is complete and readable afterwards.
 */
import { statSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startGuardWithUpstream, stopGuardWithUpstream } from '../guard/helpers/lifecycle.js';
import type { FakeUpstream } from '../guard/helpers/fake-upstream.js';
import type { GuardProcess } from '../guard/helpers/guard-process.js';
import { request } from '../guard/helpers/http.js';

let up: FakeUpstream;
let guard: GuardProcess;

beforeAll(async () => {
  ({ up, guard } = await startGuardWithUpstream('', ['--quiet']));
});
afterAll(() => stopGuardWithUpstream({ up, guard }));

const size = (path: string) => {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
};

it('checkpoints the WAL from its own thread while the guard runs', async () => {
  const before = size(guard.dbPath);
  // ~1.2 MB of distinct bodies: about 300 pages, well under the automatic threshold.
  for (let i = 0; i < 60; i++) {
    const body = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: `request ${i} ${'lorem ipsum '.repeat(1700)}` }] });
    const r = await request(guard.url, { method: 'POST', path: '/v1/messages', headers: { 'content-type': 'application/json' }, body });
    expect(r.status).toBe(200);
  }
  const deadline = Date.now() + 5_000;
  while (size(guard.dbPath) < before + 500_000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  expect(size(guard.dbPath)).toBeGreaterThan(before + 500_000);
  expect(guard.records().filter((r) => r.outcome === 'completed')).toHaveLength(60);
});
