/** Fixture builders for the loading tests: archives, binaries and folders made in memory or under os.tmpdir(). */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import tar from 'tar-stream';
import { resolveLoadOptions, type ResolvedLoadOptions } from '../../src/loading/limits.js';
import type { LoadOptions } from '../../src/loading/types.js';

export interface TarEntry {
  name: string;
  body?: string | Buffer;
  type?: 'file' | 'directory' | 'symlink' | 'link';
  linkname?: string;
  /** Declared size when it should differ from the body (pax tricks). */
  size?: number;
}

export async function makeTar(entries: TarEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => {
    chunks.push(c as Buffer);
  });
  const ended = new Promise<void>((resolve, reject) => {
    pack.on('end', () => resolve());
    pack.on('error', reject);
  });
  for (const e of entries) {
    const type = e.type ?? 'file';
    if (type === 'file') {
      const body = typeof e.body === 'string' ? Buffer.from(e.body) : (e.body ?? Buffer.alloc(0));
      await new Promise<void>((resolve, reject) => pack.entry({ name: e.name, size: body.length }, body, (err) => (err ? reject(err) : resolve())));
    } else {
      await new Promise<void>((resolve, reject) =>
        pack.entry({ name: e.name, type, ...(e.linkname ? { linkname: e.linkname } : {}) }, (err) => (err ? reject(err) : resolve())),
      );
    }
  }
  pack.finalize();
  await ended;
  return Buffer.concat(chunks);
}

export async function makeTgz(entries: TarEntry[]): Promise<Buffer> {
  return zlib.gzipSync(await makeTar(entries));
}

export function limits(options: LoadOptions = {}): ResolvedLoadOptions {
  return resolveLoadOptions({ cacheDir: path.join(os.tmpdir(), 'telltale-test-cache'), ...options });
}

/** A fresh temp folder, removed by the returned cleanup. */
export async function tempDir(prefix = 'telltale-loading-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A minimal 64-bit little-endian ELF header followed by `filler` bytes of pseudo machine code. */
export function elfPrefix(filler: number, seed = 1): Buffer {
  const head = Buffer.alloc(64);
  head.write('\x7fELF', 0, 'latin1');
  head[4] = 2; // 64-bit
  head[5] = 1; // little-endian
  head[6] = 1;
  head.writeUInt16LE(2, 16); // ET_EXEC
  head.writeUInt16LE(0x3e, 18); // x86-64
  return Buffer.concat([head, pseudoMachineCode(filler, seed)]);
}

/**
 * Bytes with the texture of machine code: many zeros and small values, short
 * printable stretches, deterministic for a seed. Never holds a text run
 * longer than 64 bytes.
 */
export function pseudoMachineCode(length: number, seed = 1): Buffer {
  const out = Buffer.alloc(length);
  let x = seed >>> 0 || 1;
  let printable = 0;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    // Skewed like real code (many zeros and small operands): entropy ~6.5 bits/byte, not the 8 of noise.
    const pick = (x >>> 8) & 7;
    let b = pick < 2 ? 0 : pick < 4 ? x & 0x0f : x & 0xff;
    if (b >= 0x20 && b < 0x7f) printable++;
    else printable = 0;
    if (printable > 60) {
      b = 0;
      printable = 0;
    }
    out[i] = b;
  }
  return out;
}

/** Minified-looking JavaScript of about `bytes` bytes. */
export function sampleJavaScript(bytes: number, marker = 'telltaleMarker'): string {
  const unit =
    'function a(b,c){if(typeof b==="string"){return b.split(",").map(function(d){return d.trim()})}const e=[];for(let f=0;f<c;f++){e.push(f*2)}return e}' +
    'var g=(h)=>{let i=h.length;return i>3?null:undefined};this.j=new Map();';
  let s = `var ${marker}=1;`;
  while (s.length < bytes) s += unit;
  return s.slice(0, bytes - 1) + ';';
}

export interface BunModuleSpec {
  name: string;
  contents: Buffer | string;
  /** Loader byte (1 = js, 5 = file, 13 = text). */
  loader?: number;
}

/**
 * A Bun standalone module graph: string data (names and contents, each NUL-terminated),
 * the module table, the exec-argv string, the `Offsets` struct and the trailer, as
 * `bun build --compile` writes it. `recordSize` 36 is Bun 1.1/1.2, 52 is a newer one.
 * Returns the blob and where each module's contents start inside it.
 */
export function bunGraph(modules: BunModuleSpec[], recordSize = 36, offsetsSize = 32): { blob: Buffer; contentOffsets: number[] } {
  const parts: Buffer[] = [];
  let at = 0;
  const add = (b: Buffer): number => {
    const start = at;
    parts.push(b, Buffer.from([0]));
    at += b.length + 1;
    return start;
  };
  const records: Array<{ name: [number, number]; contents: [number, number]; loader: number }> = [];
  const contentOffsets: number[] = [];
  for (const m of modules) {
    const name = Buffer.from(m.name);
    const contents = typeof m.contents === 'string' ? Buffer.from(m.contents) : m.contents;
    const n = add(name);
    const c = add(contents);
    contentOffsets.push(c);
    records.push({ name: [n, name.length], contents: [c, contents.length], loader: m.loader ?? 1 });
  }
  const table = Buffer.alloc(records.length * recordSize);
  records.forEach((r, i) => {
    const o = i * recordSize;
    table.writeUInt32LE(r.name[0], o);
    table.writeUInt32LE(r.name[1], o + 4);
    table.writeUInt32LE(r.contents[0], o + 8);
    table.writeUInt32LE(r.contents[1], o + 12);
    table[o + recordSize - 4] = 1; // encoding latin1 (the flag bytes sit at the end of a record)
    table[o + recordSize - 3] = r.loader;
  });
  const modulesOffset = at;
  parts.push(table);
  at += table.length;
  const argv = Buffer.from('');
  const argvOffset = at;
  parts.push(argv, Buffer.from([0]));
  at += argv.length + 1;
  const offsets = Buffer.alloc(offsetsSize);
  offsets.writeBigUInt64LE(BigInt(at), 0);
  offsets.writeUInt32LE(modulesOffset, 8);
  offsets.writeUInt32LE(table.length, 12);
  offsets.writeUInt32LE(0, 16);
  if (offsetsSize >= 28) {
    offsets.writeUInt32LE(argvOffset, 20);
    offsets.writeUInt32LE(argv.length, 24);
  }
  return { blob: Buffer.concat([...parts, offsets, Buffer.from('\n---- Bun! ----\n', 'latin1')]), contentOffsets };
}
