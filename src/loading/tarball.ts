/**
 * Reads a .tgz / .tar.gz / .tar in memory, never extracting to disk. Follows npm's
 * semantics (the first path component is stripped, a later entry of a path
 * replaces an earlier one) and refuses what npm's extractor would refuse or what
 * could hurt the scanner: path traversal, absolute paths, archive bombs, corrupt
 * or truncated data. Links are listed as skipped, never followed.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import tar, { type Header } from 'tar-stream';
import { InputError } from '../cli/errors.js';
import { Collector } from './collector.js';
import { SNIFF_BYTES } from './classify.js';
import { mib, type ResolvedLoadOptions } from './limits.js';
import type { FileKind, ReadContents } from './types.js';

export type TarballContents = ReadContents;

/** Reads the archive at `file`; `display` names it in messages. */
export async function readTarball(file: string, display: string, limits: ResolvedLoadOptions): Promise<TarballContents> {
  const handle = await open(file, 'r').catch((error: NodeJS.ErrnoException) => {
    throw new InputError(`cannot read ${display}: ${error.code ?? error.message}`);
  });
  let gzip = false;
  try {
    const { size } = await handle.stat();
    if (size > limits.maxTotalBytes) throw new InputError(`${display}: archive is ${mib(size)}, above the ${mib(limits.maxTotalBytes)} limit; raise --max-bytes if you trust it`);
    const magic = Buffer.alloc(2);
    await handle.read(magic, 0, 2, 0);
    gzip = magic[0] === 0x1f && magic[1] === 0x8b;
  } finally {
    await handle.close();
  }
  return readTarStream(createReadStream(file, { highWaterMark: 1 << 20 }), gzip, display, limits);
}

/** Same, from bytes already in memory (tests, and archives nested in other sources). */
export async function readTarballBuffer(bytes: Buffer, display: string, limits: ResolvedLoadOptions): Promise<TarballContents> {
  const gzip = bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
  return readTarStream(bufferSource(bytes), gzip, display, limits);
}

function* bufferSource(bytes: Buffer): Generator<Buffer> {
  for (let i = 0; i < bytes.length; i += 65536) yield bytes.subarray(i, i + 65536);
}

type Source = NodeJS.ReadableStream | Iterable<Buffer>;

async function readTarStream(source: Source, gzip: boolean, display: string, limits: ResolvedLoadOptions): Promise<TarballContents> {
  const collector = new Collector(limits, display, 'archive');
  const extract = tar.extract();
  // 1 MiB output chunks: gunzip of a 400 MB executable is ~2x faster than with the 16 KiB default.
  const gunzip = gzip ? zlib.createGunzip({ chunkSize: 1 << 20 }) : undefined;
  // The first error we raise ourselves wins over the stream errors it causes downstream.
  let failure: unknown;
  // Files at the archive root wait until we know whether the archive has a package folder.
  const rootFiles: Array<{ path: string; kind: FileKind; data: Buffer }> = [];
  let nested = false;

  const meter = new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback) {
      try {
        collector.countBytes(chunk.length);
        if (gunzip) checkRatio(collector.bytesCounted, gunzip.bytesWritten);
        done(null, chunk);
      } catch (error) {
        failure ??= error;
        done(error as Error);
      }
    },
  });

  function checkRatio(decompressed: number, compressed: number): void {
    if (decompressed <= limits.compressionRatioFloorBytes || compressed <= 0) return;
    const ratio = decompressed / compressed;
    if (ratio > limits.maxCompressionRatio) {
      throw new InputError(
        `${display}: archive expands ${Math.round(ratio)}x (limit ${limits.maxCompressionRatio}x), which looks like an archive bomb; raise --max-ratio if you trust it`,
      );
    }
  }

  extract.on('entry', (header, stream, next) => {
    handleEntry(header, stream as unknown as AsyncIterable<Buffer>).then(
      () => next(),
      (error: unknown) => {
        failure ??= error;
        next(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });

  async function handleEntry(header: Header, stream: AsyncIterable<Buffer>): Promise<void> {
    collector.countEntry();
    const raw = header.name;
    const parts = entryParts(raw, display);
    // tar-stream reports unknown type flags as null.
    const type: string = (header.type as string | null) ?? 'unknown';
    const isFile = type === 'file' || type === 'contiguous-file';
    // npm strips the first component (normally `package/`) of every entry.
    const stripped = parts.length > 1 ? parts.slice(1) : parts;
    if (parts.length > 1) nested = true;
    const path = stripped.join('/');
    if (!isFile) {
      await drain(stream);
      if (type === 'directory' || type === 'pax-header' || type === 'pax-global-header') return;
      if (type === 'symlink' || type === 'link') {
        collector.skip(path, `${type === 'symlink' ? 'symbolic' : 'hard'} link not followed (-> ${printable(header.linkname ?? '?')})`);
        return;
      }
      collector.skip(path, type === 'unknown' ? 'tar entry of an unsupported type not read' : `${type} entry not read: only regular files are analysed`);
      return;
    }
    const read = await readEntry(stream, header.size ?? 0, path);
    if (!read) return;
    if (parts.length === 1) rootFiles.push({ path, ...read });
    else collector.add(path, read.kind, read.data);
  }

  /**
   * Reads an entry when its head and size pass; drains it (still counted against
   * the totals) otherwise. The body goes straight into one buffer of the declared
   * size: concatenating chunks would hold a 400 MB executable twice.
   */
  async function readEntry(stream: AsyncIterable<Buffer>, size: number, path: string): Promise<{ kind: FileKind; data: Buffer } | undefined> {
    const head: Buffer[] = [];
    let have = 0;
    let kind: FileKind | undefined;
    let decided = false;
    let body: Buffer | undefined;
    for await (const chunk of stream) {
      if (decided && kind === undefined) continue;
      if (body) {
        have += chunk.copy(body, have);
        continue;
      }
      head.push(chunk);
      have += chunk.length;
      if (have >= SNIFF_BYTES || have >= size) {
        decided = true;
        kind = collector.admit(path, Buffer.concat(head), size);
        if (kind !== undefined) {
          body = Buffer.allocUnsafe(Math.max(size, have));
          let at = 0;
          for (const c of head) at += c.copy(body, at);
        }
        head.length = 0;
      }
    }
    if (!decided) {
      // Shorter than its header said: tar-stream reports the truncation; classify what there is.
      const data = Buffer.concat(head);
      kind = collector.admit(path, data, data.length);
      return kind === undefined ? undefined : { kind, data };
    }
    if (kind === undefined || !body) return undefined;
    return { kind, data: have < body.length ? body.subarray(0, have) : body };
  }

  const done = new Promise<void>((resolve, reject) => {
    extract.on('finish', resolve);
    extract.on('error', reject);
  });
  const stages = [source, ...(gunzip ? [gunzip] : []), meter, extract] as unknown as Parameters<typeof pipeline>;
  try {
    await Promise.all([pipeline(...stages), done]);
  } catch (error) {
    throw translateError(failure ?? error, display);
  }

  for (const f of rootFiles) {
    // With a package folder, entries at the archive root sit outside it: npm does not install them.
    if (nested) collector.skip(f.path, 'at the archive root, outside the package folder: npm does not install it');
    else collector.add(f.path, f.kind, f.data);
  }
  const result = collector.result();
  if (result.files.length === 0 && result.skipped.length === 0 && !result.unconverted) throw new InputError(`${display}: the archive holds no files`);
  return result;
}

/** Splits an entry name into safe components; throws on traversal and absolute paths. */
export function entryParts(name: string, display: string): string[] {
  const unified = name.replace(/\\/g, '/');
  if (unified.startsWith('/') || /^[a-zA-Z]:/.test(unified)) {
    throw new InputError(`${display}: archive entry "${printable(name)}" has an absolute path; refusing to read an archive that could write outside its folder`);
  }
  const parts = unified.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.some((p) => p === '..')) {
    throw new InputError(`${display}: archive entry "${printable(name)}" escapes the package folder (..); refusing to read an archive that could write outside its folder`);
  }
  if (parts.length === 0) throw new InputError(`${display}: archive entry with an empty name; the archive is corrupt`);
  return parts;
}

function printable(name: string): string {
  const shown = name.length > 120 ? `${name.slice(0, 117)}...` : name;
  // eslint-disable-next-line no-control-regex
  return shown.replace(/[\u0000-\u001f\u007f]/g, '?');
}

async function drain(stream: AsyncIterable<Buffer>): Promise<void> {
  for await (const chunk of stream) void chunk;
}

function translateError(error: unknown, display: string): Error {
  if (error instanceof InputError) return error;
  const e = error as NodeJS.ErrnoException & { message?: string };
  const message = e?.message ?? String(error);
  if (e?.code === 'Z_BUF_ERROR' || /unexpected end of file/i.test(message)) {
    return new InputError(`${display}: gzip data is truncated; download the archive again`);
  }
  if (typeof e?.code === 'string' && e.code.startsWith('Z_')) {
    return new InputError(`${display}: gzip data is corrupt (${message}); download the archive again`);
  }
  if (/Invalid tar header/i.test(message)) return new InputError(`${display}: not a valid tar archive (bad header); the archive is corrupt or not a package tarball`);
  if (/Unexpected end of data/i.test(message)) return new InputError(`${display}: tar data is truncated; download the archive again`);
  if (/Header exceeds max size/i.test(message)) return new InputError(`${display}: a tar header is larger than 4 MiB; refusing a malformed archive`);
  if (/Invalid header/i.test(message)) return new InputError(`${display}: a tar header is malformed (bad size); the archive is corrupt`);
  return new InputError(`${display}: cannot read archive: ${message.split('\n')[0]}`);
}
