/**
 * Aligning requests across runs: the n-th call of an endpoint in one run is
 * compared with the matching call in the other. Requests to the API base URL are
 * keyed relative to it (the base-URL host is itself a factor, so
 * `api.deepseek.com/anthropic/v1/messages` and `api.anthropic.com/v1/messages`
 * are the same endpoint). Within an endpoint, order decides, refined by content
 * similarity when the counts differ. Pure.
 */
import { createHash } from 'node:crypto';
import { jsonStringLeaves } from '../json-pointer.js';
import type { RequestInput } from './types.js';

/** Official API hosts: requests to them are API requests even when no base URL was set. */
export const OFFICIAL_API_BASES = [
  'https://api.anthropic.com',
  'https://api.openai.com/v1',
  'https://generativelanguage.googleapis.com',
];

interface Base {
  host: string;
  prefix: string;
}

function parseBases(urls: readonly string[]): Base[] {
  const out: Base[] = [];
  for (const u of urls) {
    try {
      const url = new URL(u);
      out.push({ host: url.hostname.toLowerCase(), prefix: url.pathname.replace(/\/+$/, '') });
    } catch {
      // not a URL: ignore
    }
  }
  // Shortest prefix first: with nested bases (`/api` for Anthropic, `/api/v1` for OpenAI) the
  // shorter one leaves the path as the official API spells it (`/v1/messages`).
  return out.sort((a, b) => a.prefix.length - b.prefix.length);
}

/** The alignment form of an API path: a leading version segment dropped (`/v1/messages` and `/api/paas/v4` + `/chat/completions` meet). */
function apiKeyPath(rel: string): string {
  return rel.replace(/^\/v\d+(?:beta\d*|alpha\d*)?(?=\/)/, '');
}

function normalizePathSegment(seg: string): string {
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(seg)) return ':id';
  if (/^\d{3,}$/.test(seg) || /^[0-9a-f]{12,}$/i.test(seg) || /^[A-Za-z]{2,12}[_-][A-Za-z0-9]{10,}$/.test(seg)) return ':id';
  return seg;
}

/** Path without id-like segments and with sorted query keys (values dropped: they are compared as a field). */
export function normalizePath(path: string): string {
  const [p = '/', q] = path.split('?', 2);
  const segs = p.split('/').map(normalizePathSegment).join('/');
  if (!q) return segs;
  const keys = [...new Set(q.split('&').map((kv) => kv.split('=')[0]!))].sort();
  return `${segs}?${keys.join('&')}`;
}

export interface RequestIdentity {
  /** The endpoint as shown to a person: `POST /v1/messages` (API) or `POST collector.example.net/v1/t`. */
  endpoint: string;
  /** The alignment key. */
  key: string;
  /** True for requests to the base URL / official API hosts. */
  api: boolean;
  /** Path relative to the base URL without a leading version segment (API), or the whole path. */
  relativePath: string;
}

export function identify(req: RequestInput, apiBases: readonly string[]): RequestIdentity {
  if (req.method === 'CONNECT') {
    return { endpoint: `CONNECT ${req.host}`, key: `CONNECT ${req.host}`, api: false, relativePath: '' };
  }
  const host = req.host.toLowerCase();
  for (const base of parseBases([...apiBases, ...OFFICIAL_API_BASES])) {
    if (host !== base.host) continue;
    const [p = '/'] = req.path.split('?', 1);
    if (base.prefix && p !== base.prefix && !p.startsWith(`${base.prefix}/`)) continue;
    const rest = req.path.slice(base.prefix.length) || '/';
    const rel = rest.startsWith('/') ? rest : `/${rest}`;
    const np = normalizePath(rel);
    return { endpoint: `${req.method} ${np.split('?')[0]}`, key: `api ${req.method} ${apiKeyPath(np)}`, api: true, relativePath: apiKeyPath(rel) };
  }
  const np = normalizePath(req.path);
  return { endpoint: `${req.method} ${host}${np.split('?')[0]}`, key: `${req.method} ${host}${np}`, api: false, relativePath: req.path };
}

/** A cheap content fingerprint of a request: hashes of its string leaves (for similarity). */
export function fingerprint(req: RequestInput): Set<string> {
  const out = new Set<string>();
  const leaves = req.json !== undefined ? jsonStringLeaves(req.json) : [{ pointer: '', value: req.body }];
  for (const leaf of leaves.slice(0, 5000)) {
    out.add(createHash('sha1').update(leaf.pointer).update('\0').update(leaf.value.slice(0, 4096)).digest('base64').slice(0, 12));
  }
  return out;
}

function similarity(a: Set<string>, b: Set<string>): number {
  if (a.size === 0 && b.size === 0) return 1;
  let common = 0;
  for (const x of a) if (b.has(x)) common++;
  return common / Math.max(a.size, b.size);
}

/**
 * Pairs the requests of two runs: for each variant request, the index of the
 * matching reference request (or -1 for an extra request). Within a key, equal
 * counts pair in order; otherwise an order-preserving alignment maximises content
 * similarity (`print` gives a request's fingerprint, computed only when needed).
 */
export function alignRequests(
  referenceKeys: readonly string[],
  variantKeys: readonly string[],
  print: (side: 'reference' | 'variant', index: number) => Set<string>,
): number[] {
  const result: number[] = new Array<number>(variantKeys.length).fill(-1);
  const byKey = new Map<string, { ref: number[]; vari: number[] }>();
  referenceKeys.forEach((key, i) => {
    const e = byKey.get(key) ?? { ref: [], vari: [] };
    e.ref.push(i);
    byKey.set(key, e);
  });
  variantKeys.forEach((key, i) => {
    const e = byKey.get(key) ?? { ref: [], vari: [] };
    e.vari.push(i);
    byKey.set(key, e);
  });
  for (const { ref, vari } of byKey.values()) {
    if (ref.length === 0 || vari.length === 0) continue;
    if (ref.length === vari.length) {
      vari.forEach((vi, k) => (result[vi] = ref[k]!));
      continue;
    }
    const n = ref.length;
    const m = vari.length;
    const sim = ref.map((ri) => vari.map((vi) => similarity(print('reference', ri), print('variant', vi))));
    const score: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        score[i]![j] = Math.max(sim[i]![j]! + score[i + 1]![j + 1]!, score[i + 1]![j]!, score[i]![j + 1]!);
      }
    }
    let i = 0;
    let j = 0;
    while (i < n && j < m) {
      const pair = sim[i]![j]! + score[i + 1]![j + 1]!;
      if (pair >= score[i + 1]![j]! && pair >= score[i]![j + 1]!) {
        result[vari[j]!] = ref[i]!;
        i++;
        j++;
      } else if (score[i + 1]![j]! >= score[i]![j + 1]!) i++;
      else j++;
    }
  }
  return result;
}
