/**
 * JavaScript parsing with oxc-parser (native, error-tolerant). On Node >= 22 we
 * use raw transfer: the AST arrives as one buffer and is deserialised in JS,
 * ~1.2 s for a 13 MB bundle instead of ~4.5 s through JSON (measured, see
 * docs/performance.md).
 */
import { parse, parseSync, rawTransferSupported } from 'oxc-parser';
import { walk, type AstNode } from './ast.js';

export interface ParsedProgram {
  program: AstNode;
  /** Parse errors (the parser recovers; a partial AST is still analysed). */
  errors: string[];
  rawTransfer: boolean;
}

const RAW = rawTransferSupported();

export function parseJavaScript(fileName: string, text: string): ParsedProgram {
  const lang = /\.(m|c)?tsx?$/.test(fileName) ? (fileName.endsWith('x') ? 'tsx' : 'ts') : 'js';
  const attempt = (sourceType: 'module' | 'script') =>
    parseSync(fileName, text, {
      sourceType,
      lang,
      preserveParens: false,
      ...(RAW ? { experimentalRawTransfer: true } : {}),
    } as Parameters<typeof parseSync>[2]);
  let result = attempt('module');
  // Old-style scripts (`with`, octal escapes, `arguments` tricks) fail as modules: retry as script.
  if (result.errors.length > 0) {
    const script = attempt('script');
    if (script.errors.length < result.errors.length) result = script;
  }
  return {
    program: result.program as unknown as AstNode,
    errors: result.errors.map((e) => e.message),
    rawTransfer: RAW,
  };
}

type SourceType = 'module' | 'script';

function languageOf(fileName: string): 'js' | 'ts' | 'tsx' {
  return /\.(m|c)?tsx?$/.test(fileName) ? (fileName.endsWith('x') ? 'tsx' : 'ts') : 'js';
}

function eager(fileName: string, text: string, sourceType: SourceType) {
  return parseSync(fileName, text, {
    sourceType,
    lang: languageOf(fileName),
    preserveParens: false,
    ...(RAW ? { experimentalRawTransfer: true } : {}),
  } as Parameters<typeof parseSync>[2]);
}

/** The top-level statements of a big file, and which names each declares, without building its AST. */
export interface StatementOutline {
  sourceType: SourceType;
  /** [start, end) of every top-level statement, in UTF-16 offsets. */
  spans: Array<[number, number]>;
  /** Top-level declared name → indices of the statements declaring it. */
  declarations: Map<string, number[]>;
  errors: string[];
}

interface LazyNode {
  type: string;
  start: number;
  end: number;
  id?: { name?: string } | null;
  declaration?: LazyNode | null;
  declarations?: ArrayLike<{ id?: { name?: string } }>;
}

/**
 * oxc's lazy mode parses natively and builds JavaScript objects only for what is
 * read. We read only the top-level statements' spans and declared names: the
 * native parse's cost, almost nothing more. (Its own visitor is not used: it is
 * known to skip code in some class heritage expressions.) Undefined when raw
 * transfer is unavailable.
 */
export function outlineStatements(fileName: string, text: string): StatementOutline | undefined {
  if (!RAW) return undefined;
  const lazy = (sourceType: SourceType) =>
    parseSync(fileName, text, { sourceType, lang: languageOf(fileName), experimentalLazy: true } as Parameters<typeof parseSync>[2]);
  let sourceType: SourceType = 'module';
  let result = lazy(sourceType);
  if (result.errors.length > 0) {
    const script = lazy('script');
    if (script.errors.length < result.errors.length) {
      release(result);
      result = script;
      sourceType = 'script';
    } else release(script);
  }
  const outline = outlineOf(result, sourceType);
  release(result);
  return outline;
}

/**
 * Hands the lazy AST's buffer back to oxc-parser's cache. Without this the buffer waits
 * for garbage collection, and the next parse on this thread (the anchored statements)
 * gets a fresh one whose pages all fault in again: measured ~60–110 ms of a ~300 ms parse.
 */
function release(result: unknown): void {
  const dispose = (result as { dispose?: () => void }).dispose;
  if (typeof dispose === 'function') dispose.call(result);
}

/**
 * The same outline, parsed on oxc's own thread: the caller's thread stays free
 * (the scanner reads the rest of an archive meanwhile). Falls back to the
 * synchronous path when the module parse has errors (the script retry).
 */
export async function outlineStatementsAsync(fileName: string, text: string): Promise<StatementOutline | undefined> {
  if (!RAW) return undefined;
  const result = await parse(fileName, text, { sourceType: 'module', lang: languageOf(fileName), experimentalLazy: true } as Parameters<typeof parse>[2]);
  if (result.errors.length > 0) {
    release(result);
    return outlineStatements(fileName, text);
  }
  const outline = outlineOf(result, 'module');
  release(result);
  return outline;
}

function outlineOf(result: { program: unknown; errors: ReadonlyArray<{ message: string }> }, sourceType: SourceType): StatementOutline {
  const body = (result.program as { body: ArrayLike<LazyNode> }).body;
  const spans: Array<[number, number]> = new Array(body.length);
  const declarations = new Map<string, number[]>();
  const declare = (name: string | undefined, index: number) => {
    if (!name) return;
    const list = declarations.get(name);
    if (list) list.push(index);
    else declarations.set(name, [index]);
  };
  for (let i = 0; i < body.length; i++) {
    const s = body[i]!;
    spans[i] = [s.start, s.end];
    const d = s.type === 'ExportDeclaration' || s.type === 'ExportNamedDeclaration' ? (s.declaration ?? s) : s;
    if (d.type === 'FunctionDeclaration' || d.type === 'ClassDeclaration') declare(d.id?.name, i);
    else if (d.type === 'VariableDeclaration' && d.declarations) {
      for (let k = 0; k < d.declarations.length; k++) declare(d.declarations[k]?.id?.name, i);
    }
  }
  return { sourceType, spans, declarations, errors: result.errors.map((e) => e.message) };
}

/**
 * Parses only the chosen top-level statements: everything else is replaced by
 * spaces (one line break kept where the gap had one, so automatic semicolon
 * insertion sees what it saw), which keeps every offset of the original text.
 * Returns the statements in the order of `chosen`, or undefined when the result
 * does not line up with the outline (then the caller parses the whole file).
 */
export function parseChosenStatements(fileName: string, text: string, outline: StatementOutline, chosen: readonly number[]): AstNode[] | undefined {
  const parts: string[] = [];
  let pos = 0;
  const gap = (from: number, to: number) => {
    if (to <= from) return;
    const breakAt = text.slice(from, to).search(/[\n\r\u2028\u2029]/);
    parts.push(breakAt >= 0 ? '\n' + ' '.repeat(to - from - 1) : ' '.repeat(to - from));
  };
  for (const i of chosen) {
    const [start, end] = outline.spans[i]!;
    gap(pos, start);
    parts.push(text.slice(start, end));
    pos = end;
  }
  gap(pos, text.length);
  const result = eager(fileName, parts.join(''), outline.sourceType);
  const body = (result.program as unknown as { body: AstNode[] }).body;
  if (result.errors.length > 0 || body.length !== chosen.length) return undefined;
  for (let k = 0; k < chosen.length; k++) {
    const [start, end] = outline.spans[chosen[k]!]!;
    if (body[k]!.start !== start || body[k]!.end !== end) return undefined;
  }
  return body;
}

/** Parses one top-level statement on its own and moves its offsets to where it sits in the file. */
export function parseStatementAt(fileName: string, text: string, outline: StatementOutline, index: number): AstNode | undefined {
  const [start, end] = outline.spans[index]!;
  const result = eager(fileName, text.slice(start, end), outline.sourceType);
  const body = (result.program as unknown as { body: AstNode[] }).body;
  if (body.length !== 1) return undefined;
  const node = body[0]!;
  walk(node, (n) => {
    n.start += start;
    n.end += start;
  });
  return node;
}
