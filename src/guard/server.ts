/**
 * The guard: a reverse proxy in front of LLM APIs and a forward proxy for everything
 * else, on one port. A request's path, top to bottom in `handleApiRequest`:
 *
 *   read body (size limit) → decode + parse → inspect (pure core) → decide →
 *   forward the ORIGINAL bytes (or the rewritten body) → pipe the response back chunk
 *   by chunk → commit the audit record → end the response.
 *
 * The audit write happens on a worker thread, off the request path; the response's end
 * (its last byte) waits for the record's commit, so a client that saw a complete
 * response can find it in the log.
 */
import { isUtf8 } from 'node:buffer';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { SecureContext, TLSSocket } from 'node:tls';
import { performance } from 'node:perf_hooks';
import type { GuardConfig, ApiKind } from '../core/policy/config.js';
import { endpointOf, interceptedMatch, interceptTargets, matchRoute, sortRoutes, type RouteMatch } from '../core/policy/routes.js';
import type { RouteConfig } from '../core/policy/config.js';
import type { TlsAuthority } from '../capture/tls-authority.js';
import { egressPolicy, type EgressPolicy } from '../core/policy/egress.js';
import { compileDenyPaths } from '../core/request-inspection/deny-paths.js';
import { inspectRequest, type InspectionPolicy, type InspectionOutcome, type RequestFinding } from '../core/request-inspection/inspect.js';
import { InspectionCache } from '../core/request-inspection/cache.js';
import { IncrementalParser } from '../core/request-inspection/incremental.js';
import { redactPath, redactPathSecrets, type BeginRecord, type Outcome } from '../audit/record.js';
import { OVERHEAD_HEADER, REQUEST_ID_HEADER, elapsedMs as ms, newRequestRecord } from './request-record.js';
import type { AuditSink } from '../audit/writer.js';
import type { BodyPrefix } from '../audit/body.js';
import { guardError, type GuardErrorKind } from './responses.js';
import { handleConnect, handleAbsoluteUrl } from './forward-proxy.js';
import { GuardStats } from './stats.js';
import { endToEndHeaders, HeldLastRelay } from './http-relay.js';
import { UpstreamClient, isUpstreamTimeout, rawResponseHeaders, upstreamFailure, type UpstreamController } from './upstream.js';
import { SecretScanBatcher } from './secret-batcher.js';

export { OVERHEAD_HEADER, REQUEST_ID_HEADER } from './request-record.js';

/**
 * The reverse proxy sets Host to the upstream's own. `expect` is answered by the guard
 * (it reads the whole body before forwarding), so it is not passed on.
 */
const NOT_FORWARDED = new Set(['host', 'expect']);
const NOT_FORWARDED_WHEN_REWRITTEN = new Set(['host', 'expect', 'content-length']);

export interface GuardOptions {
  config: GuardConfig;
  sink: AuditSink;
  /** Agent name recorded when a request carries no User-Agent (set by `telltale run`). */
  agentName?: string;
  /** One line per event (never request content). */
  log?: (line: string) => void;
  /** TLS interception of CONNECTs to the https routes' upstreams, with this CA (tls.intercept). */
  interceptAuthority?: TlsAuthority;
  /** Extra CA certificates (PEM) trusted for upstream TLS, besides Node's defaults (tls.upstreamCaFile). */
  upstreamCa?: string;
}

/** What the forward proxy needs to hand an intercepted tunnel to the reverse proxy. */
export interface InterceptHooks {
  /** The route whose https upstream is host:port, if interception applies to it. */
  routeFor(host: string, port: number): RouteConfig | undefined;
  secureContext(host: string): SecureContext;
  /** Serves the decrypted HTTP/1.1 requests of `socket` as requests to `route`. */
  adopt(socket: TLSSocket, route: RouteConfig): void;
}

export interface GuardContext {
  config: GuardConfig;
  sink: AuditSink;
  egress: EgressPolicy;
  stats: GuardStats;
  agentName: string | undefined;
  log: (line: string) => void;
  /** host:port strings that address the guard itself. */
  selfAddresses: Set<string>;
  /** Track for shutdown. */
  sockets: Set<Socket>;
  intercept: InterceptHooks | undefined;
}

export class Guard {
  readonly ctx: GuardContext;
  private readonly server: http.Server;
  private readonly routes: ReturnType<typeof sortRoutes>;
  private readonly policy: InspectionPolicy;
  private readonly cache = new InspectionCache();
  /** Bodies it drops for lack of room hand their inspection results to the cache, by text. */
  private readonly parser = new IncrementalParser({ onDrop: (values) => this.cache.retire(values) });
  readonly secrets = new SecretScanBatcher();
  private inspecting = 0;
  /** API exchanges in progress, from the request's arrival to its final record. */
  private exchanges = 0;
  /** The forward proxy's client (absolute-URL requests). */
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  /** The reverse proxy's client for the routes' upstreams. */
  private readonly upstream: UpstreamClient;
  /** Decrypted tunnels (TLS interception) and the route their requests go to. */
  private readonly intercepted = new WeakMap<Socket, RouteConfig>();

  constructor(options: GuardOptions) {
    const { config } = options;
    this.routes = sortRoutes(config.routes);
    this.policy = {
      hiddenChannels: config.inspect.hiddenChannels,
      secrets: config.inspect.secrets,
      denyPathsAction: config.inspect.denyPathsAction,
      denyPaths: compileDenyPaths(config.inspect.denyPaths),
    };
    this.ctx = {
      config,
      sink: options.sink,
      egress: egressPolicy(config),
      stats: new GuardStats(),
      agentName: options.agentName,
      log: options.log ?? (() => {}),
      selfAddresses: new Set(),
      sockets: new Set(),
      intercept: options.interceptAuthority ? this.interceptHooks(options.interceptAuthority, config.routes) : undefined,
    };
    // Upstream TLS is always verified; extra CAs extend Node's defaults, never replace them.
    this.upstream = new UpstreamClient({ timeoutMs: config.limits.upstreamTimeoutMs, ...(options.upstreamCa ? { extraCa: options.upstreamCa } : {}) });
    this.server = http.createServer({ noDelay: true, keepAliveTimeout: 65_000, requestTimeout: 0, headersTimeout: 60_000 }, (req, res) => {
      this.handle(req, res).catch((error: unknown) => this.internalError(req, res, error));
    });
    this.server.on('connect', (req: IncomingMessage, socket: Socket, head: Buffer) => {
      handleConnect(this.ctx, req, socket, head).catch((error: unknown) => {
        this.ctx.log(`CONNECT ${req.url ?? ''} internal error: ${error instanceof Error ? error.message : String(error)}`);
        socket.destroy();
      });
    });
    this.server.on('connection', (socket: Socket) => {
      this.ctx.sockets.add(socket);
      socket.on('close', () => this.ctx.sockets.delete(socket));
    });
    this.server.on('clientError', (_error, socket: Socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      else socket.destroy();
    });
  }

  async listen(host = this.ctx.config.listenHost, port = this.ctx.config.listenPort): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const address = this.server.address() as AddressInfo;
    for (const h of [address.address, host, 'localhost', '127.0.0.1']) this.ctx.selfAddresses.add(`${h}:${address.port}`);
    return address;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
      setTimeout(() => {
        for (const s of this.ctx.sockets) s.destroy();
      }, 2_000).unref();
    });
    this.httpAgent.destroy();
    await this.upstream.close();
  }

  private internalError(req: IncomingMessage, res: ServerResponse, error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    this.ctx.log(`${req.method} ${redactPath(req.url ?? '')} internal error: ${message.split('\n')[0]}`);
    if (!res.headersSent) {
      const e = guardError('anthropic', 'upstream-unreachable', 'internal error in the guard; the request was not forwarded');
      res.writeHead(500, { 'content-type': 'application/json', [OVERHEAD_HEADER]: '0' }).end(e.body);
    } else res.destroy();
  }

  private interceptHooks(authority: TlsAuthority, routes: readonly RouteConfig[]): InterceptHooks {
    const targets = interceptTargets(routes);
    return {
      routeFor: (host, port) => targets.get(`${host.toLowerCase()}:${port}`),
      secureContext: (host) => authority.contextFor(host),
      adopt: (socket, route) => {
        this.intercepted.set(socket, route);
        this.server.emit('connection', socket);
      },
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const interceptedRoute = this.intercepted.get(req.socket);
    if (interceptedRoute) {
      // Inside a decrypted tunnel the agent speaks to the upstream itself: its paths are the upstream's.
      let path = url;
      if (!url.startsWith('/')) {
        try {
          const u = new URL(url);
          path = u.pathname + u.search;
        } catch {
          path = '/';
        }
      }
      return this.handleApiRequest(req, res, path, interceptedMatch(interceptedRoute, path));
    }
    if (!url.startsWith('/')) {
      // Absolute-form request: a forward-proxy request, unless it addresses the guard itself.
      let target: URL | undefined;
      try {
        target = new URL(url);
      } catch {
        target = undefined;
      }
      if (target && this.ctx.selfAddresses.has(`${target.hostname}:${target.port || 80}`)) {
        return this.handleApiRequest(req, res, target.pathname + target.search);
      }
      return handleAbsoluteUrl(this.ctx, req, res, this.httpAgent);
    }
    return this.handleApiRequest(req, res, url);
  }

  private async handleApiRequest(req: IncomingMessage, res: ServerResponse, url: string, preMatched?: RouteMatch): Promise<void> {
    // Counts requests being read or inspected: one alone need not wait to share a secret scan.
    this.inspecting++;
    this.exchanges++;
    let counted = true;
    const inspected = () => {
      if (counted) {
        counted = false;
        this.inspecting--;
      }
    };
    try {
      await this.proxyApiRequest(req, res, url, inspected, preMatched);
    } finally {
      inspected();
      this.exchanges--;
    }
  }

  /**
   * Reads, inspects and decides; then hands the exchange to `forward` and returns its
   * promise without awaiting it. A suspended async function keeps all its locals alive (V8
   * keeps them even when no later code reads them), and this one's (the body's chunks, the
   * parsed body, the inspection's results) would then live as long as the upstream exchange
   * (docs/guard.md, "Stop 20").
   */
  private async proxyApiRequest(req: IncomingMessage, res: ServerResponse, url: string, inspected: () => void, preMatched?: RouteMatch): Promise<void> {
    const t0 = performance.now();
    const ctx = this.ctx;
    const match = preMatched ?? matchRoute(this.routes, url);
    const api: ApiKind = match?.route.api ?? 'anthropic';
    const base = newRequestRecord(req, ctx.agentName, {
      kind: 'request',
      route: match?.route.prefix ?? null,
      upstream: match ? match.upstream.origin : null,
      method: req.method ?? 'GET',
      path: await redactPathSecrets(url),
      host: null,
      port: null,
      action: 'pass',
    });
    const id = base.id;
    ctx.stats.requests++;
    // The stored body as received (bytes), once known; a blocked request keeps it too.
    let bodyBytes: Uint8Array | undefined;

    const reject = async (kind: GuardErrorKind, message: string, outcome: Outcome, action = 'error', findings: RequestFinding[] = []) => {
      const e = guardError(api, kind, message);
      base.findings = findings;
      base.action = action;
      base.overheadMs = ms(t0);
      await ctx.sink.begin({ ...base, status: e.status, latencyMs: ms(t0), bytesOut: e.body.length, outcome, error: outcome === 'blocked' ? null : message }, bodyBytes);
      if (res.destroyed) return;
      res.writeHead(e.status, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(e.body),
        [OVERHEAD_HEADER]: String(ms(t0)),
        [REQUEST_ID_HEADER]: id,
        ...(outcome === 'rejected' && kind === 'too-large' ? { connection: 'close' } : {}),
      });
      res.end(e.body);
      ctx.log(`${base.method} ${base.path} ${e.status} ${action} ${message}`);
    };

    if (!match) return reject('not-found', `no route for ${base.path}; add a route with a matching prefix to telltale.yaml`, 'rejected');

    // 1. Read the body, within the size limit.
    const limit = ctx.config.limits.maxBodyBytes;
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) {
      req.resume();
      return reject('too-large', `request body of ${declared} bytes exceeds limits.maxBodyBytes (${limit}); raise it in telltale.yaml if this is expected`, 'rejected');
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const readResult = await new Promise<'ok' | 'too-large' | 'aborted'>((resolve) => {
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > limit) {
          req.removeAllListeners('data');
          req.resume();
          resolve('too-large');
          return;
        }
        chunks.push(chunk);
      });
      req.once('end', () => resolve('ok'));
      req.once('error', () => resolve('aborted'));
      req.once('close', () => { if (!req.complete) resolve('aborted'); });
    });
    base.bytesIn = size;
    if (readResult === 'too-large') {
      return reject('too-large', `request body exceeds limits.maxBodyBytes (${limit} bytes); raise it in telltale.yaml if this is expected`, 'rejected');
    }
    if (readResult === 'aborted') {
      base.overheadMs = ms(t0);
      await ctx.sink.begin({ ...base, status: null, latencyMs: ms(t0), bytesOut: 0, outcome: 'client-aborted', error: 'client closed the connection while sending the body', action: 'error' });
      return;
    }
    const raw = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
    // The pieces are in `raw` now; the closures that filled this array hold on to it.
    chunks.length = 0;

    // 2. Decode and parse; 3. inspect and decide.
    const endpoint = endpointOf(api, match.upstreamPath);
    let outcome: InspectionOutcome | null = null;
    let isText = false;
    // Where the body's bytes equal an earlier body's (the audit writer need not search for it).
    let bodyPrefix: BodyPrefix | undefined;
    if (raw.length > 0) {
      const isJson = endpoint !== 'other' || /json/i.test(String(req.headers['content-type'] ?? ''));
      if (isJson) {
        // Only the bytes that differ from a body seen before are decoded and parsed
        // (agents resend the history unchanged); the result equals a full JSON.parse.
        // Tagged with the record's id: a later body that starts like this one names it (bodyPrefix).
        const parsedBody = this.parser.parse(raw, base.id);
        if (!parsedBody.ok) {
          return parsedBody.reason === 'utf8'
            ? reject('bad-request', 'request body is not valid UTF-8; the guard does not forward content it cannot inspect', 'rejected')
            : reject('bad-request', `request body is not valid JSON (${parsedBody.message}); the guard does not forward content it cannot inspect`, 'rejected');
        }
        isText = true;
        if (parsedBody.reusedFrom !== undefined) bodyPrefix = { id: parsedBody.reusedFrom, length: parsedBody.reusedBytes };
        const parsed = parsedBody.value;
        if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
          const p = parsed as Record<string, unknown>;
          if (typeof p.model === 'string') base.model = p.model.slice(0, 200);
          base.stream = p.stream === true;
        }
        // A body the parser keeps enters its texts in the cache when the parser drops it.
        outcome = await inspectRequest(endpoint, parsed, this.policy, this.cache, (texts) => this.secrets.scan(texts, this.inspecting === 1), !parsedBody.kept);
      } else isText = isUtf8(raw);
    }
    if (outcome) {
      base.findings = outcome.findings;
      base.action = outcome.action;
      ctx.stats.record(outcome.findings, outcome.decision === 'block');
    }
    // The body as sent goes to the writer thread as bytes (a copy transferred, not a
    // string serialised); a body with secrets goes as its redacted text.
    const stored = storedBody(ctx.config.audit.bodies, isText, outcome);
    base.body = stored === RAW ? null : stored;
    if (stored === RAW) bodyBytes = raw;

    if (outcome?.decision === 'block') {
      return reject('blocked', `blocked this request: ${outcome.blockReason}. Remove that content from the conversation (or start a new one), or change the policy in telltale.yaml.`, 'blocked', 'block', outcome.findings);
    }

    // 4. Forward: the original bytes unless an action rewrote the body.
    const payload = outcome?.decision === 'modified' ? Buffer.from(JSON.stringify(outcome.forwardBody)) : raw;
    const headers = endToEndHeaders(req.rawHeaders, outcome?.decision === 'modified' ? NOT_FORWARDED_WHEN_REWRITTEN : NOT_FORWARDED);
    headers.push('host', match.upstream.host);
    const hasLength = outcome?.decision !== 'modified' && req.headers['content-length'] !== undefined;
    if (!hasLength && (payload.length > 0 || outcome?.decision === 'modified')) headers.push('content-length', String(payload.length));
    base.overheadMs = ms(t0);
    // Queued, not awaited: the commit runs on the writer thread while the upstream works;
    // the response's end waits for the `complete` commit, which is ordered after it. It is
    // queued once the request's bytes are on their way (the copy for the writer is not in
    // their path). A stream's record waits 2 ms, out of the way of its first bytes (on a
    // machine with few cores the writer competes with the upstream and the client for
    // them); a streamed answer takes longer than that, so its end does not wait for it.
    // With other exchanges in flight every record waits up to 2 ms too, to share one message
    // and one commit with theirs (group commit: see WorkerSink.complete).
    const alone = this.inspecting === 1;
    // The only exchange in the guard: its record may be committed on this thread (the sink's
    // fast path), which then has nothing else to do while the upstream works.
    const sole = this.exchanges === 1;
    const record = () => {
      const bytes = bodyBytes;
      bodyBytes = undefined; // the sink has what it needs (a copy of what is new)
      void ctx.sink.begin(base, bytes, { defer: base.stream || !sole, hold: !sole, now: alone, sole, ...(bytes && bodyPrefix ? { bodyPrefix } : {}) });
    };
    inspected();
    return this.forward(req, res, match, headers, payload, base, t0, api, record);
  }

  private forward(
    req: IncomingMessage,
    res: ServerResponse,
    match: RouteMatch,
    headers: string[],
    payload: Buffer,
    base: BeginRecord,
    t0: number,
    api: ApiKind,
    /** Queues the request record; called once the request is handed to the socket. */
    record: () => void,
  ): Promise<void> {
    const ctx = this.ctx;
    const upstream = this.upstream;
    const overheadBefore = base.overheadMs ?? 0;
    // `payload` and `headers` go to undici below and no closure here refers to them: undici
    // lets go of them once they are written, and the handlers do not keep them for the exchange.
    let resolve!: () => void;
    const done = new Promise<void>((r) => (resolve = r));
    let settled = false;
    let bytesOut = 0;
    let status: number | null = null;
    let controller: UpstreamController | undefined;
    let clientGone = false;
    let relay: HeldLastRelay | undefined;
    // The request record is queued once, before the final record (writes are ordered):
    // when the request's bytes are written to the upstream's socket, or here if the
    // exchange ends first.
    let recorded = false;
    const recordOnce = () => {
      if (recorded) return;
      recorded = true;
      record();
    };
    // Records how the exchange ended; resolves when that record is committed.
    const finish = (outcome: Outcome, error: string | null, overheadMs?: number): Promise<void> => {
      if (settled) return Promise.resolve();
      settled = true;
      recordOnce();
      if (error) ctx.log(`${base.method} ${base.path} ${status ?? '-'} ${outcome}: ${error}`);
      return ctx.sink.complete({ id: base.id, status, latencyMs: ms(t0), bytesOut, outcome, error, ...(overheadMs !== undefined ? { overheadMs } : {}) }, { sole: this.exchanges === 1 });
    };
    let overhead = overheadBefore;
    // Client gone: stop the upstream exchange and record it.
    res.on('close', () => {
      if (!res.writableFinished && !settled) {
        clientGone = true;
        // Settled first: the abort reports back through onResponseError, at once.
        void finish('client-aborted', 'client closed the connection before the response ended').then(() => resolve());
        controller?.abort(new Error('client closed the connection'));
      }
    });
    res.on('drain', () => controller?.resume());
    upstream.send(match.upstream.origin, req.method ?? 'GET', match.upstreamPath, headers, payload, {
      onRequestStart(c) {
        controller = c;
        if (clientGone) c.abort(new Error('client closed the connection'));
      },
      onRequestSent: recordOnce,
      onResponseStart(c, statusCode, parsedHeaders, statusMessage) {
        // 1xx informational answers are not relayed (node:http did not either).
        if (statusCode < 200 || settled) return;
        status = statusCode;
        const tHeaders = performance.now();
        const out = endToEndHeaders(rawResponseHeaders(c, parsedHeaders), NOT_FORWARDED);
        overhead = Math.round((overheadBefore + (performance.now() - tHeaders)) * 1000) / 1000;
        out.push(OVERHEAD_HEADER, String(overhead), REQUEST_ID_HEADER, base.id);
        res.writeHead(statusCode, statusMessage || undefined, out);
        // A fixed-length body's headers go with its bytes, in one write. So do a stream's when
        // its first bytes come in the same read as the upstream's headers (they usually do):
        // one write, one wake-up of the client. Otherwise they go alone at the end of this
        // loop turn: SSE clients wait for them.
        const declared = parsedHeaders['content-length'];
        if (declared === undefined) {
          setImmediate(() => {
            if (bytesOut === 0 && !res.destroyed && !res.writableEnded) res.flushHeaders();
          });
        }
        // The last chunk of a fixed-length body waits for the commit.
        relay = new HeldLastRelay(res, declared === undefined ? -1 : Number(declared));
      },
      onResponseData(c, chunk) {
        if (settled || !relay) return;
        bytesOut += chunk.length;
        if (!relay.push(chunk)) c.pause();
      },
      onResponseEnd() {
        if (settled) return;
        // Commit the record, then end the response.
        void finish('completed', null, overhead).then(() => {
          if (!res.destroyed) res.end(relay?.held());
          resolve();
        });
      },
      onResponseError(_c, error) {
        if (settled) return;
        const timeout = isUpstreamTimeout(error);
        const what = timeout
          ? `upstream did not answer within limits.upstreamTimeoutMs (${upstream.timeoutMs} ms)`
          : `upstream ${match.upstream.host} failed: ${upstreamFailure(error)}`;
        if (!res.headersSent) {
          const e = guardError(api, timeout ? 'upstream-timeout' : 'upstream-unreachable', `${what}; the request was recorded but got no answer`);
          status = e.status;
          bytesOut = Buffer.byteLength(e.body);
          void finish(timeout ? 'upstream-timeout' : 'upstream-error', what).then(() => {
            if (!res.destroyed) {
              res.writeHead(e.status, { 'content-type': 'application/json', 'content-length': bytesOut, [OVERHEAD_HEADER]: String(overheadBefore), [REQUEST_ID_HEADER]: base.id });
              res.end(e.body);
            }
            resolve();
          });
        } else {
          // Mid-stream: the status is already out; cut the connection so the client sees the failure.
          void finish(timeout ? 'upstream-timeout' : 'upstream-error', `${what} after ${bytesOut} bytes of the response`).then(() => resolve());
          res.destroy();
        }
      },
    });
    return done;
  }
}

const RAW = Symbol('raw body');

/** What to store of the body: nothing, its redacted text, or (RAW) the bytes as received. */
function storedBody(mode: 'none' | 'redacted' | 'full', isText: boolean, outcome: InspectionOutcome | null): string | null | typeof RAW {
  if (mode === 'none' || !isText) return null;
  if (outcome?.storageBody !== undefined) return JSON.stringify(outcome.storageBody);
  if (outcome === null) return null; // not JSON: unknown content, never stored
  return RAW;
}
