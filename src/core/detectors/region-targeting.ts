/**
 * region-targeting — the code compares something with region-specific values.
 *
 * What it finds: comparisons (`===`, `!==`, `.includes`, `Set.has`, `.endsWith`
 * …) against IANA time-zone names (validated against the runtime's own tz
 * database, not a list of "bad" zones), UTC offsets next to `getTimezoneOffset()`,
 * locale tags with a region (`zh-CN`, `fa_IR`) and country-code domain suffixes.
 *
 * Why it matters: singling out users by region is the second step of a covert
 * tracker. Timezone pickers and tests compare zone names too, so a comparison
 * alone is a `note`; it is a `warning` when the other side is an environment
 * signal read in the same expression or function.
 *
 * Example: `if (tz === "Europe/Minsk" || tz === "Asia/Dubai") …`
 */
import type { RuleMeta } from '../findings.js';
import { child, childList, memberProperty, numberValue, stringValue, unwrap, walk, type AstNode } from '../js/ast.js';
import { TaintEngine } from '../flow/taint.js';
import { enclosingFunction, locate, makeFinding, type DetectorContext, type DetectorResult } from './context.js';
import { signalOf, type SignalKind } from './env-signal.js';

export const meta: RuleMeta = {
  id: 'TT002',
  name: 'region-targeting',
  shortDescription: 'Compares with region-specific values (time zones, UTC offsets, locales, country domains)',
  help:
    'The code compares a value with time-zone names, UTC offsets, locale tags with a region, or country-code domain ' +
    'suffixes. Combined with an environment read this singles out users by region. Check whether the result changes ' +
    'what the tool sends (TT007).',
  category: 'region-targeting',
  maxLevel: 'warning',
};

export type RegionValueKind = 'timezone' | 'utc-offset' | 'locale' | 'domain-suffix';

export interface RegionComparison {
  node: AstNode;
  values: string[];
  valueKind: RegionValueKind;
  /** Signals read in the compared expression or the enclosing function. */
  linkedSignals: SignalKind[];
}

const tzCache = new Map<string, boolean>();
/** True for names the runtime's IANA database accepts (e.g. "Asia/Kolkata", "America/Sao_Paulo"). */
export function isTimeZoneName(value: string): boolean {
  if (!/^[A-Z][A-Za-z_]+(?:\/[A-Za-z_][A-Za-z0-9_+-]*){1,2}$/.test(value)) return false;
  let ok = tzCache.get(value);
  if (ok === undefined) {
    try {
      new Intl.DateTimeFormat('en', { timeZone: value });
      ok = true;
    } catch {
      ok = false;
    }
    tzCache.set(value, ok);
  }
  return ok;
}

/** A language tag with a region subtag, canonicalised by the runtime (ICU). */
export function isRegionalLocale(value: string): boolean {
  if (!/^[a-z]{2,3}[-_](?:[A-Z][a-z]{3}[-_])?(?:[A-Z]{2}|\d{3})$/.test(value)) return false;
  try {
    return Intl.getCanonicalLocales(value.replace(/_/g, '-')).length === 1;
  } catch {
    return false;
  }
}

/**
 * Two-letter endings that are file extensions or vanity domains (`.md`, `.js`,
 * `.io`, `.ai`) far more often than a statement about a country.
 */
const NOT_REGIONAL_SUFFIXES = new Set(['md', 'js', 'ts', 'py', 'rs', 'go', 'rb', 'pl', 'cs', 'ps', 'sh', 'db', 'gz', 'xz', 'mk', 'so', 'cc', 'ai', 'io', 'co', 'me', 'tv', 'fm', 'ly', 'gg', 'to', 'ws', 'dev', 'app']);

/** `.cn`, `.com.cn` used as a host suffix: a real ISO 3166 country code (per ICU), not a file extension. */
export function isCountryDomainSuffix(value: string): boolean {
  const m = /^\.?(?:[a-z0-9-]+\.)?([a-z]{2})$/.exec(value);
  if (!m || !value.includes('.') || NOT_REGIONAL_SUFFIXES.has(m[1]!)) return false;
  const code = m[1]!.toUpperCase();
  // DisplayNames echoes codes it does not know; a known region has a real name.
  return REGION_NAMES.of(code) !== code;
}
const REGION_NAMES = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'code' });

function classify(value: string, viaSuffixCall: boolean): RegionValueKind | undefined {
  if (isTimeZoneName(value)) return 'timezone';
  if (isRegionalLocale(value)) return 'locale';
  if (viaSuffixCall && isCountryDomainSuffix(value)) return 'domain-suffix';
  return undefined;
}

function signalsIn(node: AstNode | undefined, limit = 400): SignalKind[] {
  const kinds = new Set<SignalKind>();
  if (!node) return [];
  let n = 0;
  walk(node, (x) => {
    if (n++ > limit) return false;
    const s = signalOf(x);
    if (s) kinds.add(s.kind);
    return true;
  });
  return [...kinds];
}

/** String values of a literal or an array/Set of literals. */
function literalValues(node: AstNode | undefined): string[] | undefined {
  const n = unwrap(node);
  if (!n) return undefined;
  const s = stringValue(n);
  if (s !== undefined) return [s];
  if (n.type === 'ArrayExpression') {
    const vals = childList(n, 'elements').map((e) => stringValue(e));
    return vals.every((v): v is string => v !== undefined) && vals.length > 0 ? vals : undefined;
  }
  if (n.type === 'NewExpression' && (child(n, 'callee') as AstNode | undefined)?.name === 'Set') {
    return literalValues(childList(n, 'arguments')[0]);
  }
  return undefined;
}

const COMPARE_OPS = new Set(['==', '===', '!=', '!==']);
const SUFFIX_METHODS = new Set(['endsWith', 'startsWith']);
const MEMBERSHIP_METHODS = new Set(['includes', 'has', 'indexOf', 'endsWith', 'startsWith']);

export function detect(ctx: DetectorContext): DetectorResult<RegionComparison> {
  const sites: RegionComparison[] = [];
  let engine: TaintEngine | undefined;
  const add = (node: AstNode, values: string[], valueKind: RegionValueKind, other: AstNode | undefined) => {
    let linked = signalsIn(other);
    if (linked.length === 0) {
      const fn = enclosingFunction(ctx, node);
      if (fn && fn.end - fn.start < 4000) linked = signalsIn(fn);
    }
    // Region values are rare: follow the compared side's data flow (`K = zone()`, a memoised
    // module variable…) to the signal it comes from, as TT007 does.
    if (linked.length === 0 && other) {
      engine ??= new TaintEngine(ctx.source);
      linked = [...engine.of(other, engine.functionsAround(other)).signals].sort() as SignalKind[];
    }
    sites.push({ node, values, valueKind, linkedSignals: linked });
  };

  for (const b of ctx.collected.binaries) {
    const op = b.operator as string;
    const left = child(b, 'left');
    const right = child(b, 'right');
    if (COMPARE_OPS.has(op)) {
      for (const [lit, other] of [[right, left], [left, right]] as const) {
        const s = stringValue(unwrap(lit));
        if (s !== undefined) {
          const kind = classify(s, false);
          if (kind) add(b, [s], kind, other);
          continue;
        }
        // UTC offsets: a number compared with something derived from getTimezoneOffset().
        const num = numberValue(unwrap(lit));
        if (num !== undefined && num !== 0 && Math.abs(num) <= 840 && num % 15 === 0 && signalsIn(other).includes('timezone')) {
          add(b, [String(num)], 'utc-offset', other);
        }
      }
    }
  }
  for (const c of ctx.collected.calls) {
    const callee = unwrap(child(c, 'callee'));
    if (!callee || callee.type !== 'MemberExpression') continue;
    const method = memberProperty(callee);
    if (!method || !MEMBERSHIP_METHODS.has(method)) continue;
    const receiver = child(callee, 'object');
    const arg = childList(c, 'arguments')[0];
    // `[…literals].includes(x)` / `new Set([…]).has(x)` or `x.endsWith(".cn")`.
    const fromReceiver = literalValues(receiver);
    const fromArg = literalValues(arg);
    const values = fromReceiver && fromReceiver.length > 0 && method !== 'endsWith' && method !== 'startsWith' ? fromReceiver : fromArg;
    const other = values === fromReceiver ? arg : receiver;
    if (!values) continue;
    const kinds = values.map((v) => classify(v, SUFFIX_METHODS.has(method)));
    const kind = kinds.find((k) => k !== undefined);
    if (kind) add(c, values.filter((_, i) => kinds[i] !== undefined), kind, other);
  }

  const findings = sites.map((site) => {
    const linked = site.linkedSignals.length > 0;
    const shown = site.values.slice(0, 6).join(', ') + (site.values.length > 6 ? ', …' : '');
    return makeFinding(
      meta,
      linked ? 'warning' : 'note',
      `Compares ${linked ? `an environment signal (${site.linkedSignals.join(', ')}) ` : ''}with ${site.valueKind} values: ${shown}`,
      locate(ctx, site.node.start, site.node.end),
      { key: `${site.valueKind}:${[...site.values].sort().join(',')}`, valueKind: site.valueKind, values: [...site.values].sort(), linked },
    );
  });
  return { findings, sites };
}
