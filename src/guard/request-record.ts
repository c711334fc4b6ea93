/**
 * What the reverse and the forward proxy share about a request's audit record: the
 * fields every record starts with, the agent it is attributed to, the elapsed-time
 * figure, and the response headers that carry both to the client.
 */
import type { IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import { newRecordId, type BeginRecord } from '../audit/record.js';

/** Time spent in the guard, in ms, on every response. */
export const OVERHEAD_HEADER = 'x-telltale-overhead-ms';
/** The audit record's id, on every response. */
export const REQUEST_ID_HEADER = 'x-telltale-request-id';

/** Milliseconds since `start` (a performance.now() reading), to the microsecond. */
export function elapsedMs(start: number): number {
  return Math.round((performance.now() - start) * 1000) / 1000;
}

/** The User-Agent (capped), or the name `telltale run` gave the agent, or null. */
export function agentOf(req: IncomingMessage, agentName: string | undefined): string | null {
  const ua = req.headers['user-agent'];
  return typeof ua === 'string' && ua ? ua.slice(0, 256) : agentName ?? null;
}

/** A new record: arrived now, nothing measured or found yet. */
export function newRequestRecord(
  req: IncomingMessage,
  agentName: string | undefined,
  fields: Pick<BeginRecord, 'kind' | 'route' | 'upstream' | 'method' | 'path' | 'host' | 'port' | 'action'>,
): BeginRecord {
  return {
    id: newRecordId(),
    time: new Date().toISOString(),
    timeMs: Date.now(),
    ...fields,
    overheadMs: null,
    bytesIn: 0,
    model: null,
    agent: agentOf(req, agentName),
    stream: false,
    findings: [],
    body: null,
  };
}
