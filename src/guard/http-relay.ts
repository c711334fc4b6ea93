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
 * Pipes `upRes`'s body to `res` chunk by chunk, with backpressure, except the
 * bytes that complete a body of declared length: a client sees such a response
 * end with its last byte, not with res.end(), so those wait. After the record
 * is committed, end the response with `held()`. `onBytes` counts every chunk.
 */
export function relayHoldingLast(upRes: IncomingMessage, res: ServerResponse, onBytes: (n: number) => void): { held(): Buffer | undefined } {
  const declared = upRes.headers['content-length'] === undefined ? -1 : Number(upRes.headers['content-length']);
  let relayed = 0;
  let held: Buffer | undefined;
  upRes.on('data', (chunk: Buffer) => {
    relayed += chunk.length;
    onBytes(chunk.length);
    if (declared >= 0 && relayed >= declared) held = held ? Buffer.concat([held, chunk]) : chunk;
    else if (!res.write(chunk)) upRes.pause();
  });
  res.on('drain', () => upRes.resume());
  return { held: () => held };
}
