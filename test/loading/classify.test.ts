import { describe, expect, it } from 'vitest';
import { decodeText, sniffKind, toLoadedFile } from '../../src/loading/classify.js';
import { executableFormat } from '../../src/loading/executable.js';
import type { FileKind } from '../../src/loading/types.js';
import { limits } from './helpers.js';

function bytes(...parts: Array<string | number[] | Buffer>): Buffer {
  return Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));
}

function pe(): Buffer {
  const b = Buffer.alloc(0x200);
  b.write('MZ', 0, 'latin1');
  b.writeUInt32LE(0x80, 0x3c);
  b.write('PE\0\0', 0x80, 'latin1');
  return b;
}

const utf8Straddling1K = Buffer.concat([Buffer.from('a'.repeat(1023)), Buffer.from('é'), Buffer.from(' and more text')]);

const table: Array<[string, string, Buffer, FileKind]> = [
  ['ELF', 'bin/tool', bytes([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0], Buffer.alloc(56)), 'executable'],
  ['ELF even named .js', 'index.js', bytes([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), 'executable'],
  ['Mach-O 64 little-endian', 'bin/mac', bytes([0xcf, 0xfa, 0xed, 0xfe, 7, 0, 0, 1]), 'executable'],
  ['Mach-O 64 big-endian', 'bin/mac', bytes([0xfe, 0xed, 0xfa, 0xcf, 0, 0, 0, 7]), 'executable'],
  ['Mach-O 32 little-endian', 'bin/mac', bytes([0xce, 0xfa, 0xed, 0xfe, 7, 0, 0, 0]), 'executable'],
  ['Mach-O fat', 'bin/universal', bytes([0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 2], Buffer.alloc(40)), 'executable'],
  ['Java class (same magic as fat Mach-O)', 'A.class', bytes([0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 52], Buffer.alloc(40)), 'binary'],
  ['PE', 'bin/tool.exe', pe(), 'executable'],
  ['text that starts with MZ', 'notes', bytes('MZ is a pair of letters.\n'), 'text'],
  ['node shebang, no extension', 'bin/cli', bytes('#!/usr/bin/env node\nconsole.log(1)\n'), 'javascript'],
  ['deno shebang with -S', 'bin/cli', bytes('#!/usr/bin/env -S deno run -A\nDeno.exit(0)\n'), 'javascript'],
  ['bun shebang', 'run', bytes('#!/usr/bin/env bun\nawait 1\n'), 'javascript'],
  ['tsx shebang', 'bin/dev', bytes('#!/usr/bin/env tsx\nconst a: number = 1\n'), 'typescript'],
  ['shell script', 'bin/setup', bytes('#!/bin/sh\necho hi\n'), 'text'],
  ['extension-less strict-mode bundle', 'dist/cli', bytes("'use strict';var a=1;"), 'javascript'],
  ['extension-less after a license comment', 'vendor/lib', bytes('/*! license: MIT */\n// more\nmodule.exports = function () {};\n'), 'javascript'],
  ['extension-less IIFE', 'bundle', bytes('!function(e){e()}(window);'), 'javascript'],
  ['unknown extension that is JS', 'cli.bundle', bytes('(()=>{"use strict";})();'), 'javascript'],
  ['LICENSE', 'LICENSE', bytes('MIT License\n\nCopyright (c) 2026\n'), 'text'],
  ['prose that starts with let', 'NOTES', bytes('let me explain how this works\n'), 'text'],
  ['.d.ts', 'index.d.ts', bytes('export declare const a: number;'), 'typescript-declaration'],
  ['.d.mts', 'index.d.mts', bytes('export declare const a: number;'), 'typescript-declaration'],
  ['.ts', 'src/a.ts', bytes('export const a = 1;'), 'typescript'],
  ['.tsx', 'src/a.tsx', bytes('export const A = () => <div/>;'), 'typescript'],
  ['.mts', 'src/a.mts', bytes('export {}'), 'typescript'],
  ['.mjs', 'a.mjs', bytes('export default 1'), 'javascript'],
  ['.cjs', 'a.cjs', bytes('module.exports = 1'), 'javascript'],
  ['.jsx', 'a.jsx', bytes('export const A = () => <div/>;'), 'javascript'],
  ['.json', 'package.json', bytes('{"name":"x"}'), 'json'],
  ['source map', 'index.js.map', bytes('{"version":3,"sources":[]}'), 'json'],
  ['markdown', 'README.md', bytes('# hello\n'), 'text'],
  ['PNG (NUL bytes)', 'logo.png', bytes([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]), 'binary'],
  ['wasm', 'mod.wasm', bytes([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]), 'binary'],
  ['Latin-1 text without extension (invalid UTF-8)', 'data', bytes('caf', [0xe9], ' au lait'), 'binary'],
  ['JavaScript with invalid UTF-8 stays JavaScript', 'a.js', bytes('var s="caf', [0xe9], '";'), 'javascript'],
  ['JavaScript with NUL bytes is binary', 'a.js', bytes('var s="', [0], '";'), 'binary'],
  ['UTF-8 character cut by the 1 KB sniff window', 'notes.txt', utf8Straddling1K, 'text'],
];

describe('file classification', () => {
  it.each(table)('%s', (_label, path, content, kind) => {
    expect(sniffKind(path, content)).toBe(kind);
  });

  it('names executable container formats', () => {
    expect(executableFormat(bytes([0x7f, 0x45, 0x4c, 0x46]))).toBe('elf');
    expect(executableFormat(pe())).toBe('pe');
    expect(executableFormat(bytes([0xcf, 0xfa, 0xed, 0xfe]))).toBe('macho');
    expect(executableFormat(bytes('#!/bin/sh'))).toBeUndefined();
  });
});

describe('text decoding', () => {
  it('drops a UTF-8 byte-order mark', () => {
    expect(decodeText(bytes([0xef, 0xbb, 0xbf], 'var a;'))).toEqual({ text: 'var a;', invalid: 0, firstInvalid: -1 });
  });

  it('counts invalid sequences and where the first one is', () => {
    const d = decodeText(bytes('ab', [0xff], 'cd', [0xed, 0xa0, 0x80], 'e'));
    expect(d.invalid).toBe(2);
    expect(d.firstInvalid).toBe(2);
    expect(d.text.startsWith('ab\uFFFDcd')).toBe(true);
  });

  it('extracts printable strings from a binary file, with byte offsets', () => {
    const content = bytes([0, 1, 2, 3], 'https://telemetry.example.com/v1', [0, 0, 0xff], 'short', [0], 'Asia/Shanghai');
    const { file } = toLoadedFile('blob.bin', 'binary', content, limits());
    expect(file.segments).toEqual([
      { byteOffset: 4, byteLength: 32, text: 'https://telemetry.example.com/v1', javascript: false },
      { byteOffset: 45, byteLength: 13, text: 'Asia/Shanghai', javascript: false },
    ]);
  });
});
