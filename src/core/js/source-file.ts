/**
 * One JavaScript source with everything detectors need to navigate it without
 * walking 13 MB of AST: line index, the top-level statement at an offset, the
 * node path to an offset, declarations and call sites by name (found by a text
 * search and confirmed in the AST, because minified names are short but unique
 * enough to grep).
 */
import { childSlots, childList, child, identifierName, isFunctionNode, isNode, type AstNode } from './ast.js';

export class JsSource {
  readonly statements: AstNode[];
  private lineStarts: Uint32Array | undefined;
  private topLevelDecls: Map<string, AstNode[]> | undefined;
  private readonly functionCache = new Map<string, AstNode[]>();
  private readonly callCache = new Map<string, AstNode[]>();
  private readonly assignmentCache = new Map<string, AstNode[]>();

  constructor(
    readonly path: string,
    readonly text: string,
    readonly program: AstNode,
  ) {
    this.statements = childList(program, 'body');
  }

  lineColumn(offset: number): { line: number; column: number } {
    if (!this.lineStarts) {
      const starts = [0];
      for (let i = this.text.indexOf('\n'); i !== -1; i = this.text.indexOf('\n', i + 1)) starts.push(i + 1);
      this.lineStarts = Uint32Array.from(starts);
    }
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - this.lineStarts[lo]! + 1 };
  }

  /** A one-line excerpt around [start, end): whitespace collapsed, long sides cut with "…". */
  snippet(start: number, end: number, context = 60): string {
    const from = Math.max(0, start - context);
    const to = Math.min(this.text.length, Math.max(end, start + 1) + context);
    let s = this.text.slice(from, Math.min(to, from + 400)).replace(/\s+/g, ' ');
    if (from > 0) s = '…' + s;
    if (to < this.text.length) s += '…';
    return s;
  }

  /** Index of the top-level statement that contains `offset`, or -1. */
  statementIndexAt(offset: number): number {
    let lo = 0;
    let hi = this.statements.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const s = this.statements[mid]!;
      if (offset < s.start) hi = mid - 1;
      else if (offset >= s.end) lo = mid + 1;
      else return mid;
    }
    return -1;
  }

  /**
   * The chain of nodes from the program down to the innermost node containing
   * [start, end) — descending only along that path (cheap even in a huge file).
   */
  pathTo(start: number, end = start + 1): AstNode[] {
    const path: AstNode[] = [this.program];
    let node: AstNode | undefined = this.program;
    while (node) {
      const next: AstNode | undefined = containingChild(node, start, end);
      if (!next) break;
      path.push(next);
      node = next;
    }
    return path;
  }

  /** The innermost node of `type` whose span starts exactly at `start`. */
  nodeStartingAt(start: number, type: string): AstNode | undefined {
    const path = this.pathTo(start);
    for (let i = path.length - 1; i >= 0; i--) {
      const n = path[i]!;
      if (n.type === type && n.start === start) return n;
    }
    return undefined;
  }

  /** Top-level `function NAME` / `var NAME = …` declarations (cheap: no deep walk). */
  topLevelDeclarations(name: string): AstNode[] {
    if (!this.topLevelDecls) {
      this.topLevelDecls = new Map();
      const add = (n: string | undefined, node: AstNode) => {
        if (!n) return;
        const list = this.topLevelDecls!.get(n) ?? [];
        list.push(node);
        this.topLevelDecls!.set(n, list);
      };
      for (let s of this.statements) {
        if (s.type === 'ExportNamedDeclaration' && child(s, 'declaration')) s = child(s, 'declaration')!;
        if (s.type === 'FunctionDeclaration') add(identifierName(child(s, 'id')), s);
        else if (s.type === 'VariableDeclaration') {
          for (const d of childList(s, 'declarations')) add(identifierName(child(d, 'id')), d);
        }
      }
    }
    return this.topLevelDecls.get(name) ?? [];
  }

  /**
   * Text searches over the whole source cost ~10 ms each on a 13 MB bundle, so
   * they are bounded per file; names of built-in globals are never searched.
   */
  textSearches = 0;
  static readonly MAX_TEXT_SEARCHES = 400;

  private searchable(name: string): boolean {
    if (BUILTIN_GLOBALS.has(name) || this.textSearches >= JsSource.MAX_TEXT_SEARCHES) return false;
    this.textSearches++;
    return true;
  }

  private *occurrences(pattern: RegExp): Generator<number> {
    for (let m = pattern.exec(this.text); m; m = pattern.exec(this.text)) yield m.index + (m[1]?.length ?? 0);
  }

  /**
   * Function definitions named `name`, at any depth: `function name(`,
   * `name = function`, `name = (…) =>`, `name(){` methods are found by text and
   * confirmed in the AST.
   */
  functionsNamed(name: string, limit = 8): AstNode[] {
    const cached = this.functionCache.get(name);
    if (cached) return cached;
    const found: AstNode[] = [];
    for (const d of this.topLevelDeclarations(name)) {
      if (d.type === 'FunctionDeclaration') found.push(d);
      else {
        const init = child(d, 'init');
        if (init && isFunctionNode(init)) found.push(init);
      }
    }
    if (found.length === 0 && this.searchable(name)) {
      const esc = escapeRegExp(name);
      const re = new RegExp(`(function\\s+)${esc}\\s*\\(|((?:^|[^\\w$.])${esc}\\s*=\\s*)(?:async\\s*)?(?:function\\b|\\(|[\\w$]+\\s*=>)`, 'g');
      for (let m = re.exec(this.text); m && found.length < limit; m = re.exec(this.text)) {
        const at = m.index + (m[1]?.length ?? m[2]?.length ?? 0);
        const path = this.pathTo(at, at + name.length);
        for (let i = path.length - 1; i >= 0; i--) {
          const n = path[i]!;
          if (n.type === 'FunctionDeclaration' && identifierName(child(n, 'id')) === name) {
            found.push(n);
            break;
          }
          if ((n.type === 'VariableDeclarator' || n.type === 'AssignmentExpression')) {
            const target = child(n, n.type === 'VariableDeclarator' ? 'id' : 'left');
            const value = child(n, n.type === 'VariableDeclarator' ? 'init' : 'right');
            if (identifierName(target) === name && value && isFunctionNode(value)) found.push(value);
            break;
          }
        }
      }
    }
    this.functionCache.set(name, found);
    return found;
  }

  /**
   * Methods named `name`: class methods (`static name(){}`), object-literal
   * methods (`name(){}`) and properties holding a function (`name: () => …`).
   * Found by text and confirmed on the AST, like functionsNamed; used when
   * data flows through `obj.name()` where `obj` cannot be resolved statically.
   */
  methodsNamed(name: string, limit = 4): AstNode[] {
    const key = `.${name}`;
    const cached = this.functionCache.get(key);
    if (cached) return cached;
    const found: AstNode[] = [];
    if (!this.searchable(key)) return found;
    const esc = escapeRegExp(name);
    const re = new RegExp(`(?:^|[^\\w$.])${esc}\\s*(?:\\([^()]*\\)\\s*\\{|:\\s*(?:async\\s*)?(?:function\\b|\\(|[\\w$]+\\s*=>))`, 'g');
    for (let m = re.exec(this.text); m && found.length < limit; m = re.exec(this.text)) {
      const at = this.text.indexOf(name, m.index);
      const path = this.pathTo(at, at + name.length);
      for (let i = path.length - 1; i >= 0; i--) {
        const n = path[i]!;
        if (n.type === 'MethodDefinition' || n.type === 'Property' || n.type === 'PropertyDefinition') {
          const value = child(n, 'value');
          if (value && isFunctionNode(value)) found.push(value);
          break;
        }
      }
    }
    this.functionCache.set(key, found);
    return found;
  }

  /** Call expressions `name(…)` anywhere in the file (bounded). */
  callsOf(name: string, limit = 64): AstNode[] {
    const cached = this.callCache.get(name);
    if (cached) return cached;
    const calls: AstNode[] = [];
    if (!this.searchable(name)) return calls;
    const re = new RegExp(`(^|[^\\w$.])${escapeRegExp(name)}\\s*\\(`, 'g');
    for (const at of this.occurrences(re)) {
      if (calls.length >= limit) break;
      const path = this.pathTo(at, at + name.length);
      for (let i = path.length - 1; i >= 0; i--) {
        const n = path[i]!;
        if (n.type === 'CallExpression' && identifierName(child(n, 'callee')) === name) {
          calls.push(n);
          break;
        }
      }
    }
    this.callCache.set(name, calls);
    return calls;
  }

  /** `name = …` assignments anywhere in the file (bounded), for memoised module variables. */
  assignmentsTo(name: string, limit = 16): AstNode[] {
    const cached = this.assignmentCache.get(name);
    if (cached) return cached;
    const out: AstNode[] = [];
    this.assignmentCache.set(name, out);
    if (!this.searchable(name)) return out;
    const re = new RegExp(`(^|[^\\w$.])${escapeRegExp(name)}\\s*(?:\\?\\?|\\|\\||&&)?=(?!=)`, 'g');
    for (const at of this.occurrences(re)) {
      if (out.length >= limit) break;
      const path = this.pathTo(at, at + name.length);
      for (let i = path.length - 1; i >= 0; i--) {
        const n = path[i]!;
        if (n.type === 'AssignmentExpression' && identifierName(child(n, 'left')) === name) {
          out.push(n);
          break;
        }
        if (n.type === 'VariableDeclarator' && identifierName(child(n, 'id')) === name) {
          out.push(n);
          break;
        }
      }
    }
    return out;
  }
}

/** Names of the JavaScript runtime's own globals (`Object`, `String`, `process`…): never user definitions. */
const BUILTIN_GLOBALS: ReadonlySet<string> = new Set([
  ...Object.getOwnPropertyNames(globalThis),
  'require', 'module', 'exports', 'process', 'Buffer', 'window', 'document', 'navigator', 'self', 'console', 'arguments', 'undefined',
]);

export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The child of `node` whose span contains [start, end). Long child arrays
 * (statement lists, a bundle's 18,000 top-level statements, big object
 * literals) are in source order, so they are binary-searched.
 */
function containingChild(node: AstNode, start: number, end: number): AstNode | undefined {
  for (const slot of childSlots(node)) {
    if (!Array.isArray(slot)) {
      const c = slot as AstNode;
      if (c.start <= start && end <= c.end) return c;
      continue;
    }
    const list = slot as readonly unknown[];
    if (list.length > 16) {
      let lo = 0;
      let hi = list.length - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >>> 1;
        const c = list[mid];
        if (!isNode(c)) break; // holes (`[a,,b]`): fall back to the linear scan
        if (start < c.start) hi = mid - 1;
        else if (start >= c.end) lo = mid + 1;
        else return end <= c.end ? c : undefined;
      }
      if (lo > hi) continue;
    }
    for (const c of list) {
      if (isNode(c) && c.start <= start && end <= c.end) return c;
    }
  }
  return undefined;
}
