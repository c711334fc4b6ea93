/**
 * What both proxies of the guard (the API reverse proxy in server.ts and the
 * forward proxy for other egress) do the same way with HTTP messages: drop
 * hop-by-hop headers, and relay a response body so that the client cannot see
 * the response end before its audit record is committed.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Hop-by-hop headers (RFC 9110 §7.6.1): they describe one connection, never the message. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/** Raw headers (name, value, …) without hop-by-hop ones, those the Connection header lists, and `skip`. */
export function endToEndHeaders(raw: string[], skip?: ReadonlySet<string>): string[] {
  const out: string[] = [];
  const connectionListed = new Set<string>();
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.toLowerCase() === 'connection') for (const t of raw[i + 1]!.split(',')) connectionListed.add(t.trim().toLowerCase());
  }
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || connectionListed.has(lower) || skip?.has(lower)) continue;
    out.push(name, raw[i + 1]!);
  }
  return out;
}

/**
 * Relays a response body to `res` chunk by chunk, except the bytes that complete a body
 * of declared length (`declared`, or -1): a client sees such a response end with its
 * last byte, not with res.end(), so those wait. After the record is committed, end the
 * response with `held()`. Used with both upstream clients (node:http's IncomingMessage
 * in the forward proxy, undici's handler in the reverse proxy).
 */
export class HeldLastRelay {
  private relayed = 0;
  private heldBytes: Buffer | undefined;
  constructor(
    private readonly res: ServerResponse,
    private readonly declared: number,
  ) {}

  /** Relays (or holds) `chunk`; false when `res` wants the source paused until its 'drain'. */
  push(chunk: Buffer): boolean {
    this.relayed += chunk.length;
    if (this.declared >= 0 && this.relayed >= this.declared) {
      this.heldBytes = this.heldBytes ? Buffer.concat([this.heldBytes, chunk]) : chunk;
      return true;
    }
    return this.res.write(chunk);
  }

  held(): Buffer | undefined {
    return this.heldBytes;
  }
}

/** HeldLastRelay over a node:http response, with backpressure. `onBytes` counts every chunk. */
export function relayHoldingLast(upRes: IncomingMessage, res: ServerResponse, onBytes: (n: number) => void): { held(): Buffer | undefined } {
  const relay = new HeldLastRelay(res, upRes.headers['content-length'] === undefined ? -1 : Number(upRes.headers['content-length']));
  upRes.on('data', (chunk: Buffer) => {
    onBytes(chunk.length);
    if (!relay.push(chunk)) upRes.pause();
  });
  res.on('drain', () => upRes.resume());
  return relay;
}
