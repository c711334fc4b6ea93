/**
 * What a file is and how it becomes analysable text. Pure: bytes in, a LoadedFile
 * (and notes on anything not analysed) out. The readers (tarball, directory,
 * single file) all go through `sniffKind`, `sizeVerdict` and `toLoadedFile`.
 */
import { createHash } from 'node:crypto';
import { isUtf8 } from 'node:buffer';
import { executableFormat, extractFromExecutable, extractStrings, trimPartialUtf8, type ExtractionLimits } from './executable.js';
import { startsLikeJavaScript } from './js-sniff.js';
import { mib, type ResolvedLoadOptions } from './limits.js';
import type { FileKind, LoadedFile, SkippedFile } from './types.js';

/** How many leading bytes classification looks at (readers read at least this much before deciding). */
export const SNIFF_BYTES = 8192;
/** Invalid UTF-8 is judged in the first KB, NUL bytes in the whole sniffed head (as git does). */
const UTF8_SNIFF_BYTES = 1024;

const JS_EXT = /\.(?:js|cjs|mjs|jsx)$/i;
const TS_DECL_EXT = /\.d\.(?:ts|mts|cts)$/i;
const TS_EXT = /\.(?:ts|mts|cts|tsx)$/i;
const JSON_EXT = /\.(?:json|jsonc|json5)$/i;
/** Extensions of text that is certainly not JavaScript: no sniffing needed. */
const OTHER_TEXT_EXT =
  /\.(?:md|markdown|mdx|txt|rst|adoc|ya?ml|toml|ini|cfg|conf|env|properties|html?|xml|svg|css|scss|sass|less|csv|tsv|sh|bash|zsh|fish|ps1|psm1|bat|cmd|py|rb|go|rs|c|h|cc|cpp|hpp|java|kt|swift|php|pl|lua|sql|graphql|gql|proto|lock|gitignore|npmignore|gitattributes|editorconfig|license|licence|patch|diff|vue|svelte|astro|hbs|ejs|pug|tmpl|tpl)$/i;
const SHEBANG = /^#![^\n]*?\b(node|nodejs|bun|deno|tsx|ts-node|esno|zx)\b/;

/** The kind of a file from its path and its first bytes (up to SNIFF_BYTES). */
export function sniffKind(path: string, head: Uint8Array): FileKind {
  if (executableFormat(head)) return 'executable';
  const base = path.slice(path.lastIndexOf('/') + 1);
  const codeExt = JS_EXT.test(base) || TS_EXT.test(base) || JSON_EXT.test(base);
  if (head.indexOf(0) >= 0) return 'binary';
  if (!codeExt && !isUtf8(trimPartialUtf8(head.subarray(0, UTF8_SNIFF_BYTES)))) return 'binary';
  const start = Buffer.from(head.buffer, head.byteOffset, Math.min(head.length, 4096)).toString('latin1');
  const shebang = SHEBANG.exec(start);
  if (shebang) return shebang[1] === 'tsx' || shebang[1] === 'ts-node' ? 'typescript' : 'javascript';
  if (TS_DECL_EXT.test(base)) return 'typescript-declaration';
  if (TS_EXT.test(base)) return 'typescript';
  if (JS_EXT.test(base)) return 'javascript';
  if (JSON_EXT.test(base)) return 'json';
  if (/\.map$/i.test(base) && /^\s*\{/.test(start)) return 'json';
  if (OTHER_TEXT_EXT.test(base)) return 'text';
  return startsLikeJavaScript(start) ? 'javascript' : 'text';
}

export function isBinaryKind(kind: FileKind): boolean {
  return kind === 'executable' || kind === 'binary';
}

/** Undefined when a file of this kind and size may be read; else the reason it is skipped. */
export function sizeVerdict(kind: FileKind, size: number, limits: ResolvedLoadOptions): string | undefined {
  if (isBinaryKind(kind)) {
    if (size > limits.maxExecutableBytes) return `${kind} too large: ${mib(size)} > ${mib(limits.maxExecutableBytes)} (raise --max-executable-bytes if you trust it)`;
    return undefined;
  }
  if (size > limits.maxFileBytes) return `${kind} file too large: ${mib(size)} > ${mib(limits.maxFileBytes)} (raise --max-file-bytes if you trust it)`;
  return undefined;
}

export interface Converted {
  file: LoadedFile;
  /** Notes for the `skipped` list when part of the file was not analysed. */
  partial: SkippedFile[];
}

/** Turns the bytes of one file into a LoadedFile of the given kind. */
export function toLoadedFile(path: string, kind: FileKind, bytes: Buffer, limits: ResolvedLoadOptions): Converted {
  if (kind === 'executable' || kind === 'binary') return convertBinary(path, kind, bytes, limits);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const file: LoadedFile = { path, kind, size: bytes.length, sha256 };
  const partial: SkippedFile[] = [];
  const decoded = decodeText(bytes);
  file.text = decoded.text;
  if (decoded.invalid > 0) {
    partial.push({
      path,
      reason: `partly analysed: ${decoded.invalid} invalid UTF-8 sequence${decoded.invalid === 1 ? '' : 's'} (first at byte ${decoded.firstInvalid}) read as U+FFFD`,
    });
  }
  return { file, partial };
}

/** An executable or other binary: its embedded JavaScript or printable strings, as text segments. */
export function convertBinary(path: string, kind: 'executable' | 'binary', bytes: Buffer, extraction: ExtractionLimits): Converted {
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const file: LoadedFile = { path, kind, size: bytes.length, sha256 };
  const partial: SkippedFile[] = [];
  const result = kind === 'executable' ? extractFromExecutable(bytes, extraction) : extractStrings(bytes, extraction);
  file.segments = result.segments;
  if (result.runtime) file.runtime = result.runtime;
  for (const reason of result.partial) partial.push({ path, reason: `partly analysed: ${reason}` });
  return { file, partial };
}

export interface DecodedText {
  text: string;
  /** Number of invalid UTF-8 sequences replaced by U+FFFD. */
  invalid: number;
  firstInvalid: number;
}

/**
 * UTF-8 text with a leading byte-order mark removed (it is an encoding mark, not
 * content, and would look like a hidden character). Invalid sequences become
 * U+FFFD, counted, so the caller can say the file was read only in part.
 */
export function decodeText(bytes: Buffer): DecodedText {
  const body = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes;
  const text = body.toString('utf8');
  if (isUtf8(body)) return { text, invalid: 0, firstInvalid: -1 };
  let invalid = 0;
  let firstInvalid = -1;
  // Re-walk only on the rare invalid path, to report where and how often.
  let i = 0;
  while (i < body.length) {
    const n = validSequenceLength(body, i);
    if (n === 0) {
      if (firstInvalid < 0) firstInvalid = i + (body === bytes ? 0 : 3);
      invalid++;
      i++;
      while (i < body.length && body[i]! >= 0x80 && body[i]! <= 0xbf) i++;
    } else {
      i += n;
    }
  }
  return { text, invalid, firstInvalid };
}

function validSequenceLength(b: Uint8Array, i: number): number {
  const c = b[i]!;
  if (c < 0x80) return 1;
  const need = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
  if (need === 0 || i + need > b.length) return 0;
  const c1 = b[i + 1]!;
  if (c1 < 0x80 || c1 > 0xbf) return 0;
  if ((c === 0xe0 && c1 < 0xa0) || (c === 0xed && c1 > 0x9f) || (c === 0xf0 && c1 < 0x90) || (c === 0xf4 && c1 > 0x8f)) return 0;
  for (let k = 2; k < need; k++) {
    const ck = b[i + k]!;
    if (ck < 0x80 || ck > 0xbf) return 0;
  }
  return need;
}
