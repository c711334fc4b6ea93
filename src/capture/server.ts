/**
 * The capture server: a local endpoint that records every request an agent makes
 * and answers like the real API (see emulate.ts).
 *
 * One listener speaks everything the agent may throw at it, told apart by the
 * first bytes: plain HTTP (base URL pointed here, or a name sinkholed to us),
 * TLS (HTTPS to a sinkholed name: a certificate for the SNI name is minted by the
 * local CA), absolute-URL requests (we are its HTTP forward proxy) and CONNECT
 * (HTTPS through the forward proxy: recorded, then refused, or intercepted with
 * the local CA when `connect: 'intercept'`). It listens on TCP 127.0.0.1 and/or
 * a unix socket (which crosses network namespaces: the probe sandbox relays to it).
 */
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { TLSSocket } from 'node:tls';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import { rm } from 'node:fs/promises';
import { classifyEndpoint, DEFAULT_REPLY_TEXT, emulate } from './emulate.js';
import type { TlsAuthority } from './tls-authority.js';
import type { Arrival, CapturedRequest } from './types.js';

export interface CaptureServerOptions {
  /** TCP address to listen on (default 127.0.0.1). Never a public address. */
  host?: string;
  /** TCP port (default 0: any free port). If it is taken, another free port is used. Set `tcp: false` for none. */
  port?: number;
  tcp?: boolean;
  /** Also listen on this unix socket path. */
  unixSocket?: string;
  /** Local CA: enables TLS (sinkholed HTTPS) and CONNECT interception. */
  tls?: TlsAuthority;
  /** What to do with CONNECT: record and refuse (default), or record and intercept (needs `tls`). */
  connect?: 'refuse' | 'intercept';
  /** The assistant's answer text. */
  replyText?: string;
  /** Request bodies are recorded up to this size (default 16 MiB). */
  maxBodyBytes?: number;
  /** Stop recording after this many requests (default 10,000); later requests are still answered. */
  maxRequests?: number;
  /** Called for every recorded request. */
  onRequest?: (request: CapturedRequest) => void;
}

export interface CaptureServer {
  readonly host: string;
  /** The TCP port, or null when not listening on TCP. */
  readonly port: number | null;
  /** `http://127.0.0.1:PORT`, or null when not listening on TCP. */
  readonly url: string | null;
  readonly unixSocket: string | null;
  /** Every recorded request, in arrival order. */
  readonly requests: readonly CapturedRequest[];
  /** True when requests were dropped because of `maxRequests`. */
  readonly overflowed: boolean;
  close(): Promise<void>;
}

interface ConnectionMeta {
  tls: boolean;
  /** Set for connections that came through an intercepted CONNECT tunnel. */
  tunnel?: { host: string; port: number };
  sni?: string;
}

const SECRET_HEADERS = /^(?:authorization|proxy-authorization|x-api-key|api-key|x-goog-api-key|cookie|set-cookie)$/;

/** Keeps a hint of the credential's shape (scheme, prefix, length) but never its value. */
export function redactHeader(name: string, value: string): string {
  if (!SECRET_HEADERS.test(name)) return value;
  const scheme = /^(Bearer|Basic|Token)\s+/i.exec(value)?.[0] ?? '';
  const secret = value.slice(scheme.length);
  return `${scheme}<redacted ${secret.length} chars>`;
}

function decodeBody(raw: Buffer, encoding: string | undefined): { text: string; ok: boolean } {
  try {
    let bytes = raw;
    for (const enc of (encoding ?? '').toLowerCase().split(',').map((e) => e.trim()).reverse()) {
      if (enc === 'gzip' || enc === 'x-gzip') bytes = gunzipSync(bytes);
      else if (enc === 'deflate') bytes = inflateSync(bytes);
      else if (enc === 'br') bytes = brotliDecompressSync(bytes);
      else if (enc !== '' && enc !== 'identity') return { text: '', ok: false };
    }
    return { text: bytes.toString('utf8'), ok: true };
  } catch {
    return { text: '', ok: false };
  }
}

function splitHostPort(value: string, defaultPort: number): { host: string; port: number } {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(value) ?? /^([^:]+)(?::(\d+))?$/.exec(value);
  if (!m) return { host: value.toLowerCase(), port: defaultPort };
  return { host: m[1]!.toLowerCase(), port: m[2] ? Number(m[2]) : defaultPort };
}

/** Wraps a socket whose first chunk was already read, so TLS sees every byte. */
function replayingDuplex(socket: Socket, first: Buffer): Duplex {
  const duplex = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk: Buffer, _enc, cb) {
      socket.write(chunk, cb);
    },
    final(cb) {
      socket.end();
      cb();
    },
    destroy(err, cb) {
      socket.destroy();
      cb(err);
    },
  });
  duplex.push(first);
  socket.on('data', (chunk: Buffer) => {
    if (!duplex.push(chunk)) socket.pause();
  });
  socket.on('end', () => duplex.push(null));
  socket.on('error', (err) => duplex.destroy(err));
  socket.on('close', () => duplex.destroy());
  return duplex;
}

export async function startCaptureServer(options: CaptureServerOptions = {}): Promise<CaptureServer> {
  const host = options.host ?? '127.0.0.1';
  const maxBody = options.maxBodyBytes ?? 16 * 1024 * 1024;
  const maxRequests = options.maxRequests ?? 10_000;
  const replyText = options.replyText ?? DEFAULT_REPLY_TEXT;
  const authority = options.tls;
  const connectMode = options.connect === 'intercept' && authority ? 'intercept' : 'refuse';
  const requests: CapturedRequest[] = [];
  let seq = 0;
  let overflowed = false;
  const meta = new WeakMap<object, ConnectionMeta>();
  const sockets = new Set<Socket>();

  const record = (entry: Omit<CapturedRequest, 'seq' | 'time'>): CapturedRequest => {
    const full: CapturedRequest = { seq: seq++, time: new Date().toISOString(), ...entry };
    if (requests.length < maxRequests) {
      requests.push(full);
      options.onRequest?.(full);
    } else overflowed = true;
    return full;
  };

  const headersOf = (req: IncomingMessage): Record<string, string> => {
    const out: Record<string, string> = {};
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const name = req.rawHeaders[i]!.toLowerCase();
      const value = redactHeader(name, req.rawHeaders[i + 1]!);
      out[name] = name in out ? `${out[name]}, ${value}` : value;
    }
    return out;
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBody) chunks.push(chunk);
    });
    req.on('error', () => res.destroy());
    req.on('end', () => {
      const conn = meta.get(req.socket) ?? { tls: false };
      const rawUrl = req.url ?? '/';
      let arrival: Arrival = conn.tunnel ? 'tunnel' : 'direct';
      let target = { host: '', port: conn.tls ? 443 : 80 };
      let path = rawUrl;
      if (/^https?:\/\//i.test(rawUrl)) {
        arrival = 'proxy';
        try {
          const u = new URL(rawUrl);
          target = { host: u.hostname.replace(/^\[|\]$/g, '').toLowerCase(), port: u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80 };
          path = `${u.pathname}${u.search}`;
        } catch {
          target = { host: '', port: 80 };
        }
      } else if (req.headers.host) {
        target = splitHostPort(req.headers.host, conn.tls ? 443 : 80);
      } else if (conn.sni) target = { host: conn.sni, port: 443 };
      else if (conn.tunnel) target = conn.tunnel;
      const truncated = size > maxBody;
      const decoded = decodeBody(Buffer.concat(chunks), req.headers['content-encoding']);
      let json: unknown;
      if (decoded.ok && decoded.text.length > 0 && /^\s*[[{]/.test(decoded.text)) {
        try {
          json = JSON.parse(decoded.text);
        } catch {
          json = undefined;
        }
      }
      const method = req.method ?? 'GET';
      const endpoint = classifyEndpoint(method, path);
      const stream = json !== null && typeof json === 'object' && (json as Record<string, unknown>).stream === true;
      const reply = emulate({ method, path, endpoint, json, seq }, { replyText });
      const entry: Omit<CapturedRequest, 'seq' | 'time'> = {
        arrival,
        tls: conn.tls,
        method,
        host: target.host,
        port: target.port,
        path,
        endpoint,
        headers: headersOf(req),
        body: decoded.text,
        bodyBytes: size,
        truncated: truncated || !decoded.ok,
        stream,
        status: reply.status,
      };
      if (json !== undefined) entry.json = json;
      record(entry);
      res.writeHead(reply.status, reply.headers);
      if (reply.events) {
        for (const event of reply.events) res.write(event);
        res.end();
      } else res.end(method === 'HEAD' ? undefined : reply.body);
    });
  };

  const http = createHttpServer({ requestTimeout: 120_000, headersTimeout: 60_000 }, handle);

  // A raw connection: sniff TLS vs plain HTTP from the first byte.
  const accept = (socket: Socket, tunnel?: { host: string; port: number }, head?: Buffer): void => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const start = (first: Buffer): void => {
      if (first[0] === 0x16 && authority) {
        socket.pause();
        const fallbackName = tunnel?.host ?? 'localhost';
        const tlsSocket = new TLSSocket(replayingDuplex(socket, first), {
          isServer: true,
          ALPNProtocols: ['http/1.1'],
          secureContext: authority.contextFor(fallbackName),
          SNICallback: (servername, cb) => cb(null, authority.contextFor(servername || fallbackName)),
        });
        tlsSocket.on('error', () => socket.destroy());
        const info: ConnectionMeta = { tls: true };
        if (tunnel) info.tunnel = tunnel;
        tlsSocket.on('secure', () => {
          const name = (tlsSocket as TLSSocket & { servername?: string | false }).servername;
          if (typeof name === 'string' && name) info.sni = name.toLowerCase();
        });
        meta.set(tlsSocket, info);
        http.emit('connection', tlsSocket);
        return;
      }
      if (first[0] === 0x16 || !/^[A-Z]{3,10} /.test(first.subarray(0, 11).toString('latin1'))) {
        // Not HTTP (or TLS without a CA): record what it was and hang up.
        record({
          arrival: 'raw',
          tls: first[0] === 0x16,
          method: 'RAW',
          host: tunnel?.host ?? '',
          port: tunnel?.port ?? 0,
          path: '',
          endpoint: 'other',
          headers: {},
          body: first.subarray(0, 64).toString('latin1'),
          bodyBytes: first.length,
          truncated: true,
          stream: false,
          status: 0,
        });
        socket.destroy();
        return;
      }
      socket.pause();
      socket.unshift(first);
      const info: ConnectionMeta = { tls: false };
      if (tunnel) info.tunnel = tunnel;
      meta.set(socket, info);
      http.emit('connection', socket);
      socket.resume();
    };
    if (head && head.length > 0) start(head);
    else socket.once('data', start);
  };

  http.on('connect', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const target = splitHostPort(req.url ?? '', 443);
    record({
      arrival: 'connect',
      tls: false,
      method: 'CONNECT',
      host: target.host,
      port: target.port,
      path: req.url ?? '',
      endpoint: 'connect',
      headers: headersOf(req),
      body: '',
      bodyBytes: 0,
      truncated: false,
      stream: false,
      status: connectMode === 'intercept' ? 200 : 403,
    });
    if (connectMode !== 'intercept') {
      socket.end('HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\ntelltale capture server: tunnels are refused\n');
      return;
    }
    socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    accept(socket, target, head);
  });
  http.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });

  const servers: NetServer[] = [];
  const listen = (server: NetServer, args: { port?: number; host?: string; path?: string }): Promise<void> =>
    new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      server.once('error', onError);
      server.listen(args, () => {
        server.off('error', onError);
        resolve();
      });
    });

  let port: number | null = null;
  if (options.tcp !== false) {
    const tcp = createNetServer((s) => accept(s));
    try {
      await listen(tcp, { port: options.port ?? 0, host });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || !options.port) throw error;
      await listen(tcp, { port: 0, host }); // the port is taken: any free one will do
    }
    const address = tcp.address();
    port = typeof address === 'object' && address ? address.port : null;
    servers.push(tcp);
  }
  if (options.unixSocket) {
    await rm(options.unixSocket, { force: true });
    const unix = createNetServer((s) => accept(s));
    await listen(unix, { path: options.unixSocket });
    servers.push(unix);
  }

  return {
    host,
    port,
    url: port === null ? null : `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    unixSocket: options.unixSocket ?? null,
    requests,
    get overflowed() {
      return overflowed;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
      http.close();
      if (options.unixSocket) await rm(options.unixSocket, { force: true });
    },
  };
}
