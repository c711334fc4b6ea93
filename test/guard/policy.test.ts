/**
 * The pure policy core: telltale.yaml validation (errors with file:line:col), the safe
 * defaults, longest-prefix routing and the egress allow list. No I/O, no processes.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, defaultConfig, parseConfig } from '../../src/core/policy/config.js';
import { endpointOf, interceptTargets, matchRoute, sortRoutes } from '../../src/core/policy/routes.js';
import { decideEgress, egressPolicy } from '../../src/core/policy/egress.js';

function configError(text: string): string {
  try {
    parseConfig(text, 'telltale.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('telltale.yaml', () => {
  it('has safe defaults without a file', () => {
    const c = defaultConfig();
    expect(c.listenHost).toBe('127.0.0.1');
    expect(c.listenPort).toBe(8377);
    expect(c.routes.map((r) => r.upstream)).toEqual(['https://api.anthropic.com', 'https://api.openai.com', 'https://generativelanguage.googleapis.com']);
    expect(c.egress.default).toBe('deny');
    expect(c.inspect).toMatchObject({ hiddenChannels: 'log', secrets: 'redact', denyPathsAction: 'block' });
    expect(c.inspect.denyPaths).toContain('**/.env');
    expect(c.audit).toMatchObject({ store: 'sqlite:./telltale-audit.db', bodies: 'redacted' });
    // Egress: only the configured upstream hosts.
    const e = egressPolicy(c);
    expect(decideEgress(e, 'api.anthropic.com', 443).allowed).toBe(true);
    expect(decideEgress(e, 'statsig.anthropic.com', 443).allowed).toBe(false);
  });

  it('accepts the documented example', () => {
    const c = parseConfig(`
listen: 127.0.0.1:8377
routes:
  - prefix: /
    upstream: https://api.anthropic.com
    api: anthropic
  - prefix: /openai
    upstream: https://api.openai.com
    api: openai
egress:
  default: deny
  allow: [api.anthropic.com, "*.github.com"]
inspect:
  hiddenChannels: neutralize
  secrets: redact
  denyPaths: ["**/.env", "**/.ssh/**"]
audit:
  store: sqlite:./telltale-audit.db
  bodies: redacted
limits:
  maxBodyBytes: 1048576
`);
    expect(c.routes).toHaveLength(2);
    expect(c.inspect.denyPaths).toEqual(['**/.env', '**/.ssh/**']);
    expect(c.limits.maxBodyBytes).toBe(1048576);
  });

  it('names file, line and column of each error', () => {
    expect(configError('listen: 127.0.0.1:8377\ninspect:\n  secrets: erase\n')).toMatch(/^telltale\.yaml:3:12: inspect\.secrets .*log.*redact.*block/);
    expect(configError('inspect:\n  hiddenChanels: log\n')).toBe("telltale.yaml:2:3: inspect: unknown key 'hiddenChanels'");
    expect(configError('routes:\n  - prefix: /\n    upstream: ftp://x\n')).toMatch(/^telltale\.yaml:3:15: routes\.0\.upstream must be an http\(s\) URL/);
    expect(configError('routes: [\n')).toMatch(/^telltale\.yaml:\d+:\d+: /);
    expect(configError('limits:\n  maxBodyBytes: 10\n')).toMatch(/^telltale\.yaml:2:17: limits\.maxBodyBytes/);
    expect(configError('listen: everywhere\n')).toMatch(/^telltale\.yaml:1:9: listen must be HOST:PORT/);
    expect(configError('tls:\n  intercept: sometimes\n')).toMatch(/^telltale\.yaml:2:14: tls\.intercept/);
    expect(configError('tls:\n  interceptHosts: []\n')).toBe("telltale.yaml:2:3: tls: unknown key 'interceptHosts'");
  });

  it('has TLS interception off by default, and on when asked', () => {
    expect(defaultConfig().tls).toEqual({ intercept: false, caDir: null, upstreamCaFile: null });
    expect(parseConfig('tls:\n  intercept: true\n  caDir: ~/ca\n').tls).toEqual({ intercept: true, caDir: '~/ca', upstreamCaFile: null });
  });
});

describe('routes', () => {
  const routes = sortRoutes([
    { prefix: '/', upstream: 'https://api.anthropic.com', api: 'anthropic' },
    { prefix: '/openai', upstream: 'https://api.openai.com', api: 'openai' },
    { prefix: '/openai/azure', upstream: 'https://example.openai.azure.com/openai', api: 'openai' },
  ]);

  it('longest prefix wins, on a segment boundary, and the prefix is replaced by the upstream path', () => {
    expect(matchRoute(routes, '/v1/messages?beta=true')).toMatchObject({ route: { prefix: '/' }, upstreamPath: '/v1/messages?beta=true' });
    expect(matchRoute(routes, '/openai/v1/chat/completions')).toMatchObject({ route: { prefix: '/openai' }, upstreamPath: '/v1/chat/completions' });
    expect(matchRoute(routes, '/openai/azure/deployments/x/chat/completions')).toMatchObject({ route: { prefix: '/openai/azure' }, upstreamPath: '/openai/deployments/x/chat/completions' });
    // '/openaiX' is not under '/openai'.
    expect(matchRoute(routes, '/openaiX/v1')!.route.prefix).toBe('/');
  });

  it('intercepts only https upstreams, by host and port, the first route of an upstream winning', () => {
    const targets = interceptTargets([
      { prefix: '/', upstream: 'https://API.anthropic.com', api: 'anthropic' },
      { prefix: '/again', upstream: 'https://api.anthropic.com/v1', api: 'passthrough' },
      { prefix: '/local', upstream: 'http://127.0.0.1:9000', api: 'openai' },
      { prefix: '/ip', upstream: 'https://[::1]:8443', api: 'openai' },
    ]);
    expect([...targets.keys()]).toEqual(['api.anthropic.com:443', '::1:8443']);
    expect(targets.get('api.anthropic.com:443')!.prefix).toBe('/');
  });

  it('knows the inspected endpoints', () => {
    expect(endpointOf('anthropic', '/v1/messages')).toBe('anthropic-messages');
    expect(endpointOf('anthropic', '/v1/messages/count_tokens')).toBe('other');
    expect(endpointOf('openai', '/v1/chat/completions')).toBe('openai-chat');
    expect(endpointOf('openai', '/v1/responses')).toBe('openai-responses');
    expect(endpointOf('gemini', '/v1beta/models/gemini-2.5-pro:streamGenerateContent')).toBe('gemini-generate');
  });
});

describe('egress', () => {
  const c = parseConfig('egress:\n  allow: ["*.github.com", "registry.npmjs.org:443"]\n  deny: ["evil.github.com"]\nroutes:\n  - prefix: /\n    upstream: https://api.anthropic.com\n    api: anthropic\n');
  const p = egressPolicy(c);

  it('allows listed hosts (wildcards match subdomains, not the apex), denies the rest; deny wins', () => {
    expect(decideEgress(p, 'api.github.com', 443)).toEqual({ allowed: true, rule: 'egress.allow *.github.com' });
    expect(decideEgress(p, 'github.com', 443).allowed).toBe(false);
    expect(decideEgress(p, 'registry.npmjs.org', 443).allowed).toBe(true);
    expect(decideEgress(p, 'registry.npmjs.org', 80).allowed).toBe(false);
    expect(decideEgress(p, 'evil.github.com', 443)).toEqual({ allowed: false, rule: 'egress.deny evil.github.com' });
    expect(decideEgress(p, 'api.anthropic.com', 443).allowed).toBe(true);
    expect(decideEgress(p, 'telemetry.example.com', 443)).toEqual({ allowed: false, rule: 'egress.default deny' });
  });
});
