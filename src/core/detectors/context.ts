/**
 * What every JavaScript detector receives: the source, the nodes collected in
 * one walk over the regions worth a look, and helpers for ancestors and
 * SARIF-ready locations.
 */
import type { Finding, Level, RuleMeta, SourceLocation } from '../findings.js';
import type { AstNode } from '../js/ast.js';
import type { JsSource } from '../js/source-file.js';

export interface StringSite {
  node: AstNode;
  value: string;
}

export interface Collected {
  /** String literals and template-literal chunks (escapes decoded: `\u2019` and `’` are the same). */
  strings: StringSite[];
  members: AstNode[];
  calls: AstNode[];
  /** `==`, `===`, `!=`, `!==`, `<`, `>` … and `^` binary expressions. */
  binaries: AstNode[];
  conditionals: AstNode[];
  arrays: AstNode[];
  functions: AstNode[];
}

export interface DetectorContext {
  source: JsSource;
  collected: Collected;
  /** Maps a UTF-16 offset in this text to a byte offset in the enclosing binary (executables only). */
  byteOffsetOf?: (offset: number) => number;
}

export function locate(ctx: DetectorContext, start: number, end: number): SourceLocation {
  const { line, column } = ctx.source.lineColumn(start);
  const loc: SourceLocation = {
    file: ctx.source.path,
    line,
    column,
    offset: start,
    length: Math.max(0, end - start),
    snippet: ctx.source.snippet(start, end),
  };
  if (ctx.byteOffsetOf) loc.byteOffset = ctx.byteOffsetOf(start);
  return loc;
}

/** Ancestors already computed, per node: detectors ask for the same literal's several times. */
const ancestorCache = new WeakMap<AstNode, readonly AstNode[]>();

/**
 * Ancestors of a node, innermost first, from the path that descends from the
 * program to its span. Nodes of the same span as `node` below it on that path
 * (the key of a shorthand property `{a}` when `node` is its value) are not
 * its ancestors and are left out. Memoised per node (a node belongs to one tree).
 */
export function ancestorsOf(ctx: DetectorContext, node: AstNode): readonly AstNode[] {
  const cached = ancestorCache.get(node);
  if (cached) return cached;
  const path = ctx.source.pathTo(node.start, node.end);
  let end = path.lastIndexOf(node);
  if (end < 0) {
    end = path.length;
    while (end > 0 && path[end - 1]!.start === node.start && path[end - 1]!.end === node.end) end--;
  }
  const out: AstNode[] = [];
  for (let i = end - 1; i >= 0; i--) out.push(path[i]!);
  ancestorCache.set(node, out);
  return out;
}

export function enclosingFunction(ctx: DetectorContext, node: AstNode): AstNode | undefined {
  return ancestorsOf(ctx, node).find((a) => a.type === 'FunctionDeclaration' || a.type === 'FunctionExpression' || a.type === 'ArrowFunctionExpression');
}

export function makeFinding(
  meta: RuleMeta,
  level: Level,
  message: string,
  location: SourceLocation,
  facts: Finding['facts'],
  extra: Partial<Finding> = {},
): Finding {
  return { ruleId: meta.id, level, category: meta.category, message, location, facts, ...extra };
}

export interface DetectorResult<Site> {
  findings: Finding[];
  sites: Site[];
}
