#!/usr/bin/env node
/**
 * Helper processes for bench/guard.bench.mjs, one per mode, each printing its port as
 * JSON on stdout:
 *
 *   node bench/guard-servers.mjs upstream       a fake LLM API: JSON answers, and SSE
 *                                               (`"stream": true`) with the first event
 *                                               at once and the rest 1 ms apart
 *   node bench/guard-servers.mjs bare URL       the baseline: a bare Node pass-through
 *                                               proxy (node:http, keep-alive, pipes)
 */
import http from 'node:http';

const [mode, target] = process.argv.slice(2);

const JSON_REPLY = JSON.stringify({
  id: 'msg_bench',
  type: 'message',
  role: 'assistant',
  model: 'claude-bench',
  content: [{ type: 'text', text: 'Done. I updated the function and ran the tests; all 42 pass.' }],
  stop_reason: 'end_turn',
  stop_sequence: null,
  usage: { input_tokens: 25000, output_tokens: 18 },
});

function upstream() {
  return http.createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
    let stream = false;
    let head = '';
    req.on('data', (c) => {
      // The flag sits near the start of the body; no need to parse 100 KB.
      if (head.length < 256) head += c.toString('latin1', 0, 256);
    });
    req.on('end', () => {
      stream = /"stream"\s*:\s*true/.test(head);
      if (!stream) {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(JSON_REPLY) });
        res.end(JSON_REPLY);
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write('event: message_start\ndata: {"type":"message_start","message":{"id":"msg_bench","model":"claude-bench"}}\n\n');
      let i = 0;
      const timer = setInterval(() => {
        if (res.destroyed || i++ >= 4) {
          clearInterval(timer);
          res.end('event: message_stop\ndata: {"type":"message_stop"}\n\n');
          return;
        }
        res.write(`event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"word${i} "}}\n\n`);
      }, 1);
    });
  });
}

/** The 40-line pass-through every Node proxy starts as: the floor for the guard. */
function bare(upstreamUrl) {
  const up = new URL(upstreamUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  return http.createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
    const headers = { ...req.headers, host: up.host };
    delete headers.connection;
    const upReq = http.request({ hostname: up.hostname, port: up.port, method: req.method, path: req.url, headers, agent }, (upRes) => {
      const out = { ...upRes.headers };
      delete out.connection;
      delete out['transfer-encoding'];
      res.writeHead(upRes.statusCode ?? 502, out);
      res.flushHeaders();
      upRes.pipe(res);
    });
    upReq.on('error', () => {
      if (!res.headersSent) res.writeHead(502).end();
      else res.destroy();
    });
    req.pipe(upReq);
  });
}

const server = mode === 'upstream' ? upstream() : mode === 'bare' && target ? bare(target) : null;
if (!server) {
  process.stderr.write('usage: guard-servers.mjs upstream | bare UPSTREAM_URL\n');
  process.exit(2);
}
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
process.on('SIGTERM', () => process.exit(0));
