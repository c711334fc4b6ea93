/**
 * A thin, typed view of the ESTree-compatible AST that oxc-parser produces.
 * Nodes are plain objects; we read them through these helpers so detector code
 * stays readable and never needs `any`.
 */
import { visitorKeys } from 'oxc-parser';

export interface AstNode {
  type: string;
  start: number;
  end: number;
  [key: string]: unknown;
}

const KEYS = visitorKeys as Record<string, readonly string[] | undefined>;

export function isNode(value: unknown): value is AstNode {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}

const NO_KEYS: readonly string[] = [];

/** The keys under which a node of this type holds child nodes or child arrays (oxc's visitor keys). */
export function childKeys(node: AstNode): readonly string[] {
  return KEYS[node.type] ?? NO_KEYS;
}

/**
 * Depth-first walk with an explicit stack (minified bundles nest deeper than the
 * call stack likes). `enter` returning false skips the node's children.
 */
export function walk(root: AstNode, enter: (node: AstNode, parent: AstNode | null) => boolean | void): void {
  const nodes: AstNode[] = [root];
  const parents: Array<AstNode | null> = [null];
  while (nodes.length > 0) {
    const node = nodes.pop()!;
    const parent = parents.pop()!;
    if (enter(node, parent) === false) continue;
    const keys = KEYS[node.type];
    if (!keys) continue;
    // Children pushed in reverse, so they are entered in visitor-key order; pushed directly
    // (no per-node child array: half a million nodes per bundle half).
    for (let k = keys.length - 1; k >= 0; k--) {
      const value = node[keys[k]!];
      if (Array.isArray(value)) {
        for (let i = value.length - 1; i >= 0; i--) {
          const c: unknown = value[i];
          if (isNode(c)) {
            nodes.push(c);
            parents.push(node);
          }
        }
      } else if (isNode(value)) {
        nodes.push(value);
        parents.push(node);
      }
    }
  }
}

export function child(node: AstNode, key: string): AstNode | undefined {
  const v = node[key];
  return isNode(v) ? v : undefined;
}

export function childList(node: AstNode, key: string): AstNode[] {
  const v = node[key];
  return Array.isArray(v) ? v.filter(isNode) : [];
}

export function identifierName(node: AstNode | undefined): string | undefined {
  if (!node) return undefined;
  if (node.type === 'Identifier' || node.type === 'IdentifierReference' || node.type === 'BindingIdentifier') {
    return typeof node.name === 'string' ? node.name : undefined;
  }
  return undefined;
}

/** The string value of a string literal (escapes already decoded by the parser), else undefined. */
export function stringValue(node: AstNode | undefined): string | undefined {
  if (!node) return undefined;
  if (node.type === 'Literal' && typeof node.value === 'string') return node.value;
  if (node.type === 'TemplateLiteral' && childList(node, 'expressions').length === 0) {
    const q = childList(node, 'quasis')[0];
    const cooked = q && (q.value as { cooked?: string | null }).cooked;
    return typeof cooked === 'string' ? cooked : undefined;
  }
  return undefined;
}

export function numberValue(node: AstNode | undefined): number | undefined {
  if (!node) return undefined;
  if (node.type === 'Literal' && typeof node.value === 'number') return node.value;
  if (node.type === 'UnaryExpression' && node.operator === '-') {
    const inner = numberValue(child(node, 'argument'));
    return inner === undefined ? undefined : -inner;
  }
  return undefined;
}

/** Property name of a member expression (`a.b` → "b", `a["b"]` → "b"), else undefined. */
export function memberProperty(node: AstNode): string | undefined {
  if (node.type !== 'MemberExpression') return undefined;
  const prop = child(node, 'property');
  if (!prop) return undefined;
  if (node.computed) return stringValue(prop);
  return identifierName(prop) ?? (typeof prop.name === 'string' ? prop.name : undefined);
}

/** Strips `(a?.b)` chain wrappers and parentheses. */
export function unwrap(node: AstNode | undefined): AstNode | undefined {
  let n = node;
  while (n && (n.type === 'ChainExpression' || n.type === 'ParenthesizedExpression')) n = child(n, 'expression');
  return n;
}

/** Dotted path of a member chain: `process.env.TZ` → "process.env.TZ"; calls become `()`. */
export function memberPath(node: AstNode | undefined, depth = 0): string | undefined {
  const n = unwrap(node);
  if (!n || depth > 8) return undefined;
  if (n.type === 'Identifier') return identifierName(n);
  if (n.type === 'ThisExpression') return 'this';
  if (n.type === 'MemberExpression') {
    const obj = memberPath(child(n, 'object'), depth + 1);
    const prop = memberProperty(n);
    if (prop === undefined) return obj === undefined ? undefined : `${obj}[?]`;
    return obj === undefined ? `?.${prop}` : `${obj}.${prop}`;
  }
  if (n.type === 'CallExpression' || n.type === 'NewExpression') {
    const callee = memberPath(child(n, 'callee'), depth + 1);
    return callee === undefined ? undefined : `${callee}()`;
  }
  return undefined;
}

export function isFunctionNode(node: AstNode): boolean {
  return node.type === 'FunctionDeclaration' || node.type === 'FunctionExpression' || node.type === 'ArrowFunctionExpression';
}

/**
 * A structure fingerprint of a subtree with identifiers and literal values
 * erased: the same code after re-minification has the same shape.
 */
export function shapeOf(node: AstNode, maxNodes = 200): string {
  const parts: string[] = [];
  let count = 0;
  walk(node, (n) => {
    if (count++ >= maxNodes) return false;
    let tag = n.type;
    if (typeof n.operator === 'string') tag += n.operator;
    if (n.type === 'Literal') tag += typeof n.value;
    parts.push(tag);
    return true;
  });
  return parts.join(',');
}
