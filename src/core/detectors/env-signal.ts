/**
 * env-signal — the code reads a signal about the machine or the person using it.
 *
 * What it finds: reads of the timezone (`Intl…resolvedOptions().timeZone`, `TZ`,
 * `getTimezoneOffset()`), locale (`LANG`, `LC_*`, `Intl` locale,
 * `navigator.language`), proxy variables, API base-URL variables, host and user
 * identity (`os.hostname()`, `os.userInfo()`, `USER`, `HOSTNAME`), network
 * interfaces, machine ids, git identity.
 *
 * Why it matters: these are the inputs of environment fingerprinting. Alone they
 * are ordinary (every HTTP client reads HTTPS_PROXY), so this rule reports at
 * `note`; the covert-channel rule raises the level when a read flows into an
 * invisible change of outgoing content.
 *
 * Example: `let tz = Intl.DateTimeFormat().resolvedOptions().timeZone`.
 */
import type { RuleMeta } from '../findings.js';
import { child, identifierName, memberPath, memberProperty, stringValue, unwrap, type AstNode } from '../js/ast.js';
import { locate, makeFinding, type DetectorContext, type DetectorResult } from './context.js';

export const meta: RuleMeta = {
  id: 'TT001',
  name: 'env-fingerprint',
  shortDescription: 'Reads an environment signal (timezone, locale, proxy, API host, identity)',
  help:
    'The code reads a property of the machine or its user that can single out a region or a person: timezone, locale, ' +
    'proxy settings, the API base URL, host/user names, network interfaces, machine ids or git identity. Reading these is ' +
    'common and usually legitimate; check what the value is compared with and where it goes (see TT007 covert-channel).',
  category: 'env-fingerprint',
  maxLevel: 'note',
};

export type SignalKind =
  | 'timezone'
  | 'locale'
  | 'proxy'
  | 'api-base-url'
  | 'host-identity'
  | 'user-identity'
  | 'network-interfaces'
  | 'machine-id'
  | 'git-identity';

export interface SignalSite {
  node: AstNode;
  kind: SignalKind;
  /** What was read, normalised: `env.TZ`, `Intl.resolvedOptions.timeZone`, `os.hostname()`. */
  api: string;
}

/** Classifies an environment variable name. */
export function envVariableKind(name: string): SignalKind | undefined {
  const n = name.toUpperCase();
  if (n === 'TZ') return 'timezone';
  if (n === 'LANG' || n === 'LANGUAGE' || n === 'LC_ALL' || n.startsWith('LC_')) return 'locale';
  if (/^(HTTPS?|ALL|NO|FTP|SOCKS)_PROXY$/.test(n)) return 'proxy';
  if (/(^|_)(BASE_URL|API_BASE|API_URL|API_HOST|ENDPOINT|BASE_PATH)$/.test(n) || /_(BASE|HOST)$/.test(n)) return 'api-base-url';
  if (n === 'HOSTNAME' || n === 'COMPUTERNAME' || n === 'HOST') return 'host-identity';
  if (n === 'USER' || n === 'USERNAME' || n === 'LOGNAME' || n === 'USERPROFILE') return 'user-identity';
  if (/^GIT_(AUTHOR|COMMITTER)_(NAME|EMAIL)$/.test(n)) return 'git-identity';
  return undefined;
}

const MEMBER_SIGNALS: ReadonlyArray<[RegExp, SignalKind, string]> = [
  [/resolvedOptions\(\)\.timeZone$/, 'timezone', 'Intl.resolvedOptions.timeZone'],
  [/resolvedOptions\(\)\.locale$/, 'locale', 'Intl.resolvedOptions.locale'],
  [/\bnavigator\.languages?$/, 'locale', 'navigator.language'],
];

const CALL_SIGNALS: ReadonlyArray<[RegExp, SignalKind, string]> = [
  [/\.getTimezoneOffset$/, 'timezone', 'Date.getTimezoneOffset()'],
  [/(^|\.)hostname$/, 'host-identity', 'os.hostname()'],
  [/(^|\.)userInfo$/, 'user-identity', 'os.userInfo()'],
  [/(^|\.)networkInterfaces$/, 'network-interfaces', 'os.networkInterfaces()'],
];

/** Strings that betray a machine-id or git-identity read when passed to fs/exec calls. */
const STRING_SIGNALS: ReadonlyArray<[RegExp, SignalKind, string]> = [
  [/\/etc\/machine-id|\/var\/lib\/dbus\/machine-id|IOPlatformUUID|MachineGuid|\bwmic\s+csproduct\b/i, 'machine-id', 'machine id'],
  [/\bgit\s+config\b[^"'`]*\buser\.(email|name)\b/, 'git-identity', 'git config user'],
];

function isEnvObject(node: AstNode | undefined): boolean {
  const path = memberPath(node);
  return path === 'process.env' || path === 'Deno.env' || path === 'Bun.env' || path === 'import.meta.env';
}

/** Classifies one node as a signal read, or undefined. Exported for the taint engine. */
/** Property and method names that can end a signal read: checked before building any member path (hot path). */
const SIGNAL_MEMBER_NAMES = new Set(['timeZone', 'locale', 'language', 'languages']);
const SIGNAL_CALL_NAMES = new Set(['getTimezoneOffset', 'hostname', 'userInfo', 'networkInterfaces', 'get']);

function isEnvHolder(node: AstNode | undefined): boolean {
  if (!node) return false;
  if (node.type === 'MemberExpression') return memberProperty(node) === 'env' && isEnvObject(node);
  return false;
}

export function signalOf(node: AstNode): { kind: SignalKind; api: string } | undefined {
  if (node.type === 'MemberExpression') {
    const obj = unwrap(child(node, 'object'));
    const property = memberProperty(node);
    if (!isEnvHolder(obj) && (property === undefined || !SIGNAL_MEMBER_NAMES.has(property))) return undefined;
    if (isEnvObject(obj)) {
      const name = memberProperty(node);
      const kind = name ? envVariableKind(name) : undefined;
      return kind && name ? { kind, api: `env.${name}` } : undefined;
    }
    const path = memberPath(node);
    if (path) for (const [re, kind, api] of MEMBER_SIGNALS) if (re.test(path)) return { kind, api };
    return undefined;
  }
  if (node.type === 'CallExpression') {
    const callee = unwrap(child(node, 'callee'));
    const name = callee?.type === 'MemberExpression' ? memberProperty(callee) : identifierName(callee);
    if (name === undefined || !SIGNAL_CALL_NAMES.has(name)) return undefined;
    const path = memberPath(callee);
    if (!path) return undefined;
    // `Deno.env.get("TZ")`
    if (/\benv\.get$/.test(path)) {
      const name = stringValue(unwrap((node.arguments as AstNode[] | undefined)?.[0]));
      const kind = name ? envVariableKind(name) : undefined;
      return kind && name ? { kind, api: `env.${name}` } : undefined;
    }
    for (const [re, kind, api] of CALL_SIGNALS) {
      if (!re.test(path)) continue;
      // `x.hostname()` on a URL object is not the machine's name: require a receiver that is not a URL.
      if (kind === 'host-identity' && /(url|URL)\b/.test(path)) return undefined;
      return { kind, api };
    }
    return undefined;
  }
  if (node.type === 'Literal' && typeof node.value === 'string') {
    for (const [re, kind, api] of STRING_SIGNALS) if (re.test(node.value)) return { kind, api };
  }
  return undefined;
}

export function detect(ctx: DetectorContext): DetectorResult<SignalSite> {
  const sites: SignalSite[] = [];
  const candidates = [...ctx.collected.members, ...ctx.collected.calls, ...ctx.collected.strings.map((s) => s.node)];
  for (const node of candidates) {
    const signal = signalOf(node);
    if (signal) sites.push({ node, ...signal });
  }
  // One finding per distinct signal API per file: the count and first place are enough at `note`.
  const firstByApi = new Map<string, { site: SignalSite; count: number }>();
  for (const site of sites) {
    const seen = firstByApi.get(site.api);
    if (seen) seen.count++;
    else firstByApi.set(site.api, { site, count: 1 });
  }
  const findings = [...firstByApi.values()]
    .sort((a, b) => a.site.node.start - b.site.node.start)
    .map(({ site, count }) =>
      makeFinding(
        meta,
        'note',
        `Reads ${site.kind} (${site.api})${count > 1 ? `, ${count} places in this file` : ''}`,
        locate(ctx, site.node.start, site.node.end),
        { key: `${site.kind}:${site.api}`, signal: site.kind, api: site.api, count },
      ),
    );
  return { findings, sites };
}
