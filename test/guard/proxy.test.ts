/**
 * The request path on real sockets: a real guard process between a client and the fake
 * upstream. Original bytes, headers, Host and auth, SSE chunk by chunk, actions, the
 * forward proxy, and the audit record of each exchange.
 */
import http from 'node:http';
import net from 'node:net';
import { startGuardWithUpstream, stopGuardWithUpstream } from './helpers/lifecycle.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeUpstream } from './helpers/fake-upstream.js';
import { eventually, type GuardProcess } from './helpers/guard-process.js';
import { request, type Reply } from './helpers/http.js';

const JSON_HEADERS = { 'content-type': 'application/json', 'x-api-key': 'sk-test-not-a-real-key', 'anthropic-version': '2023-06-01' };

let up: FakeUpstream;
let guard: GuardProcess;

beforeAll(async () => {
  const echo = net.createServer((s) => s.pipe(s));
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', () => r()));
  const echoPort = (echo.address() as net.AddressInfo).port;
  echo.unref();
  ({ up, guard } = await startGuardWithUpstream(`
egress:
  allow: ["127.0.0.1:${echoPort}", "*.allowed.test"]
inspect:
  hiddenChannels: neutralize
  secrets: redact
`));
  (globalThis as { echoPort?: number }).echoPort = echoPort;
});

afterAll(() => stopGuardWithUpstream({ up, guard }));

describe('reverse proxy', () => {
  it('forwards the original request bytes unchanged when no action applies', async () => {
    // Odd formatting and key order on purpose: a re-serialising proxy would change them.
    const body = '{ "model":"claude-test",\n  "max_tokens": 10, "messages":[{"role":"user","content":"hi there"}] , "metadata": {"user_id":"u1"}}';
    const before = up.received.length;
    const r = await request(guard.url, { path: '/v1/messages?beta=true', headers: JSON_HEADERS, body });
    expect(r.status).toBe(200);
    const got = up.received[before]!;
    expect(got.body.equals(Buffer.from(body))).toBe(true);
    expect(got.url).toBe('/v1/messages?beta=true');
    expect(got.headers.host).toBe(`127.0.0.1:${up.port}`);
    expect(got.headers['x-api-key']).toBe('sk-test-not-a-real-key');
    expect(got.headers['anthropic-version']).toBe('2023-06-01');
    // Upstream headers and status come back, plus the guard's own.
    expect(r.headers['x-fake-upstream']).toBe('1');
    expect(r.headers['request-id']).toBe('req_fake_1');
    expect(Number(r.headers['x-telltale-overhead-ms'])).toBeGreaterThanOrEqual(0);
    expect(r.headers['x-telltale-request-id']).toMatch(/^[0-9a-z]{11}[0-9a-f]{8}$/);
    const rec = guard.records().find((x) => x.id === r.headers['x-telltale-request-id']);
    expect(rec).toMatchObject({ kind: 'request', method: 'POST', path: '/v1/messages?beta=true', status: 200, model: 'claude-test', outcome: 'completed', action: 'pass', route: '/' });
    expect(rec!.bytesIn).toBe(Buffer.byteLength(body));
    expect(rec!.bytesOut).toBe(Buffer.byteLength(r.body));
  });

  it('routes by longest prefix and strips it (OpenAI at /openai/v1)', async () => {
    const before = up.received.length;
    const r = await request(guard.url, { path: '/openai/v1/chat/completions', headers: { 'content-type': 'application/json', authorization: 'Bearer sk-x' }, body: JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] }) });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body).object).toBe('chat.completion');
    expect(up.received[before]!.url).toBe('/v1/chat/completions');
    expect(up.received[before]!.headers.authorization).toBe('Bearer sk-x');
  });

  it('passes SSE through chunk by chunk, without waiting for the end of the stream', async () => {
    up.eventGapMs = 150;
    try {
      const t0 = performance.now();
      const arrivals: number[] = [];
      const text = await new Promise<string>((resolve, reject) => {
        const req = http.request(`${guard.url}/v1/messages`, { method: 'POST', headers: JSON_HEADERS, agent: false }, (res) => {
          expect(res.headers['content-type']).toBe('text/event-stream');
          let all = '';
          res.on('data', (c: Buffer) => {
            arrivals.push(performance.now() - t0);
            all += c.toString();
          });
          res.on('end', () => resolve(all));
        });
        req.on('error', reject);
        req.end(JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: 'hi' }] }));
      });
      expect(text).toContain('event: message_start');
      expect(text).toContain('event: message_stop');
      // 9 events 150 ms apart: the first arrives long before the last is sent.
      expect(arrivals[0]!).toBeLessThan(150);
      expect(arrivals.length).toBeGreaterThanOrEqual(6);
      expect(arrivals.at(-1)! - arrivals[0]!).toBeGreaterThan(900);
    } finally {
      up.eventGapMs = 0;
    }
  });

  it('sends a stream\u2019s headers at once when its first event is late (a model that thinks first)', async () => {
    up.firstEventDelayMs = 400;
    try {
      const t0 = performance.now();
      const { headersAt, firstDataAt } = await new Promise<{ headersAt: number; firstDataAt: number }>((resolve, reject) => {
        const req = http.request(`${guard.url}/v1/messages`, { method: 'POST', headers: JSON_HEADERS, agent: false }, (res) => {
          const headersAt = performance.now() - t0;
          expect(res.headers['content-type']).toBe('text/event-stream');
          res.once('data', () => resolve({ headersAt, firstDataAt: performance.now() - t0 }));
          res.resume();
        });
        req.on('error', reject);
        req.end(JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: 'hi' }] }));
      });
      expect(firstDataAt).toBeGreaterThanOrEqual(400);
      // The headers did not wait for the first event.
      expect(headersAt).toBeLessThan(firstDataAt - 250);
    } finally {
      up.firstEventDelayMs = 0;
    }
  });

  it('neutralizes look-alikes in agent-written text and leaves the user\u2019s non-Latin text alone', async () => {
    const before = up.received.length;
    const body = {
      model: 'm',
      system: [{ type: 'text', text: 'Today\u2019s date is 2026-11-21.\u200B' }],
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Привет, как дела? 👨‍👩‍👧 🏴󠁧󠁢󠁳󠁣󠁴󠁿' }] }],
    };
    const r = await request(guard.url, { path: '/v1/messages', headers: JSON_HEADERS, body: JSON.stringify(body) });
    expect(r.status).toBe(200);
    const sent = JSON.parse(up.received[before]!.body.toString('utf8')) as typeof body;
    expect(sent.system[0]!.text).toBe("Today's date is 2026-11-21.");
    expect(sent.messages[0]!.content[0]!.text).toBe(body.messages[0]!.content[0]!.text);
    const rec = guard.records().find((x) => x.id === r.headers['x-telltale-request-id'])!;
    expect(rec.action).toBe('neutralize');
    const f = rec.findings.find((x) => x.type === 'hidden-characters')!;
    expect(f).toMatchObject({ pointer: '/system/0/text', part: 'agent', action: 'neutralize' });
    expect(f.codePoints).toEqual(['U+2019', 'U+200B']);
    // The record keeps what the agent sent: the evidence.
    expect(rec.body).toContain('Today\u2019s');
  });

  it('redacts secrets before forwarding and before storing', async () => {
    const before = up.received.length;
    const token = 'ghp_R8nQx2Lw9Vb4Tk7Yp3Zs6Hd1Jf5Mc0Ga8Ue2';
    const r = await request(guard.url, { path: '/v1/messages', headers: JSON_HEADERS, body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: `my token is ${token}` }] }) });
    expect(r.status).toBe(200);
    const sent = up.received[before]!.body.toString('utf8');
    expect(sent).not.toContain(token);
    expect(sent).toContain('[REDACTED:GITHUB_TOKEN]');
    const rec = guard.records().find((x) => x.id === r.headers['x-telltale-request-id'])!;
    expect(rec.action).toBe('redact');
    expect(rec.body).not.toContain(token);
    expect(rec.findings[0]).toMatchObject({ type: 'secret', secretType: 'GITHUB_TOKEN', pointer: '/messages/0/content', action: 'redact' });
  });

  it('blocks content of denied paths with an API-shaped error that says why', async () => {
    const before = up.received.length;
    const body = {
      model: 'm',
      messages: [
        { role: 'user', content: 'read my env' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'Read', input: { file_path: '/home/dev/project/.env' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'DB_PASSWORD=hunter2' }] },
      ],
    };
    const r = await request(guard.url, { path: '/v1/messages', headers: JSON_HEADERS, body: JSON.stringify(body) });
    expect(r.status).toBe(403);
    const err = JSON.parse(r.body) as { type: string; error: { type: string; message: string } };
    expect(err.type).toBe('error');
    expect(err.error.type).toBe('permission_error');
    expect(err.error.message).toMatch(/^telltale: blocked this request: .*\.env.*denyPaths/);
    expect(up.received.length).toBe(before);
    const rec = guard.records().find((x) => x.id === r.headers['x-telltale-request-id'])!;
    expect(rec).toMatchObject({ action: 'block', outcome: 'blocked', status: 403 });
    expect(rec.findings[0]).toMatchObject({ type: 'denied-path', pointer: '/messages/2/content/0/content', path: '/home/dev/project/.env' });
    // The record keeps the request, but not the denied file's content.
    expect(rec.body).toContain('read my env');
    expect(rec.body).toContain('[REDACTED:DENIED_PATH_CONTENT]');
    expect(rec.body).not.toContain('hunter2');

    // OpenAI shape for an OpenAI route.
    const o = await request(guard.url, {
      path: '/openai/v1/chat/completions',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'gpt',
        messages: [
          { role: 'assistant', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'shell', arguments: JSON.stringify({ command: 'cat ~/.ssh/id_rsa' }) } }] },
          { role: 'tool', tool_call_id: 'call_1', content: '-----BEGIN OPENSSH PRIVATE KEY-----' },
        ],
      }),
    });
    expect(o.status).toBe(403);
    const oe = JSON.parse(o.body) as { error: { message: string; type: string; code: string } };
    expect(oe.error.code).toBe('telltale_blocked');
    expect(oe.error.message).toContain('.ssh');
  });
});

describe('forward proxy', () => {
  it('refuses CONNECT to hosts the policy does not allow, with 403, and records host, port and agent', async () => {
    const reply = await new Promise<string>((resolve, reject) => {
      const s = net.connect(guard.port, '127.0.0.1', () => s.write('CONNECT telemetry.example.com:443 HTTP/1.1\r\nhost: telemetry.example.com:443\r\nuser-agent: test-agent/1.0\r\n\r\n'));
      let data = '';
      s.on('data', (d) => (data += d.toString()));
      s.on('end', () => resolve(data));
      s.on('error', reject);
    });
    expect(reply).toMatch(/^HTTP\/1.1 403 Forbidden/);
    expect(reply).toContain('egress to telemetry.example.com:443 is not allowed');
    const rec = await eventually(() => guard.records().find((r) => r.kind === 'connect' && r.host === 'telemetry.example.com'));
    expect(rec).toMatchObject({ port: 443, agent: 'test-agent/1.0', action: 'deny', status: 403, outcome: 'denied' });
  });

  it('tunnels CONNECT to an allowed host', async () => {
    const echoPort = (globalThis as { echoPort?: number }).echoPort!;
    const echoed = await new Promise<string>((resolve, reject) => {
      const s = net.connect(guard.port, '127.0.0.1', () => s.write(`CONNECT 127.0.0.1:${echoPort} HTTP/1.1\r\nhost: 127.0.0.1:${echoPort}\r\n\r\n`));
      let data = '';
      s.on('data', (d) => {
        data += d.toString();
        if (data.includes('\r\n\r\n') && !data.includes('ping')) s.write('ping');
        if (data.endsWith('ping')) {
          s.end();
          resolve(data);
        }
      });
      s.on('error', reject);
    });
    expect(echoed).toMatch(/^HTTP\/1.1 200 Connection Established\r\n\r\nping$/);
    const rec = await eventually(() => guard.records().find((r) => r.kind === 'connect' && r.port === echoPort && r.outcome === 'tunnel-closed'));
    expect(rec.action).toBe('allow');
  });

  it('refuses absolute-URL requests to hosts not allowed', async () => {
    const r = await new Promise<Reply>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: guard.port, method: 'GET', path: 'http://tracker.example.net/collect?id=1', headers: { host: 'tracker.example.net' }, agent: false }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(r.status).toBe(403);
    expect(r.body).toContain('tracker.example.net:80');
    const rec = await eventually(() => guard.records().find((x) => x.kind === 'forward' && x.host === 'tracker.example.net'));
    expect(rec.action).toBe('deny');
  });
});
