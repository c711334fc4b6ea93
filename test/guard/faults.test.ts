/**
 * Bad input and faults on real sockets: each gets a clear answer and an audit record,
 * and the guard keeps serving afterwards.
 */
import http from 'node:http';
import net from 'node:net';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { join } from 'node:path';
import { startGuardWithUpstream, stopGuardWithUpstream } from './helpers/lifecycle.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeUpstream } from './helpers/fake-upstream.js';
import { eventually, type GuardProcess, routesYaml, runCli, startGuardProcess, tempDir } from './helpers/guard-process.js';
import { request } from './helpers/http.js';

const HEADERS = { 'content-type': 'application/json', 'x-api-key': 'k' };
const OK_BODY = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] });

let up: FakeUpstream;
let guard: GuardProcess;

beforeAll(async () => {
  ({ up, guard } = await startGuardWithUpstream(`
limits:
  maxBodyBytes: 65536
  upstreamTimeoutMs: 700
`));
});

afterAll(() => stopGuardWithUpstream({ up, guard }));

function recordOf(id: string | string[] | undefined) {
  return guard.records().find((r) => r.id === id);
}

async function stillServing(): Promise<void> {
  up.mode = 'ok';
  const r = await request(guard.url, { path: '/v1/messages', headers: HEADERS, body: OK_BODY });
  expect(r.status).toBe(200);
}

describe('bad requests', () => {
  it('rejects malformed JSON with a 400 that says why, and records it', async () => {
    const before = up.received.length;
    const r = await request(guard.url, { path: '/v1/messages', headers: HEADERS, body: '{"model": "m", "messages": [' });
    expect(r.status).toBe(400);
    const e = JSON.parse(r.body) as { error: { type: string; message: string } };
    expect(e.error.type).toBe('invalid_request_error');
    expect(e.error.message).toMatch(/^telltale: request body is not valid JSON/);
    expect(up.received.length).toBe(before);
    expect(recordOf(r.headers['x-telltale-request-id'])).toMatchObject({ status: 400, outcome: 'rejected', action: 'error' });
    await stillServing();
  });

  it('rejects invalid UTF-8', async () => {
    const body = Buffer.concat([Buffer.from('{"model":"m","messages":[{"role":"user","content":"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}]}')]);
    const r = await request(guard.url, { path: '/v1/messages', headers: HEADERS, body });
    expect(r.status).toBe(400);
    expect(r.body).toContain('not valid UTF-8');
    expect(recordOf(r.headers['x-telltale-request-id'])).toMatchObject({ outcome: 'rejected' });
    await stillServing();
  });

  it('rejects oversized bodies (declared and streamed) with 413', async () => {
    const big = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x'.repeat(70_000) }] });
    const r = await request(guard.url, { path: '/v1/messages', headers: HEADERS, body: big });
    expect(r.status).toBe(413);
    const e = JSON.parse(r.body) as { error: { type: string; message: string } };
    expect(e.error.type).toBe('request_too_large');
    expect(e.error.message).toContain('limits.maxBodyBytes');
    // Chunked, no content-length: the limit is enforced while reading.
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = http.request(`${guard.url}/v1/messages`, { method: 'POST', headers: { ...HEADERS, 'transfer-encoding': 'chunked' }, agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      for (let i = 0; i < 10; i++) req.write('x'.repeat(10_000));
      req.end();
    });
    expect(chunked).toBe(413);
    const recs = guard.records().filter((x) => x.status === 413);
    expect(recs.length).toBeGreaterThanOrEqual(2);
    await stillServing();
  });

  it('records a client that disconnects mid-stream and stops the upstream exchange', async () => {
    up.eventGapMs = 200;
    try {
      const id = await new Promise<string>((resolve, reject) => {
        const req = http.request(`${guard.url}/v1/messages`, { method: 'POST', headers: HEADERS, agent: false }, (res) => {
          res.once('data', () => {
            req.destroy();
            resolve(String(res.headers['x-telltale-request-id']));
          });
        });
        req.on('error', () => {});
        req.end(JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: 'hi' }] }));
        setTimeout(() => reject(new Error('no data')), 5_000);
      });
      const rec = await eventually(() => {
        const r = recordOf(id);
        return r && r.outcome !== 'pending' ? r : undefined;
      });
      expect(rec).toMatchObject({ outcome: 'client-aborted', status: 200 });
      expect(rec.bytesOut).toBeGreaterThan(0);
    } finally {
      up.eventGapMs = 0;
    }
    await stillServing();
  });

  it('answers a client that disconnects while sending the body, and records it', async () => {
    const before = guard.records().length;
    await new Promise<void>((resolve) => {
      const s = net.connect(guard.port, '127.0.0.1', () => {
        s.write('POST /v1/messages HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"model":');
        setTimeout(() => {
          s.destroy();
          resolve();
        }, 100);
      });
    });
    const rec = await eventually(() => guard.records().slice(before).find((r) => r.outcome === 'client-aborted'));
    expect(rec.error).toContain('while sending the body');
    await stillServing();
  });
});

describe('upstream faults', () => {
  it('upstream returns 500: passed through as is', async () => {
    up.mode = 'fail';
    const r = await request(guard.url, { path: '/v1/messages', headers: HEADERS, body: OK_BODY });
    expect(r.status).toBe(500);
    expect(r.body).toContain('fake upstream failure');
    expect(recordOf(r.headers['x-telltale-request-id'])).toMatchObject({ status: 500, outcome: 'completed' });
    await stillServing();
  });

  it('upstream resets the connection: 502 with the reason, recorded', async () => {
    up.mode = 'reset';
    const r = await request(guard.url, { path: '/v1/messages', headers: HEADERS, body: OK_BODY });
    expect(r.status).toBe(502);
    const e = JSON.parse(r.body) as { error: { type: string; message: string } };
    expect(e.error.type).toBe('api_error');
    expect(e.error.message).toMatch(/upstream 127\.0\.0\.1:\d+ failed: (ECONNRESET|socket hang up|other side closed)/);
    expect(recordOf(r.headers['x-telltale-request-id'])).toMatchObject({ status: 502, outcome: 'upstream-error' });
    await stillServing();
  });

  it('upstream resets mid-stream: the client connection is cut, the record says so', async () => {
    up.mode = 'reset-mid-stream';
    const result = await new Promise<{ id: string; error: boolean }>((resolve) => {
      const req = http.request(`${guard.url}/v1/messages`, { method: 'POST', headers: HEADERS, agent: false }, (res) => {
        const id = String(res.headers['x-telltale-request-id']);
        res.on('data', () => {});
        res.on('end', () => resolve({ id, error: false }));
        res.on('error', () => resolve({ id, error: true }));
        res.on('aborted', () => resolve({ id, error: true }));
      });
      req.on('error', () => {});
      req.end(JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: 'hi' }] }));
    });
    expect(result.error).toBe(true);
    const rec = await eventually(() => {
      const r = recordOf(result.id);
      return r && r.outcome !== 'pending' ? r : undefined;
    });
    expect(rec.outcome).toBe('upstream-error');
    await stillServing();
  });

  it('upstream too slow: 504 after limits.upstreamTimeoutMs', async () => {
    up.mode = 'hang';
    const t0 = Date.now();
    const r = await request(guard.url, { path: '/v1/messages', headers: HEADERS, body: OK_BODY });
    expect(r.status).toBe(504);
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(r.body).toContain('upstreamTimeoutMs');
    expect(recordOf(r.headers['x-telltale-request-id'])).toMatchObject({ status: 504, outcome: 'upstream-timeout' });
    await stillServing();
  });

  it('upstream down: 502, recorded', async () => {
    const down = await startGuardProcess(routesYaml('http://127.0.0.1:9'));
    try {
      const r = await request(down.url, { path: '/v1/messages', headers: HEADERS, body: OK_BODY });
      expect(r.status).toBe(502);
      expect(r.body).toContain('ECONNREFUSED');
      expect(down.records()[0]).toMatchObject({ status: 502, outcome: 'upstream-error' });
    } finally {
      await down.stop();
      down.cleanup();
    }
  });
});

describe('upstream TLS', () => {
  it('verifies the upstream certificate: a self-signed upstream gets 502 with the reason, recorded', async () => {
    const dir = tempDir();
    const gen = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { encoding: 'utf8', timeout: 20_000 });
    if (gen.status !== 0) {
      process.stderr.write(`skipping the TLS check: openssl failed: ${gen.stderr}\n`);
      return;
    }
    const tls = https.createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (_req, res) => res.end('{}'));
    await new Promise<void>((r) => tls.listen(0, '127.0.0.1', () => r()));
    const port = (tls.address() as net.AddressInfo).port;
    const g = await startGuardProcess(routesYaml(`https://127.0.0.1:${port}`));
    try {
      const r = await request(g.url, { path: '/v1/messages', headers: HEADERS, body: OK_BODY });
      expect(r.status).toBe(502);
      expect(r.body).toMatch(/SELF_SIGNED|CERT/);
      expect(g.records()[0]).toMatchObject({ status: 502, outcome: 'upstream-error' });
    } finally {
      await g.stop();
      g.cleanup();
      tls.close();
    }
  });
});

describe('config errors', () => {
  const cases: [string, string, RegExp][] = [
    ['unknown key', 'listen: 127.0.0.1:1\ninspect:\n  secretz: redact\n', /telltale\.yaml:3:3: inspect: unknown key 'secretz'/],
    ['bad enum', 'inspect:\n  hiddenChannels: scrub\n', /telltale\.yaml:2:19: inspect\.hiddenChannels .*"log"/],
    ['bad url', 'routes:\n  - prefix: /\n    upstream: ftp://x\n', /telltale\.yaml:3:15: routes\.0\.upstream must be an http\(s\) URL/],
    ['yaml syntax', 'routes: [\n  - a\n', /telltale\.yaml:\d+:\d+: /],
    ['bad listen', 'listen: localhost\n', /telltale\.yaml:1:9: listen must be HOST:PORT/],
  ];
  for (const [name, yaml, expected] of cases) {
    it(`${name}: one line with file:line:col, exit 2`, () => {
      const dir = tempDir();
      const file = join(dir, 'telltale.yaml');
      writeFileSync(file, yaml);
      const r = runCli(['guard', '--config', 'telltale.yaml'], { cwd: dir });
      expect(r.status).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(expected);
      expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
    });
  }

  it('missing config file: exit 2', () => {
    const r = runCli(['guard', '--config', '/nonexistent/telltale.yaml']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/cannot read config .*: no such file/);
  });
});
