/**
 * covert-channel — the correlation: an environment signal, compared with
 * (possibly hidden) values, decides an invisible change of outgoing text.
 *
 * What it finds: a look-alike choice, an invisible-character insertion or a
 * format switch (TT004, TT005) whose deciding condition derives, through data
 * flow across the bundle (locals, module variables, parameters at every call
 * site, return values), from an environment signal (TT001) that is compared with
 * literal values (TT002) or with a recovered hidden payload (TT003). The finding
 * lists every link of the chain as related locations.
 *
 * Why it matters: each part alone is common and legitimate. Together they are a
 * way to report a user's region or setup to the receiver of the text, invisibly
 * to the user. That is the one combination this tool reports at `error`.
 * An environment-driven invisible choice without any comparison is a `warning`.
 *
 * Example: `const inRegion = tz() === "Europe/Minsk"; const q = inRegion ? "\u2019" : "'";`
 */
import type { Finding, RelatedLocation, RuleMeta } from '../findings.js';
import { shapeOf, type AstNode } from '../js/ast.js';
import { TaintEngine, type Taint } from '../flow/taint.js';
import { locate, makeFinding, type DetectorContext } from './context.js';
import type { ChoiceSite } from './hidden-characters.js';
import type { FormatSwitchSite } from './format-switch.js';
import type { PayloadSite } from './obfuscated-payload.js';
import { isCountryDomainSuffix, isRegionalLocale, isTimeZoneName } from './region-targeting.js';

export const meta: RuleMeta = {
  id: 'TT007',
  name: 'covert-channel',
  shortDescription: 'Environment signal compared with (hidden) values decides an invisible change of outgoing text',
  help:
    'An environment signal (timezone, locale, proxy, API host, identity) is compared with hard-coded or hidden values and ' +
    'the result decides a change in text that a person cannot see (look-alike characters, invisible characters, a format ' +
    'switch). This is how a covert tracker reports your environment inside a prompt. Every link of the chain is listed; ' +
    'block or neutralise the channel (telltale guard) and report it to the vendor.',
  category: 'covert-channel',
  maxLevel: 'error',
};

export interface Sites {
  choices: ChoiceSite[];
  formats: FormatSwitchSite[];
  payloads: PayloadSite[];
}

function describeSink(site: ChoiceSite | FormatSwitchSite): { what: string; node: AstNode; key: string } {
  if ('literals' in site) {
    const what = site.kind === 'lookalike-choice'
      ? `chooses among look-alikes of ${JSON.stringify(site.prototype)}`
      : 'inserts invisible characters';
    const cps = [...new Set(site.chars.flatMap((c) => [...c].map((ch) => 'U+' + ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0'))))].sort();
    return { what, node: site.node, key: `${site.kind}:${cps.join(',')}` };
  }
  return { what: `switches output format (${site.description})`, node: site.node, key: `format:${site.description}` };
}

const TYPE_NAMES = new Set(['object', 'string', 'number', 'boolean', 'function', 'undefined', 'symbol', 'bigint', 'null', 'true', 'false']);

/**
 * A compared value that targets someone: a time zone, a regional locale, a UTC
 * offset, a country domain suffix, a host name, or — when the signal is a host,
 * URL, proxy or identity — a keyword of at least three letters (`"deepseek"`).
 */
export function isTargetingValue(value: string, signals: ReadonlySet<string>): boolean {
  if (isTimeZoneName(value) || isRegionalLocale(value) || isCountryDomainSuffix(value)) return true;
  if (/^-?\d+$/.test(value)) return Math.abs(Number(value)) > 1 && signals.has('timezone');
  if (/^\.?[a-z0-9-]+(?:\.[a-z0-9-]+)+$/i.test(value) && /[a-z]{2,}$/i.test(value)) return true;
  const textual = ['api-base-url', 'host-identity', 'user-identity', 'proxy', 'git-identity', 'machine-id'];
  return /^[a-z0-9][a-z0-9_-]{2,}$/i.test(value) && !TYPE_NAMES.has(value.toLowerCase()) && textual.some((k) => signals.has(k));
}

export function detect(ctx: DetectorContext, sites: Sites): Finding[] {
  const payloads = sites.payloads.map((p) => ({ node: p.node, description: `${p.recovered.kind} (${p.recovered.encoding})` }));
  const engine = new TaintEngine(ctx.source, payloads);
  const findings: Finding[] = [];
  const all: Array<ChoiceSite | FormatSwitchSite> = [...sites.choices, ...sites.formats];
  for (const site of all) {
    const conditions = 'conditions' in site ? site.conditions : [site.test];
    const taint: Taint = { signals: new Set(), compared: new Set(), payloads: new Set(), evidence: [] };
    for (const cond of conditions) {
      const t = engine.of(cond, engine.functionsAround(cond));
      for (const s of t.signals) taint.signals.add(s);
      for (const c of t.compared) taint.compared.add(c);
      for (const p of t.payloads) taint.payloads.add(p);
      for (const e of t.evidence) if (!taint.evidence.some((x) => x.node === e.node)) taint.evidence.push(e);
    }
    if (taint.signals.size === 0) continue;
    const sink = describeSink(site);
    const signals = [...taint.signals].sort();
    // Only values that can single out a region, a provider or a host count as targeting:
    // `x === ""` or `typeof v === "object"` on the way is ordinary code.
    const values = [...taint.compared].filter((v) => isTargetingValue(v, taint.signals)).sort();
    const compared = values.length > 0 || taint.payloads.size > 0;
    taint.evidence = taint.evidence.filter((e) => {
      if (!e.what.startsWith('compares with ')) return true;
      const raw = e.what.slice('compares with '.length);
      const value = raw.startsWith('"') ? (JSON.parse(raw) as string) : raw;
      return isTargetingValue(value, taint.signals);
    });
    const related: RelatedLocation[] = taint.evidence
      .sort((a, b) => a.node.start - b.node.start)
      .slice(0, 12)
      .map((e) => ({ message: e.what, location: locate(ctx, e.node.start, e.node.end) }));
    const parts = [
      `reads ${signals.join(', ')}`,
      compared ? `compares with ${[...values.slice(0, 4).map((v) => JSON.stringify(v)), ...[...taint.payloads].map((p) => `hidden ${p}`)].join(', ')}${values.length > 4 ? ', …' : ''}` : undefined,
      sink.what,
    ].filter(Boolean);
    findings.push(
      makeFinding(
        meta,
        compared ? 'error' : 'warning',
        `Covert channel: ${parts.join(' → ')}`,
        locate(ctx, sink.node.start, Math.min(sink.node.end, sink.node.start + 400)),
        {
          key: `${signals.join('+')}→${sink.key}`,
          signals,
          compared: values,
          payloads: [...taint.payloads].sort(),
          sink: sink.key,
        },
        { related, shape: shapeOf(sink.node) },
      ),
    );
  }
  return findings;
}
