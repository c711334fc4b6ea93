/**
 * Reads a directory tree or a single file from disk. Symbolic links are never
 * followed (listed as skipped), `.git` and `node_modules` are not descended into,
 * files are opened with O_NOFOLLOW so a file swapped for a link mid-walk is not
 * followed either.
 */
import { constants } from 'node:fs';
import { open, readdir, readlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../cli/errors.js';
import { SNIFF_BYTES } from './classify.js';
import { Collector } from './collector.js';
import type { ResolvedLoadOptions } from './limits.js';
import type { ReadContents } from './types.js';

const NOT_DESCENDED: Readonly<Record<string, string>> = {
  '.git': 'version-control folder not scanned',
  node_modules: 'installed dependencies not scanned (scan a dependency on its own: npm:<name>@<version>)',
};

export type DiskContents = ReadContents;

export async function readDirectory(root: string, display: string, limits: ResolvedLoadOptions): Promise<DiskContents> {
  const collector = new Collector(limits, display, 'directory');
  const pending: string[] = [''];
  while (pending.length > 0) {
    const rel = pending.pop()!;
    let entries;
    try {
      entries = await readdir(path.join(root, rel), { withFileTypes: true });
    } catch (error) {
      collector.skip(rel || '.', `folder not readable (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
      continue;
    }
    for (const entry of entries) {
      const relPath = rel ? `${rel}/${entry.name}` : entry.name;
      collector.countEntry();
      if (entry.isSymbolicLink()) {
        const target = await readlink(path.join(root, relPath)).catch(() => '?');
        collector.skip(relPath, `symbolic link not followed (-> ${target})`);
      } else if (entry.isDirectory()) {
        const reason = NOT_DESCENDED[entry.name];
        if (reason) collector.skip(relPath, reason);
        else pending.push(relPath);
      } else if (entry.isFile()) {
        await readOne(collector, path.join(root, relPath), relPath);
      } else {
        collector.skip(relPath, 'special file (socket, fifo or device) not read');
      }
    }
  }
  return collector.result();
}

/** A single file given as the target; `name` is how it appears in the report. */
export async function readSingleFile(file: string, name: string, display: string, limits: ResolvedLoadOptions): Promise<DiskContents> {
  const collector = new Collector(limits, display, 'file');
  // The user named this file, so a link here is followed (only links inside a tree are not).
  await readOne(collector, file, name, false);
  return collector.result();
}

async function readOne(collector: Collector, abs: string, relPath: string, noFollow = true): Promise<void> {
  let handle: FileHandle;
  try {
    handle = await open(abs, constants.O_RDONLY | (noFollow ? (constants.O_NOFOLLOW ?? 0) : 0));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') collector.skip(relPath, 'symbolic link not followed');
    else if (!noFollow) throw new InputError(`cannot read ${abs}: ${code ?? 'error'}`);
    else collector.skip(relPath, `not readable (${code ?? 'error'})`);
    return;
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) {
      collector.skip(relPath, 'not a regular file');
      return;
    }
    const size = stat.size;
    const head = Buffer.alloc(Math.min(size, SNIFF_BYTES));
    await readFully(handle, head, 0);
    const kind = collector.admit(relPath, head, size);
    if (kind === undefined) return;
    collector.countBytes(size);
    const bytes = Buffer.allocUnsafe(size);
    head.copy(bytes, 0);
    const got = head.length + (await readFully(handle, bytes.subarray(head.length), head.length));
    // A file that shrank while read is analysed as it was read.
    collector.add(relPath, kind, got === size ? bytes : bytes.subarray(0, got));
  } finally {
    await handle.close();
  }
}

async function readFully(handle: FileHandle, into: Buffer, position: number): Promise<number> {
  let done = 0;
  while (done < into.length) {
    const { bytesRead } = await handle.read(into, done, into.length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}
