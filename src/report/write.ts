/**
 * Delivers a rendered report: to `--output F` atomically (a temp file in the same
 * folder, flushed, then renamed over F, so CI never uploads half a SARIF file and
 * an old report is never left truncated), or to standard output.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { InputError } from '../cli/errors.js';

function reasonOf(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'its folder does not exist';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'the file system is read-only';
    case 'ENOSPC':
      return 'no space left on the device';
    case 'EISDIR':
      return 'it is a folder';
    default:
      return code ?? (error instanceof Error ? error.message : String(error));
  }
}

/** Writes `content` to `path` so that readers see either the old file or the whole new one. */
export async function writeFileAtomic(path: string, content: string): Promise<void> {
  const target = resolve(path);
  const existing = await stat(target).catch(() => undefined);
  if (existing?.isDirectory()) throw new InputError(`cannot write the report to ${path}: it is a folder; give a file name`);
  const temp = join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const handle = await open(temp, 'wx');
    try {
      await handle.writeFile(content, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw new InputError(`cannot write the report to ${path}: ${reasonOf(error)}`);
  }
}

const guarded = new WeakSet<NodeJS.WritableStream>();

/** Writes to a stream and waits until it is handed to the OS; a closed pipe (`| head`) is not an error. */
export function writeToStream(stream: NodeJS.WritableStream, content: string): Promise<void> {
  if (!guarded.has(stream)) {
    guarded.add(stream);
    // Write errors reach the caller through the callback below; without a listener the
    // 'error' event would also crash the process (e.g. EPIPE when piped into `head`).
    stream.on('error', () => undefined);
  }
  return new Promise((resolvePromise, reject) => {
    stream.write(content, (error?: Error | null) => {
      // The reader went away (`| head`): the rest has nowhere to go, and that is fine.
      if (error && (error as NodeJS.ErrnoException).code !== 'EPIPE') reject(error);
      else resolvePromise();
    });
  });
}

/** `--output F` (or `-` for standard output); without it, standard output. */
export async function writeReport(content: string, output?: string, stdout: NodeJS.WritableStream = process.stdout): Promise<void> {
  if (output === undefined || output === '-') await writeToStream(stdout, content);
  else await writeFileAtomic(output, content);
}
