/**
 * format-switch — text whose format (separators, spacing) depends on a condition.
 *
 * What it finds: a conditional whose branches produce the same text in a
 * different format: `c ? d.replace(/-/g, "/") : d`, `c ? s.split("-").join(".") : s`,
 * or two literals that differ only in separators or in the kind of space
 * (`"2026-01-02"` vs `"2026/01/02"`, U+0020 vs U+00A0).
 *
 * Why it matters: a changed date format is invisible as a signal to a reader
 * ("2026/11/21" reads like "2026-11-21") but trivially machine-readable by the
 * receiver. Alone it is a `note`; TT007 raises it when the condition derives from
 * an environment signal.
 *
 * Example: `let date = inRegion ? today.replace(/-/g, "/") : today`
 */
import type { RuleMeta } from '../findings.js';
import { child, childList, memberProperty, stringValue, unwrap, type AstNode } from '../js/ast.js';
import { locate, makeFinding, type DetectorContext, type DetectorResult } from './context.js';

export const meta: RuleMeta = {
  id: 'TT005',
  name: 'format-switch',
  shortDescription: 'Output format (separators, spacing) switched by a condition',
  help:
    'A condition decides between two renderings of the same text that differ only in separators or whitespace, such as a ' +
    'date written with "-" or "/". Readers do not notice; a receiver can decode the condition from it. Check what the ' +
    'condition depends on (TT007).',
  category: 'covert-channel',
  maxLevel: 'note',
};

export interface FormatSwitchSite {
  node: AstNode;
  test: AstNode;
  description: string;
}

const SEPARATOR = /^[-/.:_ ,\u00a0\u2010-\u2015\u2212\u2215\u2044]$/u;

function separatorOf(node: AstNode | undefined): string | undefined {
  const n = unwrap(node);
  if (!n) return undefined;
  const s = stringValue(n);
  if (s !== undefined) return SEPARATOR.test(s) ? s : undefined;
  if (n.type === 'Literal' && typeof n.regex === 'object' && n.regex) {
    const pattern = (n.regex as { pattern?: string }).pattern ?? '';
    const unescaped = pattern.replace(/^\\/, '');
    return SEPARATOR.test(unescaped) ? unescaped : undefined;
  }
  return undefined;
}

/** `x.replace(SEP, SEP2)` / `x.replaceAll(…)` / `x.split(SEP).join(SEP2)` → "SEP→SEP2". */
function separatorRewrite(node: AstNode | undefined): string | undefined {
  const n = unwrap(node);
  if (!n || n.type !== 'CallExpression') return undefined;
  const callee = unwrap(child(n, 'callee'));
  if (!callee) return undefined;
  const method = memberProperty(callee);
  const args = childList(n, 'arguments');
  if (method === 'replace' || method === 'replaceAll') {
    const from = separatorOf(args[0]);
    const to = separatorOf(args[1]) ?? (stringValue(unwrap(args[1])) === '' ? '' : undefined);
    return from !== undefined && to !== undefined && from !== to ? `${from}→${to}` : undefined;
  }
  if (method === 'join') {
    const split = unwrap(child(callee, 'object'));
    const splitCallee = split && split.type === 'CallExpression' ? unwrap(child(split, 'callee')) : undefined;
    if (splitCallee && memberProperty(splitCallee) === 'split') {
      const from = separatorOf(childList(split!, 'arguments')[0]);
      const to = separatorOf(args[0]);
      return from !== undefined && to !== undefined && from !== to ? `${from}→${to}` : undefined;
    }
  }
  return undefined;
}

export function sameButSeparators(a: string, b: string): string | undefined {
  if (a === b || a.length !== b.length || a.length > 64) return undefined;
  const diffs = new Set<string>();
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) continue;
    if (!SEPARATOR.test(a[i]!) || !SEPARATOR.test(b[i]!)) return undefined;
    diffs.add(`${a[i]}→${b[i]}`);
  }
  return diffs.size > 0 ? [...diffs].join(',') : undefined;
}

export function detect(ctx: DetectorContext): DetectorResult<FormatSwitchSite> {
  const sites: FormatSwitchSite[] = [];
  for (const c of ctx.collected.conditionals) {
    if (c.type !== 'ConditionalExpression') continue;
    const test = child(c, 'test')!;
    const yes = child(c, 'consequent');
    const no = child(c, 'alternate');
    const rewrite = separatorRewrite(yes) ?? separatorRewrite(no);
    if (rewrite) {
      sites.push({ node: c, test, description: `separator rewrite ${rewrite}` });
      continue;
    }
    const a = stringValue(unwrap(yes));
    const b = stringValue(unwrap(no));
    const diff = a !== undefined && b !== undefined ? sameButSeparators(a, b) : undefined;
    if (diff) sites.push({ node: c, test, description: `literals differ only in ${diff}` });
  }
  const findings = sites.map((s) =>
    makeFinding(meta, 'note', `Output format depends on a condition (${s.description})`, locate(ctx, s.node.start, s.node.end), {
      key: `format:${s.description}`,
      description: s.description,
    }),
  );
  return { findings, sites };
}
