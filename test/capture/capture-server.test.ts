/**
 * The capture server over real sockets: answers like the Anthropic and OpenAI
 * APIs (JSON and SSE), records everything (unknown endpoints, absolute-URL proxy
 * requests, CONNECT), speaks TLS with the throwaway CA, and picks another port
 * when the one asked for is taken.
 */
import { request as httpRequest } from 'node:http';
import { connect as netConnect, createServer } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyEndpoint, createTlsAuthority, startCaptureServer, type CaptureServer } from '../../src/capture/index.js';

let server: CaptureServer;
const authority = createTlsAuthority();

beforeAll(async () => {
  server = await startCaptureServer({ tls: authority, connect: 'refuse' });
});
afterAll(async () => {
  await server.close();
});

const post = (path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> =>
  fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

/** Parses an SSE body into [event, data] pairs. */
function events(text: string): Array<[string | null, string]> {
  return text
    .split('\n\n')
    .filter(Boolean)
    .map((block) => {
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? null;
      const data = /^data: (.*)$/m.exec(block)?.[1] ?? '';
      return [event, data];
    });
}

describe('capture server: API emulation', () => {
  it('Anthropic Messages, JSON', async () => {
    const res = await post('/v1/messages', { model: 'claude-x', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }, { 'x-api-key': 'sk-ant-secret-value' });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { type: string; content: Array<{ text: string }>; stop_reason: string; usage: { input_tokens: number } };
    expect(body).toMatchObject({ type: 'message', stop_reason: 'end_turn' });
    expect(body.content[0]!.text).toMatch(/capture server/);
    const rec = server.requests.at(-1)!;
    expect(rec).toMatchObject({ method: 'POST', path: '/v1/messages', endpoint: 'anthropic.messages', arrival: 'direct', stream: false });
    expect(rec.headers['x-api-key']).toBe('<redacted 19 chars>');
    expect(rec.json).toMatchObject({ model: 'claude-x' });
  });

  it('Anthropic Messages, SSE with the real event sequence; a forced tool gets a tool_use block', async () => {
    const res = await post('/anthropic/v1/messages?beta=true', { model: 'claude-x', stream: true, messages: [] });
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const ev = events(await res.text()).map(([e]) => e);
    expect(ev).toEqual(['message_start', 'content_block_start', 'ping', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop']);
    const tool = await post('/v1/messages', { model: 'claude-x', tool_choice: { type: 'tool', name: 'pick' }, messages: [] });
    expect(((await tool.json()) as { content: Array<{ type: string; name: string }> }).content[0]).toMatchObject({ type: 'tool_use', name: 'pick' });
  });

  it('count_tokens and models', async () => {
    const count = (await (await post('/v1/messages/count_tokens', { messages: [{ role: 'user', content: 'hello there' }] })).json()) as { input_tokens: number };
    expect(count.input_tokens).toBeGreaterThan(0);
    const models = (await (await fetch(`${server.url}/v1/models`)).json()) as { data: Array<{ id: string }> };
    expect(models.data.length).toBeGreaterThan(0);
  });

  it('OpenAI chat completions: JSON, and SSE ending in [DONE] with usage when asked', async () => {
    const json = (await (await post('/v1/chat/completions', { model: 'gpt-4o', messages: [] })).json()) as { object: string; choices: Array<{ message: { content: string } }> };
    expect(json.object).toBe('chat.completion');
    const sse = events(await (await post('/v1/chat/completions', { model: 'gpt-4o', stream: true, stream_options: { include_usage: true }, messages: [] })).text());
    expect(sse.at(-1)![1]).toBe('[DONE]');
    expect(JSON.parse(sse.at(-2)![1]).usage.total_tokens).toBeGreaterThan(0);
  });

  it('OpenAI responses: JSON and SSE', async () => {
    const json = (await (await post('/v1/responses', { model: 'gpt-4o', input: 'hi' })).json()) as { status: string; output: unknown[] };
    expect(json.status).toBe('completed');
    const sse = events(await (await post('/v1/responses', { model: 'gpt-4o', input: 'hi', stream: true })).text()).map(([e]) => e);
    expect(sse[0]).toBe('response.created');
    expect(sse.at(-1)).toBe('response.completed');
  });

  it('unknown endpoints are recorded and get a harmless reply; gzip bodies are decoded', async () => {
    const res = await fetch(`${server.url}/api/event_logging/batch`, { method: 'POST', headers: { 'content-encoding': 'gzip', 'content-type': 'application/json' }, body: gzipSync(JSON.stringify({ events: [1, 2] })) });
    expect(res.status).toBe(404);
    const rec = server.requests.at(-1)!;
    expect(rec).toMatchObject({ endpoint: 'other', path: '/api/event_logging/batch', json: { events: [1, 2] }, truncated: false });
    expect((await fetch(`${server.url}/`, { method: 'HEAD' })).status).toBe(200);
  });

  it('classifies endpoints behind base-URL prefixes', () => {
    expect(classifyEndpoint('POST', '/api/paas/v4/chat/completions')).toBe('openai.chat');
    expect(classifyEndpoint('POST', '/apps/anthropic/v1/messages')).toBe('anthropic.messages');
    expect(classifyEndpoint('CONNECT', 'x:443')).toBe('connect');
  });
});

describe('capture server: egress through it', () => {
  it('records absolute-URL (forward proxy) requests with the host the agent believed in', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: server.port!, method: 'GET', path: 'http://telemetry.example.net/collect?x=1', headers: { host: 'telemetry.example.net' } }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(404);
    expect(server.requests.at(-1)).toMatchObject({ arrival: 'proxy', host: 'telemetry.example.net', path: '/collect?x=1' });
  });

  it('records CONNECT and refuses it', async () => {
    const reply = await new Promise<string>((resolve) => {
      const s = netConnect(server.port!, '127.0.0.1', () => s.write('CONNECT collector.example.org:443 HTTP/1.1\r\nhost: collector.example.org:443\r\n\r\n'));
      let data = '';
      s.on('data', (d) => (data += d.toString()));
      s.on('close', () => resolve(data));
    });
    expect(reply).toMatch(/^HTTP\/1\.1 403/);
    expect(server.requests.at(-1)).toMatchObject({ method: 'CONNECT', host: 'collector.example.org', port: 443, endpoint: 'connect', status: 403 });
  });

  it('intercepts CONNECT with the local CA when asked: the request inside the tunnel is recorded', async () => {
    const mitm = await startCaptureServer({ tls: authority, connect: 'intercept' });
    try {
      const body = await new Promise<string>((resolve, reject) => {
        const s = netConnect(mitm.port!, '127.0.0.1', () => s.write('CONNECT api.moonshot.cn:443 HTTP/1.1\r\nhost: api.moonshot.cn:443\r\n\r\n'));
        s.once('data', () => {
          const tls = tlsConnect({ socket: s, servername: 'api.moonshot.cn', ca: authority.caCertPem }, () => {
            tls.write('POST /anthropic/v1/messages HTTP/1.1\r\nhost: api.moonshot.cn\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}');
          });
          let out = '';
          tls.on('data', (d) => (out += d.toString()));
          tls.on('end', () => resolve(out));
          tls.on('error', reject);
        });
      });
      expect(body).toMatch(/^HTTP\/1\.1 200/);
      expect(mitm.requests.at(-1)).toMatchObject({ arrival: 'tunnel', tls: true, host: 'api.moonshot.cn', endpoint: 'anthropic.messages' });
    } finally {
      await mitm.close();
    }
  });

  it('answers TLS directly (a sinkholed name) with a certificate for the SNI name', async () => {
    const text = await new Promise<string>((resolve, reject) => {
      const tls = tlsConnect({ host: '127.0.0.1', port: server.port!, servername: 'api.deepseek.com', ca: authority.caCertPem }, () => {
        tls.write('GET /v1/models HTTP/1.1\r\nhost: api.deepseek.com\r\nconnection: close\r\n\r\n');
      });
      let out = '';
      tls.on('data', (d) => (out += d.toString()));
      tls.on('end', () => resolve(out));
      tls.on('error', reject);
    });
    expect(text).toMatch(/^HTTP\/1\.1 200/);
    expect(server.requests.at(-1)).toMatchObject({ tls: true, host: 'api.deepseek.com', endpoint: 'models' });
  });
});

describe('capture server: ports', () => {
  it('picks another port when the one asked for is in use', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const taken = (blocker.address() as { port: number }).port;
    const s = await startCaptureServer({ port: taken });
    try {
      expect(s.port).not.toBe(taken);
      expect((await fetch(`${s.url}/v1/models`)).status).toBe(200);
    } finally {
      await s.close();
      blocker.close();
    }
  });
});
