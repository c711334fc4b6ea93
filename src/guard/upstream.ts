/**
 * The reverse proxy's client for the LLM APIs: undici's dispatcher, driven through its
 * handler API (callbacks, no streams). Measured here against node:http's
 * `http.request` in the same guard-shaped proxy (100 KB bodies, 32 clients, interleaved):
 * ~250 against ~330 µs of proxy CPU per request; the difference is node:http's
 * ClientRequest/OutgoingMessage machinery. The forward proxy (forward-proxy.ts) keeps
 * node:http: it pipes arbitrary traffic and is not on the hot path.
 *
 * HTTP/1.1 only (allowH2: false), as with node:https before: the headers forwarded are
 * HTTP/1.1's. Upstream TLS is verified against Node's CAs plus the configured extra ones.
 */
import tls from 'node:tls';
import { Agent, errors, type Dispatcher } from 'undici';

export type UpstreamHandler = Dispatcher.DispatchHandler;
export type UpstreamController = Dispatcher.DispatchController;

export interface UpstreamClientOptions {
  /** Extra CA certificates (PEM) trusted besides Node's defaults. */
  extraCa?: string;
  /** Time allowed for the response's headers, and between its body chunks. */
  timeoutMs: number;
}

export class UpstreamClient {
  private readonly agent: Agent;
  readonly timeoutMs: number;

  constructor(options: UpstreamClientOptions) {
    this.timeoutMs = options.timeoutMs;
    const defaults = typeof tls.getCACertificates === 'function' ? tls.getCACertificates('default') : [...tls.rootCertificates];
    this.agent = new Agent({
      connections: 256,
      allowH2: false,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      keepAliveTimeout: 60_000,
      ...(options.extraCa ? { connect: { ca: [...defaults, options.extraCa] } } : {}),
    });
  }

  /**
   * Sends one request. `headers` are raw (name, value, …) and end-to-end; they must
   * not carry hop-by-hop headers, `expect` or a `content-length` that differs from `body`.
   */
  send(origin: string, method: string, path: string, headers: string[], body: Buffer, handler: UpstreamHandler): void {
    try {
      this.agent.dispatch({ origin, method, path, headers, body, idempotent: false }, handler);
    } catch (error) {
      // Invalid options are thrown, not reported through the handler.
      handler.onResponseError?.(DETACHED, error instanceof Error ? error : new Error(String(error)));
    }
  }

  async close(): Promise<void> {
    await this.agent.destroy();
  }
}

/** A controller for errors raised before undici made one. */
const DETACHED: UpstreamController = {
  aborted: true,
  paused: false,
  reason: null,
  abort() {},
  pause() {},
  resume() {},
};

/** Whether `error` is undici's headers or body timeout. */
export function isUpstreamTimeout(error: Error): boolean {
  return error instanceof errors.HeadersTimeoutError || error instanceof errors.BodyTimeoutError;
}

/**
 * The reason an upstream exchange failed, as a short code or phrase: the system error
 * code when there is one (ECONNREFUSED, ECONNRESET, a TLS verification code), else the
 * message of undici's error ("other side closed").
 */
export function upstreamFailure(error: Error): string {
  const e = error as Error & { code?: unknown; cause?: unknown };
  const cause = e.cause as (Error & { code?: unknown }) | undefined;
  if (typeof e.code === 'string' && !e.code.startsWith('UND_ERR')) return e.code;
  if (cause && typeof cause.code === 'string') return cause.code;
  return e.message || (typeof e.code === 'string' ? e.code : 'unknown error');
}

/** Response headers as raw (name, value, …) strings, names in the upstream's case. */
export function rawResponseHeaders(controller: UpstreamController, parsed: Record<string, string | string[] | undefined>): string[] {
  const raw = controller.rawHeaders;
  const out: string[] = [];
  if (Array.isArray(raw)) {
    for (const item of raw) out.push(typeof item === 'string' ? item : item.toString('latin1'));
    return out;
  }
  for (const [name, value] of Object.entries(parsed)) {
    if (Array.isArray(value)) for (const v of value) out.push(name, v);
    else if (value !== undefined) out.push(name, value);
  }
  return out;
}
