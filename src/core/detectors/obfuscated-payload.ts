/**
 * obfuscated-payload — a string hidden from text search, recovered.
 *
 * What it finds: string literals, character-code arrays and reversed strings
 * that decode (base64, hex, single/multi-byte XOR, layers of these) into real
 * text. XOR keys written in the code next to the decoder (`c ^ KEY`) are tried
 * first; otherwise keys are brute-forced and results ranked by how much they look
 * like text (see docs/recovery.md).
 *
 * Why it matters: hiding a list of domains or time zones from `grep` only makes
 * sense if someone is not supposed to read it. But some bundles XOR every long
 * string with a per-build key, so "base64 + XOR exists" is no signal on its own:
 * we decode and judge the content. Readable prose is a `note`; a hidden list of
 * domains, time zones or keywords, or a URL, is a `warning`; it becomes an
 * `error` in TT007 when the payload feeds an environment check.
 *
 * Example: `var K=23, L="dHZ4…"; …String.fromCharCode(b^K)…`
 */
import type { RuleMeta } from '../findings.js';
import { child, childList, identifierName, memberPath, memberProperty, numberValue, stringValue, unwrap, type AstNode } from '../js/ast.js';
import { looksEncoded, recoverBytes, recoverString, scoreText } from '../recovery/index.js';
import type { RecoveredString } from '../recovery/types.js';
import { ancestorsOf, locate, makeFinding, type DetectorContext, type DetectorResult } from './context.js';

export const meta: RuleMeta = {
  id: 'TT003',
  name: 'obfuscated-payload',
  shortDescription: 'Hidden string recovered (base64, hex, XOR, character codes, reversed)',
  help:
    'A string in the code is encoded so that it cannot be found by text search; telltale decoded it. A hidden list of ' +
    'domains, time zones or keywords is suspicious; ordinary text hidden by a build-wide obfuscator is not. Read ' +
    '`properties.decoded` and check where the code uses it.',
  category: 'obfuscated-payload',
  maxLevel: 'warning',
};

export interface PayloadSite {
  node: AstNode;
  recovered: RecoveredString;
  /** The variable or property the encoded literal is stored in, if any (`var L = "…"` → "L"). */
  holder?: string;
}

const SUSPICIOUS_KINDS = new Set(['domain-list', 'timezone-list', 'keyword-list', 'url']);

/** XOR keys visible in the code: numeric operands of `^`, directly or through a `var K = 91`. */
function xorKeysInCode(ctx: DetectorContext): number[][] {
  const keys = new Set<number>();
  for (const b of ctx.collected.binaries) {
    if (b.operator !== '^') continue;
    for (const side of [child(b, 'left'), child(b, 'right')]) {
      const n = unwrap(side);
      let value = numberValue(n);
      const name = identifierName(n);
      if (value === undefined && name) {
        for (const d of ctx.source.topLevelDeclarations(name)) value ??= numberValue(child(d, 'init'));
      }
      if (value !== undefined && Number.isInteger(value) && value > 0 && value < 256) keys.add(value);
    }
  }
  return [...keys].slice(0, 32).map((k) => [k]);
}

function holderOf(ctx: DetectorContext, node: AstNode): string | undefined {
  const parent = ancestorsOf(ctx, node)[0];
  if (!parent) return undefined;
  if (parent.type === 'VariableDeclarator' && child(parent, 'init') === node) return identifierName(child(parent, 'id'));
  if (parent.type === 'AssignmentExpression' && child(parent, 'right') === node) {
    const left = child(parent, 'left');
    return identifierName(left) ?? (left ? memberPath(left) : undefined);
  }
  if (parent.type === 'Property' && child(parent, 'value') === node) return identifierName(child(parent, 'key')) ?? stringValue(child(parent, 'key'));
  return undefined;
}

/** `"…".split("").reverse().join("")` → the literal's value reversed. */
function reversedLiteral(call: AstNode): { node: AstNode; text: string } | undefined {
  const callee = unwrap(child(call, 'callee'));
  if (!callee || memberProperty(callee) !== 'join') return undefined;
  const reverseCall = unwrap(child(callee, 'object'));
  if (!reverseCall || reverseCall.type !== 'CallExpression') return undefined;
  const reverseCallee = unwrap(child(reverseCall, 'callee'));
  if (!reverseCallee || memberProperty(reverseCallee) !== 'reverse') return undefined;
  const splitCall = unwrap(child(reverseCallee, 'object'));
  if (!splitCall || splitCall.type !== 'CallExpression') return undefined;
  const splitCallee = unwrap(child(splitCall, 'callee'));
  if (!splitCallee || memberProperty(splitCallee) !== 'split') return undefined;
  const lit = unwrap(child(splitCallee, 'object'));
  const text = stringValue(lit);
  return lit && text !== undefined ? { node: lit, text: [...text].reverse().join('') } : undefined;
}

function byteArray(node: AstNode, args: AstNode[]): number[] | undefined {
  if (args.length < 6) return undefined;
  const values = args.map((a) => numberValue(unwrap(a)));
  if (!values.every((v): v is number => v !== undefined && Number.isInteger(v) && v >= 0 && v < 256)) return undefined;
  return values;
}

/**
 * Brute-forcing XOR keys over short or repetitive input always yields something
 * letter-like (`[6,4,2,4,2,4,6,2]` ^ 0x63 → "egagagea"). Real hidden strings use
 * many distinct characters, so low diversity is rejected whatever the score.
 */
export function diverseEnough(decoded: string): boolean {
  const distinct = new Set(decoded).size;
  return distinct >= 5 && distinct >= Math.min(12, Math.ceil(decoded.length / 6));
}

export function detect(ctx: DetectorContext): DetectorResult<PayloadSite> {
  const sites: PayloadSite[] = [];
  const push = (site: PayloadSite) => {
    if (diverseEnough(site.recovered.decoded)) sites.push(site);
  };
  const hints = { xorKeys: xorKeysInCode(ctx) };
  for (const { node, value } of ctx.collected.strings) {
    if (!looksEncoded(value)) continue;
    const recovered = recoverString(value, hints);
    if (recovered) push({ node, recovered, holder: holderOf(ctx, node) });
  }
  for (const arr of ctx.collected.arrays) {
    const bytes = byteArray(arr, childList(arr, 'elements'));
    if (!bytes) continue;
    const recovered = recoverBytes(bytes, hints, 'charcodes');
    if (recovered) push({ node: arr, recovered, holder: holderOf(ctx, arr) });
  }
  for (const call of ctx.collected.calls) {
    const callee = unwrap(child(call, 'callee'));
    if (callee && memberPath(callee) === 'String.fromCharCode') {
      const bytes = byteArray(call, childList(call, 'arguments'));
      const recovered = bytes && recoverBytes(bytes, hints, 'charcodes');
      if (recovered) push({ node: call, recovered, holder: holderOf(ctx, call) });
      continue;
    }
    const rev = reversedLiteral(call);
    if (rev) {
      const inner = looksEncoded(rev.text) ? recoverString(rev.text, hints) : null;
      const score = scoreText(rev.text);
      const recovered: RecoveredString | null = inner
        ? { ...inner, encoding: `reverse > ${inner.encoding}` }
        : score.score >= 0.6 && score.kind !== 'text'
          ? { decoded: rev.text, encoding: 'reverse', score: score.score, kind: score.kind, ...(score.items ? { items: score.items } : {}) }
          : null;
      if (recovered) push({ node: call, recovered, holder: holderOf(ctx, call) });
    }
  }

  const findings = sites.map(({ node, recovered }) => {
    const suspicious = SUSPICIOUS_KINDS.has(recovered.kind);
    const preview = recovered.decoded.length > 80 ? recovered.decoded.slice(0, 77) + '…' : recovered.decoded;
    const items = recovered.items ? [...recovered.items].sort() : undefined;
    return makeFinding(
      meta,
      suspicious ? 'warning' : 'note',
      `Hidden ${recovered.kind} recovered (${recovered.encoding}${items ? `, ${items.length} items` : ''}): ${JSON.stringify(preview)}`,
      locate(ctx, node.start, node.end),
      {
        // Identity is the content, not the key: a new per-build key must not make it "new".
        key: `${recovered.kind}:${items ? items.join(',') : recovered.decoded}`,
        kind: recovered.kind,
        encoding: recovered.encoding.replace(/\(.*?\)/g, ''),
        ...(items ? { items } : {}),
      },
      { decoded: recovered.decoded, encoding: recovered.encoding },
    );
  });
  return { findings, sites };
}
