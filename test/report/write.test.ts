import { mkdtemp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileAtomic, writeReport, writeToStream } from '../../src/report/write.js';
import { InputError } from '../../src/cli/errors.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'telltale-write-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function sink(fail?: NodeJS.ErrnoException): { stream: Writable; chunks: string[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      if (fail) callback(fail);
      else {
        chunks.push(chunk.toString());
        callback();
      }
    },
  });
  return { stream, chunks };
}

describe('writeReport', () => {
  it('writes --output atomically, replacing an older report and leaving no temp file', async () => {
    const file = join(dir, 'report.sarif');
    await writeFile(file, 'old report');
    await writeReport('{"version":"2.1.0"}\n', file);
    expect(await readFile(file, 'utf8')).toBe('{"version":"2.1.0"}\n');
    expect(await readdir(dir)).toEqual(['report.sarif']);
  });

  it('fails with a one-line InputError when the folder is missing or the path is a folder', async () => {
    await expect(writeFileAtomic(join(dir, 'missing', 'r.json'), 'x')).rejects.toThrow(InputError);
    await expect(writeFileAtomic(join(dir, 'missing', 'r.json'), 'x')).rejects.toThrow(/cannot write the report to .*r\.json: its folder does not exist$/);
    await mkdir(join(dir, 'sub'));
    await expect(writeFileAtomic(join(dir, 'sub'), 'x')).rejects.toThrow(/is a folder; give a file name$/);
    expect(await readdir(dir)).toEqual(['sub']);
  });

  it('writes to the given stream without --output or with -', async () => {
    const { stream, chunks } = sink();
    await writeReport('hello\n', undefined, stream);
    await writeReport('again\n', '-', stream);
    expect(chunks.join('')).toBe('hello\nagain\n');
  });

  it('treats a closed pipe as the end of the output, and other stream errors as errors', async () => {
    const epipe = Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
    await expect(writeToStream(sink(epipe).stream, 'x')).resolves.toBeUndefined();
    const eio = Object.assign(new Error('write EIO'), { code: 'EIO' });
    await expect(writeToStream(sink(eio).stream, 'x')).rejects.toThrow('EIO');
  });
});
