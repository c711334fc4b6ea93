/**
 * network-endpoint — every URL the code carries, classified.
 *
 * What it finds: `http(s)://` and `ws(s)://` URLs in string literals and
 * templates, one finding per host per file, classified as LLM API, telemetry /
 * analytics, error reporting, update check, or other.
 *
 * Why it matters: it is the map of where a tool can send data. New hosts between
 * releases are what `telltale diff` shows first. Always `note`: a telemetry
 * endpoint is normal for a product, but it must be known.
 *
 * Example: `fetch("https://telemetry.example.net/v1/events", …)`
 */
import type { Category, Finding, RuleMeta, SourceLocation } from '../findings.js';
import { locate, makeFinding, type DetectorContext, type DetectorResult } from './context.js';
import type { AstNode } from '../js/ast.js';

export const meta: RuleMeta = {
  id: 'TT006',
  name: 'network-endpoint',
  shortDescription: 'Network endpoint (URL) in the code, classified',
  help:
    'A URL the code can contact: LLM APIs, telemetry/analytics, error reporting, update checks and others. Review new hosts ' +
    'between releases and make sure the egress policy allows only what you expect.',
  category: 'network-endpoint',
  maxLevel: 'note',
};

export type EndpointClass = 'llm-api' | 'telemetry' | 'error-reporting' | 'update-check' | 'other';

/**
 * Known service domains by purpose. This is a knowledge base of public services
 * (like a browser's tracker list), used only to label hosts; an unknown host is
 * still reported as `other`.
 */
const CLASSES: ReadonlyArray<[EndpointClass, RegExp]> = [
  ['llm-api', /(^|\.)(api\.anthropic\.com|api\.openai\.com|generativelanguage\.googleapis\.com|aiplatform\.googleapis\.com|api\.deepseek\.com|dashscope(-intl)?\.aliyuncs\.com|api\.moonshot\.(cn|ai)|open\.bigmodel\.cn|api\.minimax(i)?\.(chat|io)|openrouter\.ai|api\.mistral\.ai|api\.groq\.com|api\.x\.ai|api\.together\.xyz|api\.fireworks\.ai|api\.cohere\.(ai|com)|bedrock-runtime\.[a-z0-9-]+\.amazonaws\.com|openai\.azure\.com|api\.perplexity\.ai)$/],
  ['telemetry', /(^|\.)(statsig(api)?\.(com|net)|featuregates\.org|segment\.(io|com)|mixpanel\.com|amplitude\.com|posthog\.com|datadoghq\.(com|eu)|browser-intake-[a-z0-9-]+\.datadoghq\.com|google-analytics\.com|googletagmanager\.com|honeycomb\.io|growthbook\.io|launchdarkly\.com|heap(analytics)?\.(io|com)|rudderstack\.com|newrelic\.com|nr-data\.net|clarity\.ms|hotjar\.com|logs?\.[a-z0-9-]+\.(com|io))$/],
  ['error-reporting', /(^|\.)(sentry\.io|ingest\.sentry\.io|bugsnag\.com|rollbar\.com|raygun\.(io|com)|honeybadger\.io)$/],
  ['update-check', /(^|\.)(registry\.npmjs\.org|registry\.yarnpkg\.com|api\.github\.com|objects\.githubusercontent\.com|storage\.googleapis\.com|releases\.[a-z0-9.-]+)$/],
];

/** Hosts that are identifiers or documentation, not destinations. */
const NOT_DESTINATIONS = /(^|\.)(w3\.org|example\.(com|org|net)|localhost|schema\.org|json-schema\.org|xmlns\.com|purl\.org|ns\.adobe\.com)$|^(127\.|0\.0\.0\.0|\[::1\])/;

export function classifyHost(host: string): EndpointClass {
  for (const [cls, re] of CLASSES) if (re.test(host)) return cls;
  return 'other';
}

export interface EndpointSite {
  node: AstNode;
  url: string;
  host: string;
  cls: EndpointClass;
}

const URL_RE = /\b(?:https?|wss?):\/\/([a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?)+)(?::\d{2,5})?(?:[/?#][^\s"'`<>]*)?/gi;
/**
 * The same without the word boundary before the scheme: compiled Rust and Go keep their
 * string constants back to back with no separator, so a URL in a native binary often
 * follows other text directly (Codex 0.169: `codex/responseshttps://api.openai.com/v1…`).
 */
const GLUED_URL_RE = new RegExp(URL_RE.source.slice(2), 'gi');

/**
 * The destination URLs in a text, with where each starts. `glued`: the text is native
 * strings, where a URL may follow other characters directly (GLUED_URL_RE).
 */
export function urlsIn(value: string, glued = false): Array<{ index: number; url: string; host: string; cls: EndpointClass }> {
  const out: Array<{ index: number; url: string; host: string; cls: EndpointClass }> = [];
  if (value.length < 10 || !value.includes('://')) return out;
  const re = glued ? GLUED_URL_RE : URL_RE;
  re.lastIndex = 0;
  for (let m = re.exec(value); m; m = re.exec(value)) {
    const host = m[1]!.toLowerCase();
    if (NOT_DESTINATIONS.test(host) || !/\.[a-z]{2,}$/.test(host)) continue;
    out.push({ index: m.index, url: m[0], host, cls: classifyHost(host) });
  }
  return out;
}

export function detect(ctx: DetectorContext): DetectorResult<EndpointSite> {
  const sites: EndpointSite[] = [];
  for (const { node, value } of ctx.collected.strings) {
    for (const u of urlsIn(value)) sites.push({ node, url: u.url, host: u.host, cls: u.cls });
  }
  const byHost = new Map<string, { site: EndpointSite; count: number }>();
  for (const s of sites) {
    const seen = byHost.get(s.host);
    if (seen) seen.count++;
    else byHost.set(s.host, { site: s, count: 1 });
  }
  const findings = [...byHost.values()].map(({ site, count }) => endpointFinding(site, count, locate(ctx, site.node.start, site.node.end), false));
  return { findings, sites };
}

/** The one TT006 finding for a host: its class, how often it occurs, the first URL. */
function endpointFinding(u: { url: string; host: string; cls: EndpointClass }, count: number, location: SourceLocation, native: boolean): Finding {
  const category: Category = u.cls === 'telemetry' || u.cls === 'error-reporting' ? 'telemetry' : 'network-endpoint';
  return makeFinding(
    meta,
    'note',
    `${labels[u.cls]} endpoint ${u.host}${native ? ' in native code' : ''}${count > 1 ? ` (${count} references)` : ''}: ${u.url.length > 100 ? u.url.slice(0, 97) + '…' : u.url}`,
    location,
    { key: `host:${u.host}`, host: u.host, class: u.cls, ...(native ? { native: true } : {}) },
    { category },
  );
}

const labels: Record<EndpointClass, string> = {
  'llm-api': 'LLM API',
  telemetry: 'Telemetry/analytics',
  'error-reporting': 'Error-reporting',
  'update-check': 'Update-check',
  other: 'Network',
};

/** A printable string taken out of native code, with its byte offset in the file. */
export interface NativeString {
  text: string;
  byteOffset: number;
}

/**
 * Endpoints in the printable strings of native code (executables without embedded
 * JavaScript, other binaries). Only hosts of consequence are reported — LLM APIs,
 * telemetry, error reporting, update checks — one finding per host per file: native
 * code is full of documentation and licence links (ripgrep names github.com and
 * sourceforge.net) that say nothing about where the program sends data, while a
 * telemetry host compiled into a native helper is exactly what a reviewer must see.
 */
export function detectInNativeStrings(file: string, strings: readonly NativeString[]): Finding[] {
  const byHost = new Map<string, { s: NativeString; u: ReturnType<typeof urlsIn>[number]; count: number }>();
  for (const s of strings) {
    for (const u of urlsIn(s.text, true)) {
      if (u.cls === 'other') continue;
      const seen = byHost.get(u.host);
      if (seen) seen.count++;
      else byHost.set(u.host, { s, u, count: 1 });
    }
  }
  return [...byHost.values()].map(({ s, u, count }) => {
    const location: SourceLocation = {
      file,
      // Offsets within the extracted string, as for JavaScript extracted from a binary.
      line: 1,
      column: u.index + 1,
      offset: u.index,
      length: u.url.length,
      snippet: s.text.length > 160 ? s.text.slice(Math.max(0, u.index - 40), u.index + 120) : s.text,
      byteOffset: s.byteOffset + Buffer.byteLength(s.text.slice(0, u.index), 'utf8'),
    };
    return endpointFinding(u, count, location, true);
  });
}
