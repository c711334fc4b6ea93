/**
 * A fake LLM API for the guard's tests: a real HTTP server on 127.0.0.1 that answers
 * like the Anthropic Messages and OpenAI chat/responses APIs, JSON and SSE, and can be
 * told to fail, reset the connection (before or during the response) or be slow.
 * It records every request it receives, body bytes included.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

export type FakeMode = 'ok' | 'fail' | 'reset' | 'reset-mid-stream' | 'slow-headers' | 'hang';

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface FakeUpstream {
  url: string;
  port: number;
  received: ReceivedRequest[];
  mode: FakeMode;
  /** Delay between SSE events, ms. */
  eventGapMs: number;
  /** Delay between an SSE response's headers and its first event, ms (a model that thinks first). */
  firstEventDelayMs: number;
  /** Delay before headers in mode slow-headers, ms. */
  slowMs: number;
  /** Text the fake model answers with. */
  reply: string;
  close(): Promise<void>;
}

function sse(res: ServerResponse, events: { event?: string; data: unknown }[], gapMs: number, up: FakeUpstream): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-fake-upstream': '1', 'request-id': 'req_fake_1' });
  res.flushHeaders();
  let i = 0;
  const next = () => {
    if (res.destroyed) return;
    const e = events[i++];
    if (!e) return void res.end();
    if (up.mode === 'reset-mid-stream' && i === 2) {
      res.socket?.destroy();
      return;
    }
    res.write(`${e.event ? `event: ${e.event}\n` : ''}data: ${typeof e.data === 'string' ? e.data : JSON.stringify(e.data)}\n\n`);
    if (gapMs > 0) setTimeout(next, gapMs);
    else setImmediate(next);
  };
  if (up.firstEventDelayMs > 0) setTimeout(next, up.firstEventDelayMs);
  else next();
}

function anthropicEvents(model: string, text: string): { event: string; data: unknown }[] {
  const usage = { input_tokens: 12, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
  const words = text.split(/(?<= )/);
  return [
    { event: 'message_start', data: { type: 'message_start', message: { id: 'msg_fake_1', type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage } } },
    { event: 'content_block_start', data: { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } } },
    ...words.map((w) => ({ event: 'content_block_delta', data: { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: w } } })),
    { event: 'content_block_stop', data: { type: 'content_block_stop', index: 0 } },
    { event: 'message_delta', data: { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: words.length } } },
    { event: 'message_stop', data: { type: 'message_stop' } },
  ];
}

function answer(up: FakeUpstream, req: IncomingMessage, res: ServerResponse, body: Buffer): void {
  const path = (req.url ?? '/').split('?')[0]!;
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
  } catch {
    parsed = {};
  }
  const model = typeof parsed.model === 'string' ? parsed.model : 'fake-model';
  const stream = parsed.stream === true;
  const json = (status: number, value: unknown) => {
    const text = JSON.stringify(value);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'x-fake-upstream': '1', 'request-id': 'req_fake_1' });
    res.end(text);
  };
  if (up.mode === 'fail') return json(500, { type: 'error', error: { type: 'api_error', message: 'fake upstream failure' } });
  if (path.endsWith('/v1/messages/count_tokens')) return json(200, { input_tokens: 42 });
  if (path.endsWith('/v1/messages')) {
    if (stream) return sse(res, anthropicEvents(model, up.reply), up.eventGapMs, up);
    return json(200, {
      id: 'msg_fake_1', type: 'message', role: 'assistant', model,
      content: [{ type: 'text', text: up.reply }], stop_reason: 'end_turn', stop_sequence: null,
      usage: { input_tokens: 12, output_tokens: 5 },
    });
  }
  if (path.endsWith('/chat/completions')) {
    if (stream) {
      const chunk = (delta: unknown, finish: string | null) => ({ id: 'chatcmpl-fake', object: 'chat.completion.chunk', created: 1, model, choices: [{ index: 0, delta, finish_reason: finish }] });
      return sse(res, [{ data: chunk({ role: 'assistant', content: '' }, null) }, ...up.reply.split(/(?<= )/).map((w) => ({ data: chunk({ content: w }, null) })), { data: chunk({}, 'stop') }, { data: '[DONE]' }], up.eventGapMs, up);
    }
    return json(200, { id: 'chatcmpl-fake', object: 'chat.completion', created: 1, model, choices: [{ index: 0, message: { role: 'assistant', content: up.reply }, finish_reason: 'stop' }], usage: { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 } });
  }
  if (path.endsWith('/responses')) {
    const response = { id: 'resp_fake', object: 'response', created_at: 1, model, status: 'completed', output: [{ type: 'message', id: 'msg_fake', role: 'assistant', content: [{ type: 'output_text', text: up.reply, annotations: [] }] }] };
    if (stream) {
      return sse(res, [
        { event: 'response.created', data: { type: 'response.created', response: { ...response, status: 'in_progress', output: [] } } },
        { event: 'response.output_text.delta', data: { type: 'response.output_text.delta', delta: up.reply } },
        { event: 'response.completed', data: { type: 'response.completed', response } },
      ], up.eventGapMs, up);
    }
    return json(200, response);
  }
  return json(200, { ok: true, path, method: req.method });
}

/** With `tls`, the fake serves HTTPS with that certificate (for TLS interception tests). */
export async function startFakeUpstream(options: { tls?: { cert: string; key: string } } = {}): Promise<FakeUpstream> {
  const sockets = new Set<Socket>();
  const up: FakeUpstream = {
    url: '',
    port: 0,
    received: [],
    mode: 'ok',
    eventGapMs: 0,
    firstEventDelayMs: 0,
    slowMs: 2_000,
    reply: 'Hello from the fake upstream.',
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      up.received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      if (up.mode === 'reset') return void req.socket.destroy();
      if (up.mode === 'hang') return;
      if (up.mode === 'slow-headers') return void setTimeout(() => answer(up, req, res, body), up.slowMs);
      answer(up, req, res, body);
    });
  };
  const server = options.tls ? https.createServer({ cert: options.tls.cert, key: options.tls.key }, handler) : http.createServer(handler);
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  up.port = (server.address() as AddressInfo).port;
  up.url = `${options.tls ? 'https' : 'http'}://127.0.0.1:${up.port}`;
  return up;
}
