/**
 * One JavaScript source with everything detectors need to navigate it without
 * walking 13 MB of AST: line index, the top-level statement at an offset, the
 * node path to an offset, declarations and call sites by name (found by a text
 * search and confirmed in the AST, because minified names are short but unique
 * enough to grep).
 */
import { childKeys, childList, child, identifierName, isFunctionNode, isNode, type AstNode } from './ast.js';
import { IdentifierIndex } from './identifier-index.js';

/**
 * For big files only part of the AST is built up front (see analyze-js.ts); the
 * rest is parsed statement by statement when data flow reaches it.
 */
export interface StatementLoader {
  /** Parses top-level statement `index` (undefined when it cannot be parsed alone). */
  parse(index: number): AstNode | undefined;
  /** Top-level declared name → statement indices, known without parsing. */
  declarations: ReadonlyMap<string, readonly number[]>;
}

/** [start, end) in UTF-16 offsets. */
export type Span = readonly [number, number];

/** Stand-in for a top-level statement that has not been parsed yet. */
export const UNPARSED = 'UnparsedStatement';

export class JsSource {
  readonly statements: AstNode[];
  /** Statements parsed on demand after the first pass (a cost counter for stats and bounds). */
  parsedOnDemand = 0;
  static readonly MAX_ON_DEMAND = 2000;
  private lineStarts: Uint32Array | undefined;
  private topLevelDecls: Map<string, AstNode[]> | undefined;
  private readonly functionCache = new Map<string, AstNode[]>();
  private readonly callCache = new Map<string, AstNode[]>();
  private readonly assignmentCache = new Map<string, AstNode[]>();

  constructor(
    readonly path: string,
    readonly text: string,
    readonly program: AstNode,
    /** With a loader, `statements` holds every top-level statement, unparsed ones as UNPARSED stand-ins. */
    statements?: AstNode[],
    private readonly loader?: StatementLoader,
  ) {
    this.statements = statements ?? childList(program, 'body');
  }

  /** Top-level statement `index`, parsed now if it was not parsed yet. */
  statement(index: number): AstNode | undefined {
    const s = this.statements[index];
    if (!s || s.type !== UNPARSED) return s;
    if (!this.loader || this.parsedOnDemand >= JsSource.MAX_ON_DEMAND) return undefined;
    this.parsedOnDemand++;
    const parsed = this.loader.parse(index);
    if (!parsed) return undefined;
    this.statements[index] = parsed;
    return parsed;
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
    const index = this.statementIndexAt(start);
    const top = index >= 0 ? this.statement(index) : undefined;
    if (!top || end > top.end) return path;
    path.push(top);
    let node: AstNode | undefined = top;
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
    if (this.loader) return this.loadedDeclarations(name);
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
        if (s.type === 'FunctionDeclaration' || s.type === 'ClassDeclaration') add(identifierName(child(s, 'id')), s);
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
  static readonly MAX_TEXT_SEARCHES = 200;

  private searchable(name: string): boolean {
    if (BUILTIN_GLOBALS.has(name) || this.textSearches >= JsSource.MAX_TEXT_SEARCHES) return false;
    this.textSearches++;
    return true;
  }

  private readonly loadedDecls = new Map<string, AstNode[]>();

  private loadedDeclarations(name: string): AstNode[] {
    const cached = this.loadedDecls.get(name);
    if (cached) return cached;
    const out: AstNode[] = [];
    for (const index of this.loader!.declarations.get(name) ?? []) {
      let s = this.statement(index);
      if (!s) continue;
      if (s.type === 'ExportNamedDeclaration' && child(s, 'declaration')) s = child(s, 'declaration')!;
      if ((s.type === 'FunctionDeclaration' || s.type === 'ClassDeclaration') && identifierName(child(s, 'id')) === name) out.push(s);
      else if (s.type === 'VariableDeclaration') {
        for (const d of childList(s, 'declarations')) if (identifierName(child(d, 'id')) === name) out.push(d);
      }
    }
    this.loadedDecls.set(name, out);
    return out;
  }

  /** Whole-file name searches so far, and the index that answers them once they add up. */
  private wholeFileSearches = 0;
  private index: IdentifierIndex | undefined;
  /** Whole-file searches in a big file before the index is built: ~0.1 s to build, 2–4 ms per search saved. */
  static readonly INDEX_AFTER_SEARCHES = 24;
  static readonly INDEX_MIN_CHARS = 1 << 20;

  /**
   * Positions where `name` occurs as a whole identifier (not after `.`) and the
   * text after it matches the sticky `tail`. indexOf is an order of magnitude
   * faster than a regex that starts with a character class over 13 MB; past a
   * few dozen whole-file searches an IdentifierIndex answers instead.
   */
  private *identifierHits(name: string, tail: RegExp, within?: Span): Generator<number> {
    const text = this.text;
    const [from, to] = within ?? [0, text.length];
    let examined = 0;
    const cap = name.length <= 2 ? MAX_HITS_EXAMINED / 5 : MAX_HITS_EXAMINED;
    if (!within && ++this.wholeFileSearches > JsSource.INDEX_AFTER_SEARCHES && !this.index && text.length >= JsSource.INDEX_MIN_CHARS) {
      this.index = IdentifierIndex.build(text);
    }
    if (this.index?.covers(name)) {
      for (const i of this.index.occurrences(name, from, to)) {
        if (examined++ >= cap) return;
        tail.lastIndex = i + name.length;
        if (tail.test(text)) yield i;
      }
      return;
    }
    for (let i = text.indexOf(name, from); i !== -1 && i < to && examined++ < cap; i = text.indexOf(name, i + name.length)) {
      const before = i > 0 ? text.charCodeAt(i - 1) : 32;
      if (isIdentifierCode(before) || before === 46 /* . */) continue;
      const after = text.charCodeAt(i + name.length);
      if (isIdentifierCode(after)) continue;
      tail.lastIndex = i + name.length;
      if (tail.test(text)) yield i;
    }
  }

  /** An index of this very text built earlier (while the caller waited for something else): every search uses it. */
  useIndex(index: IdentifierIndex): void {
    if (index.isFor(this.text)) this.index = index;
  }

  /** True when `name` is declared by a top-level statement (known without parsing). */
  isTopLevelName(name: string): boolean {
    if (this.loader) return this.loader.declarations.has(name);
    return this.topLevelDeclarations(name).length > 0;
  }

  /**
   * The span of the top-level statement around `node`: a name that is not
   * declared at top level is visible only inside it, so searches for that name
   * stay there (faster on a 13 MB bundle, and a minified name reused in another
   * module is not mistaken for it).
   */
  scopeSpanOf(node: AstNode): Span | undefined {
    const index = this.statementIndexAt(node.start);
    const s = index >= 0 ? this.statements[index] : undefined;
    return s ? [s.start, s.end] : undefined;
  }

  /**
   * Function definitions named `name`, at any depth: `function name(`,
   * `name = function`, `name = (…) =>` are found by text and confirmed in the AST.
   * `within` bounds the text search (see scopeSpanOf).
   */
  functionsNamed(name: string, limit = 8, within?: Span): AstNode[] {
    const key = within ? `${name}@${within[0]}` : name;
    const cached = this.functionCache.get(key);
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
      for (const at of this.identifierHits(name, DEFINITION_TAIL, within)) {
        if (found.length >= limit) break;
        const isCall = this.text.charCodeAt(skipSpaces(this.text, at + name.length)) === 40; /* ( */
        if (isCall && !/function\s*\*?\s*$/.test(this.text.slice(Math.max(0, at - 16), at))) continue;
        const path = this.pathTo(at, at + name.length);
        for (let i = path.length - 1; i >= 0; i--) {
          const n = path[i]!;
          if (n.type === 'FunctionDeclaration' && identifierName(child(n, 'id')) === name) {
            found.push(n);
            break;
          }
          if (n.type === 'VariableDeclarator' || n.type === 'AssignmentExpression') {
            const target = child(n, n.type === 'VariableDeclarator' ? 'id' : 'left');
            const value = child(n, n.type === 'VariableDeclarator' ? 'init' : 'right');
            if (identifierName(target) === name && value && isFunctionNode(value)) found.push(value);
            break;
          }
        }
      }
    }
    this.functionCache.set(key, found);
    return found;
  }

  /**
   * Methods named `method` of a class or object literal declared at module level
   * as `owner` (`class P { static off() {} }`, `const api = { host() {} }`).
   */
  methodsOf(owner: string, method: string): AstNode[] {
    const out: AstNode[] = [];
    for (const d of this.topLevelDeclarations(owner)) {
      const holder = d.type === 'ClassDeclaration' ? d : child(d, 'init');
      if (!holder) continue;
      const members =
        holder.type === 'ClassDeclaration' || holder.type === 'ClassExpression'
          ? childList(child(holder, 'body') ?? holder, 'body')
          : holder.type === 'ObjectExpression'
            ? childList(holder, 'properties')
            : [];
      for (const m of members) {
        const key = child(m, 'key');
        const value = child(m, 'value');
        if ((identifierName(key) ?? (key?.type === 'Literal' ? String(key.value) : undefined)) === method && value && isFunctionNode(value)) out.push(value);
      }
    }
    return out;
  }

  /** Call expressions `name(…)` in the file, or `within` a span (bounded). */
  callsOf(name: string, limit = 24, within?: Span): AstNode[] {
    const key = within ? `${name}@${within[0]}` : name;
    const cached = this.callCache.get(key);
    if (cached) return cached;
    const calls: AstNode[] = [];
    this.callCache.set(key, calls);
    if (!this.searchable(name)) return calls;
    for (const at of this.identifierHits(name, CALL_TAIL, within)) {
      if (calls.length >= limit) break;
      if (/function\s*\*?\s*$/.test(this.text.slice(Math.max(0, at - 16), at))) continue;
      const path = this.pathTo(at, at + name.length);
      for (let i = path.length - 1; i >= 0; i--) {
        const n = path[i]!;
        if (n.type === 'CallExpression' && identifierName(child(n, 'callee')) === name) {
          calls.push(n);
          break;
        }
      }
    }
    return calls;
  }

  /** `name = …` assignments anywhere in the file (bounded), for memoised module variables. */
  assignmentsTo(name: string, limit = 16): AstNode[] {
    const cached = this.assignmentCache.get(name);
    if (cached) return cached;
    const out: AstNode[] = [];
    this.assignmentCache.set(name, out);
    if (!this.searchable(name)) return out;
    for (const at of this.identifierHits(name, ASSIGNMENT_TAIL)) {
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

/** Raw occurrences looked at per name search: one-letter names occur hundreds of thousands of times. */
const MAX_HITS_EXAMINED = 20_000;
const CALL_TAIL = /\s*\(/y;
const ASSIGNMENT_TAIL = /\s*(?:\?\?|\|\||&&)?=(?![=>])/y;
const DEFINITION_TAIL = /\s*(?:\(|=\s*(?:async\s*)?(?:function\b|\(|[\w$]+\s*=>))/y;

function isIdentifierCode(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 36 || c === 95 || c > 127;
}

function skipSpaces(text: string, i: number): number {
  while (i < text.length && (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9 || text.charCodeAt(i) === 10 || text.charCodeAt(i) === 13)) i++;
  return i;
}

/** Names of the JavaScript runtime's own globals (`Object`, `String`, `process`…): never user definitions. */
const BUILTIN_GLOBALS: ReadonlySet<string> = new Set([
  ...Object.getOwnPropertyNames(globalThis),
  'require', 'module', 'exports', 'process', 'Buffer', 'window', 'document', 'navigator', 'self', 'console', 'arguments', 'undefined',
]);

/**
 * The child of `node` whose span contains [start, end). Long child arrays
 * (statement lists, a bundle's 18,000 top-level statements, big object
 * literals) are in source order, so they are binary-searched.
 */
function containingChild(node: AstNode, start: number, end: number): AstNode | undefined {
  // Keys read directly: this runs for every level of every path (tens of thousands per half).
  const keys = childKeys(node);
  for (let k = 0; k < keys.length; k++) {
    const slot = node[keys[k]!];
    if (!Array.isArray(slot)) {
      if (isNode(slot) && slot.start <= start && end <= slot.end) return slot;
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
