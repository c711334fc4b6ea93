/**
 * Where does a value come from? A small, bounded, name-based data-flow engine for
 * minified bundles: it follows identifiers to their declarations and assignments
 * (locals, closures, module variables), parameters to the arguments at every call
 * site of the function, and calls to the values their function returns. It
 * records environment signals reached, literal values compared on the way, and
 * hidden payloads used. Bounded by depth and call-site counts, memoised per node,
 * so the cost is tiny next to parsing even in a 13 MB bundle.
 */
import { child, childList, identifierName, isFunctionNode, memberProperty, stringValue, unwrap, type AstNode } from '../js/ast.js';
import type { JsSource } from '../js/source-file.js';
import { signalOf, type SignalKind } from '../detectors/env-signal.js';

export interface Evidence {
  node: AstNode;
  what: string;
}

export interface Taint {
  signals: Set<SignalKind>;
  compared: Set<string>;
  payloads: Set<string>;
  evidence: Evidence[];
}

const MAX_DEPTH = 10;
const MAX_CALL_SITES = 12;
const MAX_NODES_PER_EXPR = 3000;

function empty(): Taint {
  return { signals: new Set(), compared: new Set(), payloads: new Set(), evidence: [] };
}

function merge(into: Taint, from: Taint): void {
  for (const s of from.signals) into.signals.add(s);
  for (const c of from.compared) into.compared.add(c);
  for (const p of from.payloads) into.payloads.add(p);
  for (const e of from.evidence) if (into.evidence.length < 40 && !into.evidence.some((x) => x.node === e.node)) into.evidence.push(e);
}

interface FunctionScope {
  fn: AstNode;
  locals: Map<string, AstNode[]>;
  params: Map<string, number>;
}

const COMPARE_METHODS = new Set(['includes', 'endsWith', 'startsWith', 'has', 'indexOf', 'test', 'match']);
/** Built-in methods whose results we model by their receiver (or not at all), never by a same-named user method. */
const BUILTIN_METHODS = new Set([
  'map', 'filter', 'reduce', 'forEach', 'find', 'findIndex', 'some', 'every', 'slice', 'splice', 'concat', 'join', 'split',
  'replace', 'replaceAll', 'trim', 'trimStart', 'trimEnd', 'toLowerCase', 'toUpperCase', 'toString', 'valueOf', 'push', 'pop',
  'shift', 'unshift', 'get', 'set', 'call', 'apply', 'bind', 'then', 'catch', 'finally', 'keys', 'values', 'entries', 'from',
  'charCodeAt', 'codePointAt', 'fromCharCode', 'padStart', 'padEnd', 'repeat', 'substring', 'substr', 'at', 'flat', 'flatMap',
  'sort', 'reverse', 'log', 'warn', 'error', 'debug', 'info', 'write', 'emit', 'on', 'once', 'resolve', 'reject', 'parse',
  'stringify', 'assign', 'create', 'hasOwnProperty', 'toISOString', 'getTime', 'now', 'exec', 'format', 'resolvedOptions',
]);

export class TaintEngine {
  private readonly memo = new Map<AstNode, Taint>();
  private readonly scopes = new Map<AstNode, FunctionScope>();
  private readonly returnMemo = new Map<AstNode, Taint>();
  private readonly payloadAt = new Map<string, { node: AstNode; description: string }>();

  constructor(
    private readonly source: JsSource,
    /** Literals (or arrays/calls) that hold recovered hidden payloads, with a short description. */
    payloads: ReadonlyArray<{ node: AstNode; description: string }> = [],
  ) {
    for (const p of payloads) this.payloadAt.set(`${p.node.start}:${p.node.end}`, p);
  }

  /** Function nodes enclosing `node`, innermost first. */
  functionsAround(node: AstNode): AstNode[] {
    return this.source.pathTo(node.start, node.end).filter((n) => n !== node && isFunctionNode(n)).reverse();
  }

  private scopeOf(fn: AstNode): FunctionScope {
    let scope = this.scopes.get(fn);
    if (scope) return scope;
    const locals = new Map<string, AstNode[]>();
    const params = new Map<string, number>();
    childList(fn, 'params').forEach((p, i) => {
      const name = identifierName(p) ?? identifierName(child(p, 'left'));
      if (name) params.set(name, i);
    });
    const add = (name: string | undefined, value: AstNode | undefined) => {
      if (!name || !value) return;
      const list = locals.get(name) ?? [];
      list.push(value);
      locals.set(name, list);
    };
    const body = child(fn, 'body');
    if (body) {
      const stack: AstNode[] = [body];
      let visited = 0;
      while (stack.length > 0 && visited++ < 20_000) {
        const n = stack.pop()!;
        if (n !== body && isFunctionNode(n)) continue; // inner functions have their own scope
        if (n.type === 'VariableDeclarator') add(identifierName(child(n, 'id')), child(n, 'init'));
        else if (n.type === 'AssignmentExpression') add(identifierName(child(n, 'left')), child(n, 'right'));
        for (const key of Object.keys(n)) {
          const v = n[key];
          if (Array.isArray(v)) for (const x of v) { if (x && typeof x === 'object' && typeof (x as AstNode).type === 'string') stack.push(x as AstNode); }
          else if (v && typeof v === 'object' && typeof (v as AstNode).type === 'string') stack.push(v as AstNode);
        }
      }
    }
    scope = { fn, locals, params };
    this.scopes.set(fn, scope);
    return scope;
  }

  /** Taint of an expression evaluated inside `functions` (innermost first). */
  of(expr: AstNode, functions: AstNode[], depth = 0): Taint {
    const cached = this.memo.get(expr);
    if (cached) return cached;
    const taint = empty();
    if (depth > MAX_DEPTH) return taint;
    this.memo.set(expr, taint); // cycle guard: in-progress evaluations see the partial result
    let budget = MAX_NODES_PER_EXPR;
    const stack: AstNode[] = [expr];
    while (stack.length > 0 && budget-- > 0) {
      const n = stack.pop()!;
      // A recovered hidden payload is reached by resolving names to their values, so a
      // minified name reused in another scope never links to it by accident.
      const payload = this.payloadAt.get(`${n.start}:${n.end}`);
      if (payload) {
        taint.payloads.add(payload.description);
        taint.evidence.push({ node: payload.node, what: `uses hidden payload ${payload.description}` });
        continue;
      }
      const signal = signalOf(n);
      if (signal) {
        taint.signals.add(signal.kind);
        taint.evidence.push({ node: n, what: `reads ${signal.kind} (${signal.api})` });
        continue;
      }
      if (n.type === 'Identifier') {
        merge(taint, this.identifier(n, functions, depth));
        continue;
      }
      if (n.type === 'MemberExpression') {
        // Field-insensitive: `k.cnTZ` carries whatever `k` carries.
        stack.push(child(n, 'object')!);
        if (n.computed) stack.push(child(n, 'property')!);
        continue;
      }
      if (n.type === 'Property') {
        const value = child(n, 'value');
        if (value) stack.push(value);
        continue;
      }
      if (n.type === 'BinaryExpression' && ['==', '===', '!=', '!=='].includes(n.operator as string)) {
        for (const side of [child(n, 'left'), child(n, 'right')]) {
          const s = stringValue(unwrap(side));
          if (s !== undefined) {
            taint.compared.add(s);
            taint.evidence.push({ node: n, what: `compares with ${JSON.stringify(s)}` });
          }
        }
      }
      if (n.type === 'BinaryExpression' && ['==', '===', '!=', '!==', '<', '>', '<=', '>='].includes(n.operator as string)) {
        // Numeric comparisons (`getTimezoneOffset() === -480`) count only when the other side carries a signal,
        // and never 0/±1 (UTC and sign checks are not region targeting).
        const left = unwrap(child(n, 'left'));
        const right = unwrap(child(n, 'right'));
        for (const [lit, other] of [[left, right], [right, left]] as const) {
          const value = numberValue(lit);
          if (value === undefined || Math.abs(value) <= 1 || !other) continue;
          if (this.of(other, functions, depth + 1).signals.size === 0) continue;
          taint.compared.add(String(value));
          taint.evidence.push({ node: n, what: `compares with ${value}` });
        }
      }
      if (n.type === 'CallExpression') {
        const callee = unwrap(child(n, 'callee'));
        const name = identifierName(callee);
        if (name) merge(taint, this.callResult(name, depth, n));
        if (callee?.type === 'MemberExpression') {
          const method = memberProperty(callee);
          const owner = identifierName(unwrap(child(callee, 'object')));
          if (method && owner && !COMPARE_METHODS.has(method) && !BUILTIN_METHODS.has(method)) merge(taint, this.methodResult(owner, method, depth));
          if (method && COMPARE_METHODS.has(method)) {
            for (const a of childList(n, 'arguments')) {
              const s = stringValue(unwrap(a));
              if (s !== undefined) {
                taint.compared.add(s);
                taint.evidence.push({ node: n, what: `compares with ${JSON.stringify(s)}` });
              }
            }
          }
        }
      }
      if (isFunctionNode(n) && n !== expr) {
        // A callback passed inline (`list.some(z => host.endsWith(z))`): evaluate its body in its own scope.
        const body = child(n, 'body');
        if (body) merge(taint, this.of(body, [n, ...functions], depth + 1));
        continue;
      }
      for (const key of Object.keys(n)) {
        if (key === 'type' || key === 'start' || key === 'end') continue;
        const v = n[key];
        if (Array.isArray(v)) for (const x of v) { if (x && typeof x === 'object' && typeof (x as AstNode).type === 'string') stack.push(x as AstNode); }
        else if (v && typeof v === 'object' && typeof (v as AstNode).type === 'string') stack.push(v as AstNode);
      }
    }
    return taint;
  }

  private identifier(id: AstNode, functions: AstNode[], depth: number): Taint {
    const name = identifierName(id)!;
    const out = empty();
    for (let i = 0; i < functions.length; i++) {
      const fn = functions[i]!;
      const scope = this.scopeOf(fn);
      const values = scope.locals.get(name);
      if (values) {
        for (const v of values) if (v !== id) merge(out, this.of(v, functions.slice(i), depth + 1));
        return out;
      }
      const index = scope.params.get(name);
      if (index !== undefined) {
        merge(out, this.argumentsAt(fn, index, depth));
        return out;
      }
    }
    // Module level: declarations and every assignment (memoised caches like `if(!c) c = read()`).
    // Names with no module-level declaration are globals or out of reach: not searched.
    const declarations = this.source.topLevelDeclarations(name);
    if (declarations.length === 0) return out;
    for (const d of declarations) {
      const init = child(d, 'init');
      if (init && !isFunctionNode(init)) merge(out, this.of(init, [], depth + 1));
    }
    for (const a of this.source.assignmentsTo(name)) {
      const value = child(a, a.type === 'VariableDeclarator' ? 'init' : 'right');
      if (value && value !== id && !isFunctionNode(value)) merge(out, this.of(value, this.functionsAround(a), depth + 1));
    }
    return out;
  }

  /** Union of the argument at `index` over the call sites of `fn` (found by its name). */
  private argumentsAt(fn: AstNode, index: number, depth: number): Taint {
    const out = empty();
    const name = this.nameOf(fn);
    if (!name) return out;
    // A function not named at top level can only be called inside its top-level statement.
    const within = this.source.isTopLevelName(name) ? undefined : this.source.scopeSpanOf(fn);
    for (const call of this.source.callsOf(name, 24, within).slice(0, MAX_CALL_SITES)) {
      const arg = childList(call, 'arguments')[index];
      if (arg) merge(out, this.of(arg, this.functionsAround(call), depth + 1));
    }
    return out;
  }

  nameOf(fn: AstNode): string | undefined {
    const own = identifierName(child(fn, 'id'));
    if (own) return own;
    const path = this.source.pathTo(fn.start, fn.end);
    const parent = path[path.length - 2];
    if (parent?.type === 'VariableDeclarator') return identifierName(child(parent, 'id'));
    if (parent?.type === 'AssignmentExpression') return identifierName(child(parent, 'left'));
    return undefined;
  }

  /** What a call to the function named `name` returns. */
  /** `Owner.name()` where Owner is a module-level class or object literal: the method's return value. */
  methodResult(owner: string, name: string, depth: number): Taint {
    const out = empty();
    if (depth > MAX_DEPTH) return out;
    for (const fn of this.source.methodsOf(owner, name).slice(0, 2)) merge(out, this.returnTaint(fn, depth + 1));
    return out;
  }

  callResult(name: string, depth: number, call?: AstNode): Taint {
    const out = empty();
    // Definitions visible at the call are top-level ones, or nested ones in the call's own top-level statement.
    const within = call ? this.source.scopeSpanOf(call) : undefined;
    for (const fn of this.source.functionsNamed(name, 8, within).slice(0, 2)) merge(out, this.returnTaint(fn, depth + 1));
    return out;
  }

  private returnTaint(fn: AstNode, depth: number): Taint {
    const cached = this.returnMemo.get(fn);
    if (cached) return cached;
    const out = empty();
    this.returnMemo.set(fn, out);
    const functions = [fn, ...this.functionsAround(fn)];
    const body = child(fn, 'body');
    if (!body) return out;
    if (body.type !== 'BlockStatement' && body.type !== 'FunctionBody') {
      merge(out, this.of(body, functions, depth));
      return out;
    }
    const stack: AstNode[] = [body];
    let visited = 0;
    while (stack.length > 0 && visited++ < 20_000) {
      const n = stack.pop()!;
      if (n !== body && isFunctionNode(n)) continue;
      if (n.type === 'ReturnStatement') {
        const arg = child(n, 'argument');
        if (arg) merge(out, this.of(arg, functions, depth));
        continue;
      }
      for (const key of Object.keys(n)) {
        const v = n[key];
        if (Array.isArray(v)) for (const x of v) { if (x && typeof x === 'object' && typeof (x as AstNode).type === 'string') stack.push(x as AstNode); }
        else if (v && typeof v === 'object' && typeof (v as AstNode).type === 'string') stack.push(v as AstNode);
      }
    }
    return out;
  }
}

/** The value of a numeric literal, also negated (`-480`), else undefined. */
function numberValue(node: AstNode | undefined): number | undefined {
  if (!node) return undefined;
  if (node.type === 'Literal' && typeof node.value === 'number') return node.value;
  if (node.type === 'UnaryExpression' && node.operator === '-') {
    const inner = numberValue(unwrap(child(node, 'argument')));
    return inner === undefined ? undefined : -inner;
  }
  return undefined;
}
