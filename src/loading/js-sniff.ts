/**
 * Cheap guesses whether bytes are JavaScript source: for extension-less files and
 * for runs of text found inside executables. Pure; looks at samples only, so the
 * cost does not grow with a 10 MB run.
 */

const SAMPLE = 16 * 1024;

/** Start of a file that is JavaScript without a telling extension, once comments and blank lines are skipped. */
const JS_START = new RegExp(
  '^(?:' +
    [
      `['"]use strict['"]`,
      String.raw`import\s*(?:[{*'"(]|[\w$]+\s*(?:,|from\b))`,
      String.raw`export\s+(?:default\b|const\b|let\b|var\b|function\b|class\b|async\b|\{|\*)`,
      String.raw`(?:const|let|var)\s+[\w$]+\s*[=,;]`,
      String.raw`(?:const|let|var)\s*[[{]`,
      String.raw`(?:async\s+)?function\s*\*?\s*[\w$]*\s*\(`,
      String.raw`module\.exports\b`,
      String.raw`exports\.[\w$]+\s*=`,
      String.raw`require\s*\(\s*['"]`,
      String.raw`[!(~+]\s*function\b`,
      String.raw`\(\s*(?:async\s*)?\(\s*\)\s*=>`,
      String.raw`class\s+[\w$]+\s*(?:extends\b|\{)`,
    ].join('|') +
    ')',
);

/** True when the beginning of a file reads like JavaScript (extension-less bins, bundles). */
export function startsLikeJavaScript(head: string): boolean {
  return JS_START.test(skipCommentsAndSpace(head.slice(0, 4096)));
}

/** Skips leading whitespace and comments with a plain loop: a regex for this can backtrack badly. */
function skipCommentsAndSpace(text: string): string {
  let i = 0;
  for (;;) {
    while (i < text.length && /\s/.test(text[i]!)) i++;
    if (text.startsWith('//', i)) {
      const nl = text.indexOf('\n', i);
      if (nl < 0) return '';
      i = nl + 1;
    } else if (text.startsWith('/*', i)) {
      const close = text.indexOf('*/', i + 2);
      if (close < 0) return '';
      i = close + 2;
    } else {
      return text.slice(i);
    }
  }
}

const KEYWORD = /\b(?:function|return|const|let|var|typeof|instanceof|this|new|null|undefined|async|await)\b|=>/g;
const STRONG = /\bfunction\b|=>|\breturn\b/;

/**
 * True when `text` (a sample of a long run) has the texture of JavaScript: dense
 * punctuation and several distinct keywords, at least one of them a function or
 * a return. English, JSON, base64 and CSS fail one of the two tests.
 */
export function hasJavaScriptTexture(text: string): boolean {
  if (text.length === 0 || !STRONG.test(text)) return false;
  let punct = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // ; { } ( ) = ,
    if (c === 59 || c === 123 || c === 125 || c === 40 || c === 41 || c === 61 || c === 44) punct++;
  }
  if (punct / text.length < 0.05) return false;
  const distinct = new Set<string>();
  let hits = 0;
  for (const m of text.matchAll(KEYWORD)) {
    distinct.add(m[0]);
    hits++;
  }
  return distinct.size >= 3 && hits * 1000 >= text.length * 2;
}

/** Checks the texture of a long text on samples of its start, middle and end, so the cost stays flat. */
export function textLooksLikeJavaScript(text: string): boolean {
  const n = text.length;
  if (n <= 3 * SAMPLE) return hasJavaScriptTexture(text);
  const mid = Math.floor(n / 2) - SAMPLE / 2;
  return twoOfThree([text.slice(0, SAMPLE), text.slice(mid, mid + SAMPLE), text.slice(n - SAMPLE)]);
}

/** The same on bytes inside a buffer, read as Latin-1 (no decoding cost; keywords and punctuation are ASCII). */
export function runLooksLikeJavaScript(b: Buffer, start: number, end: number): boolean {
  const length = end - start;
  if (length <= 3 * SAMPLE) return hasJavaScriptTexture(b.toString('latin1', start, end));
  const mid = start + Math.floor(length / 2) - SAMPLE / 2;
  return twoOfThree([b.toString('latin1', start, start + SAMPLE), b.toString('latin1', mid, mid + SAMPLE), b.toString('latin1', end - SAMPLE, end)]);
}

/** A bundle may open with a long data literal or end with a source map comment: two samples of three suffice. */
function twoOfThree(samples: string[]): boolean {
  return samples.filter(hasJavaScriptTexture).length >= 2;
}
