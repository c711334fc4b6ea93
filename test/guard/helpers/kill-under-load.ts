/**
 * The load half of the durability tests: concurrent clients send requests through a real
 * guard (every third one streamed) until enough exchanges completed, then the guard is
 * killed with SIGKILL while many are in flight. Returns what each client saw.
 */
import http from 'node:http';
import type { GuardProcess } from './guard-process.js';

export interface ExchangeOutcome {
  /** The guard's record id (X-Telltale-Request-Id), when the response headers arrived. */
  id: string | undefined;
  /** The client saw the response complete. */
  ended: boolean;
}

function one(url: string, headers: Record<string, string>, stream: boolean, n: number): Promise<ExchangeOutcome> {
  return new Promise((resolve) => {
    let id: string | undefined;
    const req = http.request(`${url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      id = res.headers['x-telltale-request-id'] as string | undefined;
      res.on('data', () => {});
      res.on('end', () => resolve({ id, ended: res.complete }));
      res.on('error', () => resolve({ id, ended: false }));
      res.on('aborted', () => resolve({ id, ended: false }));
    });
    req.on('error', () => resolve({ id, ended: false }));
    req.end(JSON.stringify({ model: 'm', stream, messages: [{ role: 'user', content: `request ${n} ${'context '.repeat(500)}` }] }));
  });
}

export async function killUnderLoad(guard: GuardProcess, options: { clients: number; completed: number; headers?: Record<string, string> }): Promise<ExchangeOutcome[]> {
  const outcomes: ExchangeOutcome[] = [];
  let stop = false;
  let n = 0;
  const client = async () => {
    while (!stop) {
      const o = await one(guard.url, options.headers ?? {}, n % 3 === 0, n++);
      outcomes.push(o);
      if (!o.id && !o.ended) break;
    }
  };
  const clients = Array.from({ length: options.clients }, client);
  // Kill once enough exchanges completed (bounded: 8 s), while many are in flight.
  const deadline = Date.now() + 8_000;
  while (outcomes.filter((o) => o.ended).length < options.completed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  await guard.kill('SIGKILL');
  stop = true;
  await Promise.all(clients);
  return outcomes;
}
