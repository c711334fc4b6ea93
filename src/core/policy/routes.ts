/**
 * Reverse-proxy routing: the longest route prefix that matches the request path on a
 * segment boundary wins; the prefix is replaced by the upstream URL's path. Pure.
 */
import type { ApiKind, RouteConfig } from './config.js';

export interface RouteMatch {
  route: RouteConfig;
  /** Path (with query) to request on the upstream. */
  upstreamPath: string;
  /** The route's upstream URL, parsed once per route: read it, never change it. */
  upstream: URL;
}

export type Endpoint = 'anthropic-messages' | 'openai-chat' | 'openai-responses' | 'gemini-generate' | 'other';

function prefixMatches(prefix: string, path: string): boolean {
  if (prefix === '/') return true;
  const p = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  return path === p || path.startsWith(p + '/') || path.startsWith(p + '?');
}

/** Routes sorted longest prefix first, computed once per config. */
export function sortRoutes(routes: RouteConfig[]): RouteConfig[] {
  return [...routes].sort((a, b) => b.prefix.length - a.prefix.length);
}

/** Each route's parsed upstream, parsed once (shared: callers only read it). */
const UPSTREAM_URLS = new WeakMap<RouteConfig, { text: string; url: URL }>();
function upstreamUrl(route: RouteConfig): URL {
  const hit = UPSTREAM_URLS.get(route);
  if (hit && hit.text === route.upstream) return hit.url;
  const url = new URL(route.upstream);
  UPSTREAM_URLS.set(route, { text: route.upstream, url });
  return url;
}

export function matchRoute(sorted: RouteConfig[], pathWithQuery: string): RouteMatch | null {
  for (const route of sorted) {
    if (!prefixMatches(route.prefix, pathWithQuery)) continue;
    const p = route.prefix === '/' ? '' : route.prefix.replace(/\/$/, '');
    const rest = pathWithQuery.slice(p.length);
    const upstream = upstreamUrl(route);
    const base = upstream.pathname.replace(/\/$/, '');
    const tail = rest.startsWith('/') || rest.startsWith('?') || rest === '' ? rest : `/${rest}`;
    return { route, upstreamPath: `${base}${tail}` || '/', upstream };
  }
  return null;
}

/** Which API endpoint a request targets (decides how the body is read). */
export function endpointOf(api: ApiKind, upstreamPath: string): Endpoint {
  const path = upstreamPath.split('?')[0]!.replace(/\/+$/, '');
  if (api === 'anthropic' && /\/v1\/messages$/.test(path)) return 'anthropic-messages';
  if (api === 'openai' && /\/chat\/completions$/.test(path)) return 'openai-chat';
  if (api === 'openai' && /\/responses$/.test(path)) return 'openai-responses';
  if (api === 'gemini' && /:(stream)?[gG]enerateContent$/.test(path)) return 'gemini-generate';
  return 'other';
}

/**
 * The routes a TLS-intercepted CONNECT can reach, by `host:port` of their https
 * upstream (lower-case host, default port 443). When several routes share an upstream
 * the first in the configuration wins: inside the tunnel the agent sends the upstream's
 * own paths, so there is no prefix to tell them apart.
 */
export function interceptTargets(routes: readonly RouteConfig[]): Map<string, RouteConfig> {
  const out = new Map<string, RouteConfig>();
  for (const route of routes) {
    const url = upstreamUrl(route);
    if (url.protocol !== 'https:') continue;
    const key = `${url.hostname.replace(/^\[|\]$/g, '').toLowerCase()}:${url.port || 443}`;
    if (!out.has(key)) out.set(key, route);
  }
  return out;
}

/** The path to request upstream for a request received inside an intercepted tunnel. */
export function interceptedMatch(route: RouteConfig, pathWithQuery: string): RouteMatch {
  return { route, upstreamPath: pathWithQuery || '/', upstream: upstreamUrl(route) };
}
