/**
 * `telltale.yaml`: the guard's configuration. Validated with a schema; every error
 * names the file, line and column of the offending key, so a typo is a one-line fix.
 * Without a file the defaults are safe: loopback only, the official upstreams, egress
 * denied except those upstream hosts, hidden channels logged, secrets redacted, denied
 * paths blocked, a SQLite audit log in the working directory. Pure: no I/O.
 */
import { LineCounter, parseDocument, isNode } from 'yaml';
import { z } from 'zod';

export const API_KINDS = ['anthropic', 'openai', 'gemini', 'passthrough'] as const;
export type ApiKind = (typeof API_KINDS)[number];

const hostPort = z
  .string()
  .regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/, 'must be HOST:PORT, e.g. 127.0.0.1:8377')
  .refine((s) => Number(s.slice(s.lastIndexOf(':') + 1)) <= 65535, 'port must be 0-65535');

const upstreamUrl = z
  .string()
  .refine((s) => {
    try {
      const u = new URL(s);
      return (u.protocol === 'http:' || u.protocol === 'https:') && !u.search && !u.hash && !u.username;
    } catch {
      return false;
    }
  }, 'must be an http(s) URL without query, fragment or credentials, e.g. https://api.anthropic.com');

const prefix = z.string().regex(/^\/[^?#\s]*$/, "must start with '/' (a path prefix, no query)");

const hostPattern = z
  .string()
  .regex(/^(\*\.)?[A-Za-z0-9*.-]+(:\d{1,5})?$/, "must be a host name, optionally with a leading '*.' wildcard and ':PORT'");

const routeSchema = z.strictObject({
  prefix,
  upstream: upstreamUrl,
  api: z.enum(API_KINDS).default('passthrough'),
});

const configSchema = z.strictObject({
  listen: hostPort.default('127.0.0.1:8377'),
  routes: z.array(routeSchema).min(1, 'needs at least one route').optional(),
  egress: z
    .strictObject({
      default: z.enum(['deny', 'allow']).default('deny'),
      allow: z.array(hostPattern).default([]),
      deny: z.array(hostPattern).default([]),
    })
    .prefault({}),
  inspect: z
    .strictObject({
      hiddenChannels: z.enum(['log', 'neutralize', 'block']).default('log'),
      secrets: z.enum(['log', 'redact', 'block']).default('redact'),
      denyPaths: z.array(z.string().min(1)).optional(),
      denyPathsAction: z.enum(['log', 'block']).default('block'),
    })
    .prefault({}),
  limits: z
    .strictObject({
      maxBodyBytes: z.number().int().min(1024).max(1024 * 1024 * 1024).default(32 * 1024 * 1024),
      upstreamTimeoutMs: z.number().int().min(100).default(600_000),
      connectTimeoutMs: z.number().int().min(100).default(10_000),
    })
    .prefault({}),
  tls: z
    .strictObject({
      // TLS interception of CONNECTs to the https routes' upstream hosts (docs/guard.md).
      intercept: z.boolean().default(false),
      /** Where the interception CA is kept; default $XDG_CONFIG_HOME/telltale/ca or ~/.config/telltale/ca. */
      caDir: z.string().min(1).nullable().default(null),
      /** PEM file of extra CAs trusted for upstream TLS (a corporate proxy's), added to Node's defaults. */
      upstreamCaFile: z.string().min(1).nullable().default(null),
    })
    .prefault({}),
  audit: z
    .strictObject({
      store: z
        .string()
        .regex(/^(sqlite:.+|postgres(ql)?:\/\/.+|none)$/, "must be 'sqlite:PATH', 'postgres://…' or 'none'")
        .default('sqlite:./telltale-audit.db'),
      bodies: z.enum(['none', 'redacted', 'full']).default('redacted'),
      maxFieldBytes: z.number().int().min(256).default(64 * 1024),
      retentionDays: z.number().int().min(1).nullable().default(30),
      fsync: z.enum(['normal', 'always']).default('normal'),
    })
    .prefault({}),
});

export type RouteConfig = z.infer<typeof routeSchema>;
type ParsedConfig = z.infer<typeof configSchema>;

export interface GuardConfig extends Omit<ParsedConfig, 'routes' | 'inspect'> {
  routes: RouteConfig[];
  inspect: Omit<ParsedConfig['inspect'], 'denyPaths'> & { denyPaths: string[] };
  listenHost: string;
  listenPort: number;
}

export const DEFAULT_ROUTES: RouteConfig[] = [
  { prefix: '/', upstream: 'https://api.anthropic.com', api: 'anthropic' },
  { prefix: '/openai', upstream: 'https://api.openai.com', api: 'openai' },
  { prefix: '/gemini', upstream: 'https://generativelanguage.googleapis.com', api: 'gemini' },
];

/** Files whose content must not leave the machine unless the config says otherwise. */
export const DEFAULT_DENY_PATHS = [
  '**/.env',
  '**/.env.*',
  '**/.ssh/**',
  '**/.aws/credentials',
  '**/.netrc',
  '**/.npmrc',
  '**/.pypirc',
  '**/.docker/config.json',
  '**/.kube/config',
  '**/*.pem',
  '**/id_rsa',
  '**/id_ed25519',
];

/** A configuration error: one line, with file:line:col. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

function finish(parsed: ParsedConfig): GuardConfig {
  const colon = parsed.listen.lastIndexOf(':');
  const listenHost = parsed.listen.slice(0, colon).replace(/^\[|\]$/g, '');
  return {
    ...parsed,
    routes: parsed.routes ?? DEFAULT_ROUTES,
    inspect: { ...parsed.inspect, denyPaths: parsed.inspect.denyPaths ?? DEFAULT_DENY_PATHS },
    listenHost,
    listenPort: Number(parsed.listen.slice(colon + 1)),
  };
}

export function defaultConfig(): GuardConfig {
  return finish(configSchema.parse({}));
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const where = issue.path.map(String).join('.') || '(top level)';
  if (issue.code === 'unrecognized_keys') return `${where}: unknown key ${issue.keys.map((k) => `'${k}'`).join(', ')}`;
  return `${where} ${issue.message.replace(/^Invalid input: /, '')}`;
}

/**
 * Parses and validates a telltale.yaml text. Throws ConfigError naming
 * `file:line:col` for YAML syntax errors and schema violations alike.
 */
export function parseConfig(text: string, file = 'telltale.yaml'): GuardConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const syntax = doc.errors[0];
  if (syntax) {
    const pos = lineCounter.linePos(syntax.pos[0]);
    throw new ConfigError(`${file}:${pos.line}:${pos.col}: ${syntax.message.split('\n')[0]}`);
  }
  const raw: unknown = doc.toJS() ?? {};
  const result = configSchema.safeParse(raw);
  if (result.success) return finish(result.data);
  const issue = result.error.issues[0]!;
  // Point at the deepest node that exists on the issue's path.
  let path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  if (issue.code === 'unrecognized_keys' && issue.keys[0]) path = [...path, issue.keys[0]];
  let offset = 0;
  for (let n = path.length; n >= 0; n--) {
    const node: unknown = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    if (issue.code === 'unrecognized_keys' && n === path.length) {
      // The key node itself, not its value.
      const parent: unknown = path.length > 1 ? doc.getIn(path.slice(0, -1), true) : doc.contents;
      const pair = parent && typeof parent === 'object' && 'items' in parent
        ? (parent as { items: { key: unknown }[] }).items.find((p) => isNode(p.key) && (p.key as { value?: unknown }).value === path[path.length - 1])
        : undefined;
      if (pair && isNode(pair.key) && pair.key.range) {
        offset = pair.key.range[0];
        break;
      }
      continue;
    }
    if (isNode(node) && node.range) {
      offset = node.range[0];
      break;
    }
  }
  const pos = lineCounter.linePos(offset);
  throw new ConfigError(`${file}:${pos.line}:${pos.col}: ${describeIssue(issue)}`);
}
