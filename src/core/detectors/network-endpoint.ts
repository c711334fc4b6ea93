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
import type { Category, RuleMeta } from '../findings.js';
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

export function detect(ctx: DetectorContext): DetectorResult<EndpointSite> {
  const sites: EndpointSite[] = [];
  for (const { node, value } of ctx.collected.strings) {
    if (value.length < 10 || !value.includes('://')) continue;
    URL_RE.lastIndex = 0;
    for (let m = URL_RE.exec(value); m; m = URL_RE.exec(value)) {
      const host = m[1]!.toLowerCase();
      if (NOT_DESTINATIONS.test(host) || !/\.[a-z]{2,}$/.test(host)) continue;
      sites.push({ node, url: m[0], host, cls: classifyHost(host) });
    }
  }
  const byHost = new Map<string, { site: EndpointSite; count: number }>();
  for (const s of sites) {
    const seen = byHost.get(s.host);
    if (seen) seen.count++;
    else byHost.set(s.host, { site: s, count: 1 });
  }
  const findings = [...byHost.values()].map(({ site, count }) => {
    const telemetry = site.cls === 'telemetry' || site.cls === 'error-reporting';
    const category: Category = telemetry ? 'telemetry' : 'network-endpoint';
    return makeFinding(
      meta,
      'note',
      `${labels[site.cls]} endpoint ${site.host}${count > 1 ? ` (${count} references)` : ''}: ${site.url.length > 100 ? site.url.slice(0, 97) + '…' : site.url}`,
      locate(ctx, site.node.start, site.node.end),
      { key: `host:${site.host}`, host: site.host, class: site.cls },
      { category },
    );
  });
  return { findings, sites };
}

const labels: Record<EndpointClass, string> = {
  'llm-api': 'LLM API',
  telemetry: 'Telemetry/analytics',
  'error-reporting': 'Error-reporting',
  'update-check': 'Update-check',
  other: 'Network',
};
