/**
 * JavaScript inside compiled single-file executables (Bun, Node SEA, Deno) and
 * printable strings of other binaries. Pure functions over a Buffer: the binary is
 * never decoded as a whole; only the pieces that hold text become strings.
 *
 * Order of attempts:
 *  1. Bun: the standalone module graph ends with the trailer "\n---- Bun! ----\n",
 *     preceded by an `Offsets` struct that points at a table of modules (name,
 *     contents, …). Used wherever the graph lives (appended on Linux, a `__BUN`
 *     section on macOS, a `.bun` section on Windows).
 *  2. Node SEA: the fuse "NODE_SEA_FUSE_…:1" says a blob was injected; the blob
 *     starts with magic 0x143da20, flags, the code path and the main script.
 *  3. Deno: the "d3n0l4nd" marker names the runtime; sources are found by (4).
 *  4. Generic: long runs (≥ minJavaScriptRunBytes) of valid UTF-8 with the texture of JavaScript.
 * When no JavaScript is found, printable strings are extracted instead (capped).
 */
import { isUtf8 } from 'node:buffer';
import zlib from 'node:zlib';
import { findLongTextRuns, findPrintableStrings, lowEntropyRegions } from './text-runs.js';
import { runLooksLikeJavaScript, startsLikeJavaScript, textLooksLikeJavaScript } from './js-sniff.js';
import type { TextSegment } from './types.js';

export type ExecutableFormat = 'elf' | 'macho' | 'pe';

/** The container format from the first bytes (ELF, Mach-O thin or fat, PE), or undefined. */
export function executableFormat(head: Uint8Array): ExecutableFormat | undefined {
  if (head.length < 4) return undefined;
  const b0 = head[0]!;
  const b1 = head[1]!;
  const b2 = head[2]!;
  const b3 = head[3]!;
  if (b0 === 0x7f && b1 === 0x45 && b2 === 0x4c && b3 === 0x46) return 'elf';
  const be = ((b0 << 24) | (b1 << 16) | (b2 << 8) | b3) >>> 0;
  // MH_MAGIC, MH_MAGIC_64 and their byte-swapped forms.
  if (be === 0xfeedface || be === 0xfeedfacf || be === 0xcefaedfe || be === 0xcffaedfe) return 'macho';
  if (be === 0xcafebabe || be === 0xcafebabf || be === 0xbebafeca) {
    // Java class files share 0xcafebabe; there the next word is a version (≥ 45), in a fat Mach-O an arch count.
    if (head.length < 8) return undefined;
    const n = be === 0xbebafeca ? readU32LE(head, 4) : readU32BE(head, 4);
    return n > 0 && n < 45 ? 'macho' : undefined;
  }
  if (b0 === 0x4d && b1 === 0x5a && head.length >= 0x40) {
    const peOffset = readU32LE(head, 0x3c);
    if (peOffset + 4 <= head.length) {
      return head[peOffset] === 0x50 && head[peOffset + 1] === 0x45 && head[peOffset + 2] === 0 && head[peOffset + 3] === 0 ? 'pe' : undefined;
    }
    // Header beyond what was sniffed: MZ plus a plausible header offset is enough.
    return peOffset >= 0x40 && peOffset < 0x10000 ? 'pe' : undefined;
  }
  return undefined;
}

export interface ExtractionLimits {
  minJavaScriptRunBytes: number;
  /** Cap on decompressing an embedded asset. */
  maxFileBytes: number;
  minStringBytes: number;
  maxStringBytes: number;
}

export interface Extraction {
  runtime?: string;
  segments: TextSegment[];
  /** Reasons why part of the binary was not turned into text (become "partly analysed" notes). */
  partial: string[];
}

export function extractFromExecutable(buf: Buffer, limits: ExtractionLimits): Extraction {
  const bun = extractBun(buf, limits);
  if (bun) return bun;
  const sea = extractNodeSea(buf);
  if (sea && sea.segments.length > 0) return sea;
  const deno = sea ? undefined : denoPayload(buf);
  const runtime = sea?.runtime ?? deno?.runtime;
  let segments: TextSegment[] = [];
  // Within a known Deno payload modules can be short, so a lower run length is safe there.
  if (deno?.region) segments = extractJavaScriptRuns(buf, Math.min(256, limits.minJavaScriptRunBytes), deno.region.start, deno.region.end);
  if (segments.length === 0) segments = extractJavaScriptRuns(buf, limits.minJavaScriptRunBytes);
  // A JavaScript runtime's payload is its program: the JavaScript found is what to analyse.
  if (segments.length > 0 && runtime) return { runtime, segments, partial: sea?.partial ?? [] };
  const strings = extractStrings(buf, limits);
  if (segments.length === 0) return { ...(runtime ? { runtime } : {}), segments: strings.segments, partial: [...(sea?.partial ?? []), ...strings.partial] };
  // Native code in which some text looked like JavaScript (an embedded script, a template):
  // its printable strings are searched too, or its endpoints go unseen — Codex 0.169's Rust
  // binary holds a 58 KB run of JavaScript-like text and `https://api.openai.com/v1`.
  const js = segments;
  const outside = strings.segments.filter((s) => !js.some((j) => s.byteOffset < j.byteOffset + segmentBytes(j) && j.byteOffset < s.byteOffset + segmentBytes(s)));
  return { segments: [...js, ...outside].sort((a, b) => a.byteOffset - b.byteOffset), partial: strings.partial };
}

/** A segment's length in the binary. */
function segmentBytes(segment: TextSegment): number {
  return segment.byteLength ?? Buffer.byteLength(segment.text, 'utf8');
}

/** Printable strings of a non-executable binary (or of an executable with no JavaScript). */
export function extractStrings(buf: Buffer, limits: ExtractionLimits): Extraction {
  const found = stringsOf(buf, 0, buf.length, limits.minStringBytes, limits.maxStringBytes);
  const partial: string[] = [];
  if (found.highEntropyBytes > 0) partial.push(`${kib(found.highEntropyBytes)} of compressed or encrypted data (high entropy) not searched for strings`);
  if (found.cappedAt !== undefined) {
    partial.push(`printable strings capped at ${Math.round(limits.maxStringBytes / 1048576)} MiB; bytes from offset ${found.cappedAt} on were not searched (raise --max-string-bytes)`);
  }
  return { segments: found.segments, partial };
}

interface StringsFound {
  segments: TextSegment[];
  bytes: number;
  highEntropyBytes: number;
  cappedAt?: number;
}

/** Strings of `buf[start, end)` outside high-entropy blocks, up to `budget` bytes. */
function stringsOf(buf: Buffer, start: number, end: number, minLength: number, budget: number, name?: string): StringsFound {
  const { regions, skippedBytes } = lowEntropyRegions(buf, start, end);
  const segments: TextSegment[] = [];
  let bytes = 0;
  for (const region of regions) {
    const found = findPrintableStrings(buf, minLength, budget - bytes, region.start, region.end);
    for (const r of found.ranges) {
      const segment: TextSegment = { byteOffset: r.start, byteLength: r.end - r.start, text: buf.toString('utf8', r.start, r.end), javascript: false };
      if (name) segment.name = name;
      segments.push(segment);
      bytes += r.end - r.start;
    }
    if (found.capped) return { segments, bytes, highEntropyBytes: skippedBytes, cappedAt: found.stoppedAt };
  }
  return { segments, bytes, highEntropyBytes: skippedBytes };
}

function kib(bytes: number): string {
  return bytes >= 1048576 ? `${(bytes / 1048576).toFixed(1)} MiB` : `${Math.ceil(bytes / 1024)} KiB`;
}

/** Generic fallback: long runs of text that look like JavaScript. */
export function extractJavaScriptRuns(buf: Buffer, minRun: number, start = 0, end = buf.length): TextSegment[] {
  const segments: TextSegment[] = [];
  for (const run of findLongTextRuns(buf, minRun, start, end)) {
    if (!runLooksLikeJavaScript(buf, run.start, run.end)) continue;
    segments.push({ byteOffset: run.start, byteLength: run.end - run.start, text: buf.toString('utf8', run.start, run.end), javascript: true });
  }
  return segments;
}

// ---------------------------------------------------------------- Bun

const BUN_TRAILER = Buffer.from('\n---- Bun! ----\n', 'latin1');
const BUN_PATH_PREFIXES = ['/$bunfs/', 'B:/~BUN/', 'B:\\~BUN\\'].map((p) => Buffer.from(p, 'latin1'));
/** `Offsets` grew a field over time: 24 bytes (byte_count, modules_ptr, entry_point_id) then 32 (+ exec argv). */
const BUN_OFFSETS_SIZES = [32, 24];
/** How many trailer occurrences to try: Bun's runtime holds the trailer as a constant too. */
const BUN_MAX_TRAILERS = 16;
const JS_NAME = /\.(?:[cm]?[jt]sx?)$/i;

interface BunModule {
  name: string;
  offset: number;
  length: number;
}

function extractBun(buf: Buffer, limits: ExtractionLimits): Extraction | undefined {
  let at = buf.length;
  for (let tries = 0; tries < BUN_MAX_TRAILERS; tries++) {
    const trailer = buf.lastIndexOf(BUN_TRAILER, at - 1);
    if (trailer < 0) return undefined;
    for (const size of BUN_OFFSETS_SIZES) {
      const graph = parseBunGraph(buf, trailer, size);
      if (graph) return bunExtraction(buf, graph, limits);
    }
    at = trailer;
    if (at <= 0) return undefined;
  }
  return undefined;
}

interface BunGraph {
  blobStart: number;
  modules: BunModule[];
}

/** Reads and validates the module table ending at `trailer`; undefined when it is not a real graph. */
function parseBunGraph(buf: Buffer, trailer: number, offsetsSize: number): BunGraph | undefined {
  const offsetsAt = trailer - offsetsSize;
  if (offsetsAt < 0) return undefined;
  const byteCount = Number(buf.readBigUInt64LE(offsetsAt));
  if (byteCount <= 0 || byteCount > offsetsAt) return undefined;
  const blobStart = offsetsAt - byteCount;
  const modulesOffset = buf.readUInt32LE(offsetsAt + 8);
  const modulesLength = buf.readUInt32LE(offsetsAt + 12);
  const entryPoint = buf.readUInt32LE(offsetsAt + 16);
  if (modulesLength === 0 || modulesOffset + modulesLength > byteCount) return undefined;
  // The module record grew too (bytecode, module format, side): find the size whose every record checks out.
  for (let recordSize = 24; recordSize <= 64; recordSize += 4) {
    if (modulesLength % recordSize !== 0) continue;
    const count = modulesLength / recordSize;
    if (entryPoint >= count) continue;
    const modules: BunModule[] = [];
    for (let i = 0; i < count; i++) {
      const rec = blobStart + modulesOffset + i * recordSize;
      const name = readBunPointer(buf, rec, blobStart, byteCount);
      const contents = readBunPointer(buf, rec + 8, blobStart, byteCount);
      if (!name || !contents || name.length === 0 || !hasBunPathPrefix(buf, blobStart + name.offset)) break;
      // Names and contents are written NUL-terminated.
      if (buf[blobStart + name.offset + name.length] !== 0) break;
      if (contents.length > 0 && buf[blobStart + contents.offset + contents.length] !== 0) break;
      modules.push({ name: buf.toString('utf8', blobStart + name.offset, blobStart + name.offset + name.length), offset: blobStart + contents.offset, length: contents.length });
    }
    if (modules.length === count) return { blobStart, modules };
  }
  return undefined;
}

function readBunPointer(buf: Buffer, at: number, blobStart: number, byteCount: number): { offset: number; length: number } | undefined {
  if (at + 8 > blobStart + byteCount) return undefined;
  const offset = buf.readUInt32LE(at);
  const length = buf.readUInt32LE(at + 4);
  if (length > 0 && offset + length >= byteCount) return undefined;
  return { offset, length };
}

function hasBunPathPrefix(buf: Buffer, at: number): boolean {
  return BUN_PATH_PREFIXES.some((p) => buf.compare(p, 0, p.length, at, at + p.length) === 0);
}

function bunExtraction(buf: Buffer, graph: BunGraph, limits: ExtractionLimits): Extraction {
  const segments: TextSegment[] = [];
  const partial: string[] = [];
  const highEntropy = { bytes: 0, names: [] as string[] };
  let stringBudget = limits.maxStringBytes;
  for (const m of graph.modules) {
    if (m.length === 0) continue;
    const bytes = buf.subarray(m.offset, m.offset + m.length);
    const decoded = decodeAsset(bytes, limits.maxFileBytes);
    if (decoded.text !== undefined) {
      const segment: TextSegment = {
        byteOffset: m.offset,
        byteLength: m.length,
        text: decoded.text,
        javascript: JS_NAME.test(m.name) || startsLikeJavaScript(decoded.text.slice(0, 4096)) || textLooksLikeJavaScript(decoded.text),
        name: m.name,
      };
      if (decoded.via) segment.decodedFrom = decoded.via;
      segments.push(segment);
      continue;
    }
    if (decoded.problem) partial.push(`embedded ${m.name}: ${decoded.problem}`);
    // Embedded binary assets (.node addons, wasm, fonts, images): their printable strings.
    const found = stringsOf(buf, m.offset, m.offset + m.length, limits.minStringBytes, stringBudget, m.name);
    segments.push(...found.segments);
    stringBudget -= found.bytes;
    if (found.highEntropyBytes > 0) {
      highEntropy.bytes += found.highEntropyBytes;
      highEntropy.names.push(m.name);
    }
    if (found.cappedAt !== undefined) partial.push(`printable strings of embedded ${m.name} capped (raise --max-string-bytes)`);
  }
  if (highEntropy.names.length > 0) {
    const shown = highEntropy.names.slice(0, 3).join(', ') + (highEntropy.names.length > 3 ? ` and ${highEntropy.names.length - 3} more` : '');
    partial.push(`${kib(highEntropy.bytes)} of compressed or encrypted data in ${highEntropy.names.length} embedded asset(s) not searched for strings (${shown})`);
  }
  return { runtime: 'bun', segments, partial };
}

interface DecodedAsset {
  text?: string;
  via?: 'zstd' | 'gzip' | 'utf-16le';
  /** Why a compressed asset could not be read. */
  problem?: string;
}

/**
 * Text of an embedded module or asset: UTF-8 (or Latin-1, which Bun uses for
 * JavaScript it printed as ASCII), UTF-16LE, or zstd/gzip-compressed text, which
 * newer Bun builds use for bundled prompts and scripts. Decompression is capped
 * at `maxOut` bytes, so a compressed asset cannot become a bomb.
 */
export function decodeAsset(bytes: Buffer, maxOut: number, depth = 0): DecodedAsset {
  if (bytes.length >= 4 && bytes.readUInt32LE(0) === 0xfd2fb528 && depth === 0) {
    if (typeof zlib.zstdDecompressSync !== 'function') return { problem: 'zstd-compressed; this Node.js has no zstd (needs 22.15+)' };
    return decompressed(() => zlib.zstdDecompressSync(bytes, { maxOutputLength: maxOut }), 'zstd', maxOut);
  }
  if (bytes.length >= 3 && bytes[0] === 0x1f && bytes[1] === 0x8b && bytes[2] === 8 && depth === 0) {
    return decompressed(() => zlib.gunzipSync(bytes, { maxOutputLength: maxOut }), 'gzip', maxOut);
  }
  if (isUtf16Le(bytes)) {
    const start = bytes[0] === 0xff && bytes[1] === 0xfe ? 2 : 0;
    return { text: bytes.toString('utf16le', start, bytes.length - ((bytes.length - start) % 2)), via: 'utf-16le' };
  }
  if (bytes.indexOf(0) >= 0) return {};
  if (isUtf8(bytes)) return { text: bytes.toString('utf8') };
  // Latin-1 only when it is mostly ASCII: otherwise it is binary that happens to have no NUL.
  return asciiShare(bytes) > 0.95 ? { text: bytes.toString('latin1') } : {};

  function decompressed(run: () => Buffer, via: 'zstd' | 'gzip', limit: number): DecodedAsset {
    let out: Buffer;
    try {
      out = run();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      return { problem: code === 'ERR_BUFFER_TOO_LARGE' ? `${via}-compressed and expands beyond ${Math.round(limit / 1048576)} MiB; not decompressed` : `${via}-compressed but corrupt` };
    }
    const inner = decodeAsset(out, maxOut, depth + 1);
    return inner.text !== undefined ? { text: inner.text, via } : { problem: `${via}-compressed binary data` };
  }
}

/** UTF-16LE text: a BOM, or ASCII in the even bytes and NUL in most odd bytes of the first KB. */
function isUtf16Le(b: Buffer): boolean {
  if (b.length < 4 || b.length % 2 !== 0) return false;
  if (b[0] === 0xff && b[1] === 0xfe) return true;
  const n = Math.min(b.length, 1024);
  let zeros = 0;
  let asciiEven = 0;
  for (let i = 0; i + 1 < n; i += 2) {
    if (b[i + 1] === 0) zeros++;
    const c = b[i]!;
    if ((c >= 0x20 && c < 0x7f) || c === 0x0a || c === 0x0d || c === 0x09) asciiEven++;
  }
  const pairs = Math.floor(n / 2);
  return zeros >= pairs * 0.9 && asciiEven >= pairs * 0.8;
}

function asciiShare(b: Buffer): number {
  const n = Math.min(b.length, 65536);
  let ascii = 0;
  for (let i = 0; i < n; i++) if (b[i]! < 0x80) ascii++;
  return n === 0 ? 1 : ascii / n;
}

// ---------------------------------------------------------------- Node SEA

const SEA_FUSE_ON = Buffer.from('NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2:1', 'latin1');
const SEA_MAGIC = Buffer.from([0x20, 0xda, 0x43, 0x01]); // 0x143da20, little-endian
const SEA_USE_SNAPSHOT = 1 << 1;
const SEA_MAX_CANDIDATES = 64;

function extractNodeSea(buf: Buffer): Extraction | undefined {
  if (buf.indexOf(SEA_FUSE_ON) < 0) return undefined;
  let from = 0;
  for (let tries = 0; tries < SEA_MAX_CANDIDATES; tries++) {
    const at = buf.indexOf(SEA_MAGIC, from);
    if (at < 0) break;
    from = at + 1;
    const blob = parseSeaBlob(buf, at);
    if (!blob) continue;
    if (blob.flags & SEA_USE_SNAPSHOT) {
      return { runtime: 'node-sea', segments: [], partial: ['Node SEA built from a V8 startup snapshot: its source is not embedded as text'] };
    }
    const segment: TextSegment = { byteOffset: blob.codeOffset, byteLength: blob.codeLength, text: buf.toString('utf8', blob.codeOffset, blob.codeOffset + blob.codeLength), javascript: true };
    if (blob.codePath) segment.name = blob.codePath;
    return { runtime: 'node-sea', segments: [segment], partial: [] };
  }
  return { runtime: 'node-sea', segments: [], partial: ['Node SEA fuse is set but its blob was not recognised; fell back to generic extraction'] };
}

interface SeaBlob {
  flags: number;
  codePath?: string;
  codeOffset: number;
  codeLength: number;
}

/**
 * Blob layout (little-endian, size_t = 8): magic u32, flags u32, [code path:
 * size_t length + bytes, since Node 20.?], main script: size_t length + bytes, …
 * Both layouts are tried; the script must be text.
 */
function parseSeaBlob(buf: Buffer, at: number): SeaBlob | undefined {
  if (at + 16 > buf.length) return undefined;
  const flags = buf.readUInt32LE(at + 4);
  if (flags > 0xff) return undefined;
  const withPath = readSizedString(buf, at + 8);
  if (withPath && withPath.length > 0 && withPath.length <= 4096 && isUtf8(buf.subarray(withPath.offset, withPath.offset + withPath.length))) {
    const code = readSizedString(buf, withPath.offset + withPath.length);
    if (code && codeIsText(buf, code, flags)) {
      return { flags, codePath: buf.toString('utf8', withPath.offset, withPath.offset + withPath.length), codeOffset: code.offset, codeLength: code.length };
    }
  }
  const code = readSizedString(buf, at + 8);
  if (code && codeIsText(buf, code, flags)) return { flags, codeOffset: code.offset, codeLength: code.length };
  return undefined;
}

function readSizedString(buf: Buffer, at: number): { offset: number; length: number } | undefined {
  if (at + 8 > buf.length) return undefined;
  const length = buf.readBigUInt64LE(at);
  if (length > BigInt(buf.length - at - 8)) return undefined;
  return { offset: at + 8, length: Number(length) };
}

function codeIsText(buf: Buffer, code: { offset: number; length: number }, flags: number): boolean {
  if (flags & SEA_USE_SNAPSHOT) return code.length > 0;
  if (code.length === 0) return false;
  const head = buf.subarray(code.offset, code.offset + Math.min(code.length, 4096));
  return head.indexOf(0) < 0 && isUtf8(trimPartialUtf8(head));
}

/** `bytes` without a UTF-8 sequence cut off at its end, so a sniffed prefix can be validated. */
export function trimPartialUtf8(bytes: Uint8Array): Uint8Array {
  const n = bytes.length;
  for (let back = 1; back <= Math.min(3, n); back++) {
    const c = bytes[n - back]!;
    if (c >= 0x80 && c <= 0xbf) continue;
    const need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
    return need > back ? bytes.subarray(0, n - back) : bytes;
  }
  return bytes;
}

// ---------------------------------------------------------------- Deno

const DENO_MARKER = Buffer.from('d3n0l4nd', 'latin1');

/**
 * Deno up to 1.45 appended eszip + metadata and ended the file with the marker and
 * two big-endian u64 positions; later versions keep the payload in a section named
 * after the marker. Either way the marker names the runtime; only the old layout
 * tells where the payload is.
 */
function denoPayload(buf: Buffer): { runtime: 'deno'; region?: { start: number; end: number } } | undefined {
  const tail = buf.length - 24;
  if (tail >= 0 && buf.compare(DENO_MARKER, 0, 8, tail, tail + 8) === 0) {
    const eszipAt = buf.readBigUInt64BE(tail + 8);
    if (eszipAt < BigInt(tail)) return { runtime: 'deno', region: { start: Number(eszipAt), end: tail } };
  }
  return buf.indexOf(DENO_MARKER) >= 0 ? { runtime: 'deno' } : undefined;
}

export function readU32LE(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}

function readU32BE(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}
