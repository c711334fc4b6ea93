/**
 * The forward proxy (HTTP_PROXY / HTTPS_PROXY) for every egress that is not an LLM API
 * call: CONNECT tunnels and absolute-URL requests. Only hosts the egress policy allows
 * get through; every attempt, allowed or refused, is an audit record with host, port and
 * agent. Tunnelled TLS stays opaque, except with `tls.intercept` for the https routes'
 * upstream hosts: then the tunnel is decrypted with a leaf of the local CA and its
 * requests go through the reverse proxy's path (docs/guard.md, "TLS interception").
 */
import http, { type IncomingMessage, type ServerResponse, type OutgoingHttpHeaders } from 'node:http';
import net, { type Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import type { RouteConfig } from '../core/policy/config.js';
import { performance } from 'node:perf_hooks';
import { decideEgress } from '../core/policy/egress.js';
import { redactPathSecrets, type BeginRecord } from '../audit/record.js';
import { OVERHEAD_HEADER, REQUEST_ID_HEADER, elapsedMs as ms, newRequestRecord } from './request-record.js';
import type { GuardContext } from './server.js';
import { endToEndHeaders, relayHoldingLast } from './http-relay.js';

function parseAuthority(authority: string): { host: string; port: number } | null {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:/\s]+):(\d{1,5})$/.exec(authority);
  if (!m) return null;
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return null;
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
}

function baseRecord(ctx: GuardContext, req: IncomingMessage, kind: 'connect' | 'forward', host: string, port: number, path: string): BeginRecord {
  return newRequestRecord(req, ctx.agentName, { kind, route: null, upstream: `${host}:${port}`, method: req.method ?? 'CONNECT', path, host, port, action: 'deny' });
}

function refusal(target: string, rule: string): string {
  return `telltale: egress to ${target} is not allowed (${rule}); add the host to egress.allow in telltale.yaml if the agent needs it\n`;
}

export async function handleConnect(ctx: GuardContext, req: IncomingMessage, socket: Socket, head: Buffer): Promise<void> {
  const t0 = performance.now();
  socket.on('error', () => {});
  const target = parseAuthority(req.url ?? '');
  if (!target) {
    socket.end('HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\ntelltale: CONNECT needs HOST:PORT\n');
    return;
  }
  const authority = `${target.host}:${target.port}`;
  const record = baseRecord(ctx, req, 'connect', target.host, target.port, authority);
  const decision = decideEgress(ctx.egress, target.host, target.port);
  ctx.stats.egress(authority, decision.allowed);
  if (!decision.allowed) {
    const body = refusal(authority, decision.rule);
    record.overheadMs = ms(t0);
    await ctx.sink.begin({ ...record, status: 403, latencyMs: ms(t0), bytesOut: body.length, outcome: 'denied', error: null });
    ctx.log(`CONNECT ${authority} 403 denied (${decision.rule}) agent=${record.agent ?? '-'}`);
    socket.end(`HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n${OVERHEAD_HEADER}: ${ms(t0)}\r\n${REQUEST_ID_HEADER}: ${record.id}\r\n\r\n${body}`);
    return;
  }
  const interceptRoute = ctx.intercept?.routeFor(target.host, target.port);
  if (interceptRoute) return intercept(ctx, record, interceptRoute, socket, head, t0);
  record.action = 'allow';
  record.overheadMs = ms(t0);
  const begun = ctx.sink.begin(record);
  let bytesOut = 0;
  let finished = false;
  const upstream = net.connect({ host: target.host, port: target.port });
  upstream.setTimeout(ctx.config.limits.connectTimeoutMs, () => upstream.destroy(new Error('connect timeout')));
  const finish = (status: number | null, error: string | null) => {
    if (finished) return;
    finished = true;
    void ctx.sink.complete({ id: record.id, status, latencyMs: ms(t0), bytesOut, outcome: error ? 'upstream-error' : 'tunnel-closed', error });
  };
  upstream.once('connect', () => {
    upstream.setTimeout(0);
    void begun.then(() => {
      if (socket.destroyed) {
        upstream.destroy();
        return finish(200, null);
      }
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.on('data', (c: Buffer) => (bytesOut += c.length));
      socket.pipe(upstream);
      upstream.pipe(socket);
    });
  });
  upstream.on('error', (error: NodeJS.ErrnoException) => {
    if (!socket.destroyed && bytesOut === 0 && socket.writable) {
      socket.end(`HTTP/1.1 502 Bad Gateway\r\ncontent-type: text/plain\r\nconnection: close\r\n${OVERHEAD_HEADER}: ${record.overheadMs}\r\n${REQUEST_ID_HEADER}: ${record.id}\r\n\r\ntelltale: cannot reach ${authority}: ${error.code ?? error.message}\n`);
    } else socket.destroy();
    finish(502, `cannot reach ${authority}: ${error.code ?? error.message}`);
  });
  upstream.on('close', () => {
    socket.destroy();
    finish(200, null);
  });
  socket.on('close', () => {
    upstream.destroy();
    finish(200, null);
  });
}

/**
 * A CONNECT to an https route's upstream, with interception on: answered by the guard
 * itself with a leaf certificate for that host; the decrypted requests are handed to
 * the reverse proxy (same inspection, actions and audit as through the base URL). The
 * CONNECT record says `intercept`, and how the agent's TLS handshake went: an agent that
 * does not trust the CA, or pins its certificates, fails here and it is recorded.
 */
async function intercept(ctx: GuardContext, record: BeginRecord, route: RouteConfig, socket: Socket, head: Buffer, t0: number): Promise<void> {
  const hooks = ctx.intercept!;
  record.action = 'intercept';
  record.overheadMs = ms(t0);
  await ctx.sink.begin(record);
  let finished = false;
  const finish = (error: string | null) => {
    if (finished) return;
    finished = true;
    void ctx.sink.complete({ id: record.id, status: 200, latencyMs: ms(t0), bytesOut: socket.bytesWritten, outcome: error ? 'client-aborted' : 'tunnel-closed', error });
  };
  if (socket.destroyed) return finish('client closed the connection before the tunnel opened');
  socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
  // Bytes the client sent right after CONNECT (its ClientHello) belong to the TLS layer.
  if (head.length > 0) socket.unshift(head);
  const host = record.host!;
  const secure = new TLSSocket(socket, { isServer: true, secureContext: hooks.secureContext(host), ALPNProtocols: ['http/1.1'] });
  let handshaken = false;
  let failure: string | undefined;
  secure.once('secure', () => (handshaken = true));
  secure.on('error', (error: Error) => {
    failure ??= error.message.split('\n')[0];
    secure.destroy();
  });
  // A tunnel that closes before its handshake completed is a refused interception,
  // whichever of the error and the close comes first.
  const closed = () => {
    if (handshaken) return finish(null);
    const why = `TLS handshake with the agent failed (${failure ?? 'closed before the handshake completed'}): does it trust the telltale CA (NODE_EXTRA_CA_CERTS)? An agent that pins certificates cannot be intercepted`;
    ctx.log(`CONNECT ${host}:${record.port} intercept failed agent=${record.agent ?? '-'}: ${why}`);
    finish(why);
  };
  secure.on('close', closed);
  socket.on('close', closed);
  hooks.adopt(secure, route);
}

export async function handleAbsoluteUrl(ctx: GuardContext, req: IncomingMessage, res: ServerResponse, agent: http.Agent): Promise<void> {
  const t0 = performance.now();
  let url: URL;
  try {
    url = new URL(req.url ?? '');
  } catch {
    res.writeHead(400, { 'content-type': 'text/plain' }).end('telltale: not a valid absolute URL\n');
    return;
  }
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  const authority = `${url.hostname}:${port}`;
  const record = baseRecord(ctx, req, 'forward', url.hostname.replace(/^\[|\]$/g, ''), port, await redactPathSecrets(url.pathname + url.search));
  const decision = url.protocol === 'http:' ? decideEgress(ctx.egress, record.host!, port) : { allowed: false, rule: 'only http:// URLs are proxied in absolute form; use CONNECT for https' };
  ctx.stats.egress(authority, decision.allowed);
  if (!decision.allowed) {
    const body = refusal(authority, decision.rule);
    req.resume();
    await ctx.sink.begin({ ...record, status: 403, latencyMs: ms(t0), bytesOut: body.length, outcome: 'denied', error: null, overheadMs: ms(t0) });
    ctx.log(`${record.method} http://${authority}${record.path} 403 denied (${decision.rule}) agent=${record.agent ?? '-'}`);
    res.writeHead(403, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body), [OVERHEAD_HEADER]: String(ms(t0)), [REQUEST_ID_HEADER]: record.id }).end(body);
    return;
  }
  record.action = 'allow';
  record.overheadMs = ms(t0);
  const begun = ctx.sink.begin(record);
  const headers = endToEndHeaders(req.rawHeaders);
  let bytesOut = 0;
  let done = false;
  const finish = (status: number | null, outcome: 'completed' | 'upstream-error' | 'client-aborted', error: string | null) => {
    if (done) return Promise.resolve();
    done = true;
    return ctx.sink.complete({ id: record.id, status, latencyMs: ms(t0), bytesOut, outcome, error });
  };
  const upReq = http.request({ hostname: record.host!, port, method: req.method, path: url.pathname + url.search, headers: headers as unknown as OutgoingHttpHeaders, agent });
  upReq.setTimeout(ctx.config.limits.upstreamTimeoutMs, () => upReq.destroy(new Error('upstream timeout')));
  upReq.on('error', (error: NodeJS.ErrnoException) => {
    const message = `cannot reach ${authority}: ${error.code ?? error.message}`;
    void finish(502, 'upstream-error', message).then(() => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain', [OVERHEAD_HEADER]: String(record.overheadMs), [REQUEST_ID_HEADER]: record.id }).end(`telltale: ${message}\n`);
      else res.destroy();
    });
  });
  upReq.on('response', (upRes) => {
    const out = endToEndHeaders(upRes.rawHeaders);
    out.push(OVERHEAD_HEADER, String(record.overheadMs), REQUEST_ID_HEADER, record.id);
    void begun.then(() => {
      res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, out);
      // As in the reverse proxy: the byte that completes a fixed-length body waits for the commit.
      const relay = relayHoldingLast(upRes, res, (n) => (bytesOut += n));
      upRes.on('end', () => void finish(upRes.statusCode ?? null, 'completed', null).then(() => res.end(relay.held())));
    });
  });
  res.on('close', () => {
    if (!res.writableFinished) {
      upReq.destroy();
      void finish(null, 'client-aborted', 'client closed the connection');
    }
  });
  req.on('data', (c: Buffer) => (record.bytesIn += c.length));
  req.pipe(upReq);
}
