import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeAsset, extractFromExecutable } from '../../src/loading/executable.js';
import { findLongTextRuns, findPrintableStrings, textRunEnd } from '../../src/loading/text-runs.js';
import { bunGraph, elfPrefix, pseudoMachineCode, sampleJavaScript } from './helpers.js';

const LIMITS = { minJavaScriptRunBytes: 4096, minStringBytes: 6, maxStringBytes: 1 << 20, maxFileBytes: 1 << 24 };

function u64(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
}

const ENGLISH = 'This program is distributed in the hope that it will be useful, but without any warranty; see the license for details. '.repeat(60);

describe('embedded JavaScript in executables: generic fallback', () => {
  it('finds a JS run inside an ELF at its exact byte offset, and ignores prose and base64', () => {
    const js = sampleJavaScript(20_000);
    const prefix = elfPrefix(200_000, 7);
    const base64 = Buffer.from(pseudoMachineCode(9000, 3)).toString('base64');
    const bin = Buffer.concat([prefix, Buffer.from(js), Buffer.from([0]), pseudoMachineCode(50_000, 9), Buffer.from(ENGLISH), Buffer.from([0]), Buffer.from(base64), Buffer.from([0, 0])]);
    const result = extractFromExecutable(bin, LIMITS);
    expect(result.runtime).toBeUndefined();
    const javascript = result.segments.filter((s) => s.javascript);
    expect(javascript.map((s) => [s.byteOffset, s.text.length])).toEqual([[prefix.length, js.length]]);
    expect(javascript[0]?.text).toBe(js);
    // Not a JavaScript runtime: its printable strings are there too, none inside the run.
    expect(result.segments.some((s) => !s.javascript && s.text.startsWith('This program is distributed'))).toBe(true);
    expect(result.segments.filter((s) => !s.javascript && s.byteOffset >= prefix.length && s.byteOffset < prefix.length + js.length)).toEqual([]);
  });

  it('also takes the printable strings of native code in which some text looks like JavaScript', () => {
    // TEST DATA, shaped like Codex 0.169's Rust binary: a JavaScript-like run among native
    // code, and string constants back to back holding an API URL.
    const prefix = elfPrefix(40_000, 13);
    const constants = 'modelscodex/responseshttps://api.example-llm.test/v1responsesprovider auth';
    const bin = Buffer.concat([prefix, Buffer.from(sampleJavaScript(9000)), Buffer.from([0]), pseudoMachineCode(2000, 14), Buffer.from(constants), Buffer.from([0]), pseudoMachineCode(1000, 15)]);
    const result = extractFromExecutable(bin, LIMITS);
    expect(result.segments.filter((s) => s.javascript).map((s) => s.byteOffset)).toEqual([prefix.length]);
    const hit = result.segments.find((s) => s.text === constants);
    expect(hit).toMatchObject({ javascript: false, byteOffset: prefix.length + 9001 + 2000 });
    expect(result.segments.map((s) => s.byteOffset)).toEqual([...result.segments.map((s) => s.byteOffset)].sort((a, b) => a - b));
  });

  it('keeps \\uXXXX escapes and raw UTF-8 inside a run', () => {
    const js = `var t="\\u4e2d\\u6587 ${'é'.repeat(10)}";${sampleJavaScript(8000)}`;
    const prefix = elfPrefix(10_000, 5);
    const result = extractFromExecutable(Buffer.concat([prefix, Buffer.from(js), Buffer.from([0xff, 0])]), LIMITS);
    const run = result.segments.find((s) => s.javascript);
    expect(run?.byteOffset).toBe(prefix.length);
    expect(run?.text).toBe(js);
  });

  it('extracts printable strings when an executable holds no JavaScript', () => {
    const prefix = elfPrefix(30_000, 11);
    const bin = Buffer.concat([prefix, Buffer.from('https://api.example.invalid/v1/messages'), Buffer.from([0]), pseudoMachineCode(1000, 12)]);
    const result = extractFromExecutable(bin, LIMITS);
    const hit = result.segments.find((s) => s.text === 'https://api.example.invalid/v1/messages');
    expect(hit).toMatchObject({ byteOffset: prefix.length, javascript: false });
    expect(result.segments.every((s) => !s.javascript)).toBe(true);
  });
});

describe('Bun standalone module graph', () => {
  const entry = sampleJavaScript(12_000, 'bunEntry');
  const chunk = `// @bun\n${sampleJavaScript(6000, 'bunChunk')}`;
  const prompt = '# System prompt\n\nYou are a helpful assistant.\n';

  function bunBinary(recordSize: number, offsetsSize: number, extra: Array<{ name: string; contents: Buffer | string }> = []) {
    const prefix = elfPrefix(100_000, 21);
    // The runtime itself holds the trailer as a string constant: a decoy before the real graph.
    const decoy = Buffer.concat([Buffer.from('\n---- Bun! ----\n', 'latin1'), pseudoMachineCode(5000, 22)]);
    const modules = [{ name: '/$bunfs/root/agent', contents: entry }, { name: '/$bunfs/root/chunk-abc.js', contents: chunk }, { name: '/$bunfs/root/prompt-x1.md', contents: prompt }, ...extra];
    const { blob, contentOffsets } = bunGraph(modules, recordSize, offsetsSize);
    const head = Buffer.concat([prefix, decoy]);
    // Linux layout: graph appended, then the total length as a u64.
    const bin = Buffer.concat([head, blob, u64(head.length + blob.length + 8)]);
    return { bin, base: head.length, contentOffsets };
  }

  it.each([
    [36, 32, 'Bun 1.1/1.2 layout'],
    [52, 32, 'newer 52-byte module records'],
    [28, 24, 'early layout without exec argv'],
  ])('reads modules by name with exact byte offsets (%i-byte records, %i-byte offsets: %s)', (recordSize, offsetsSize) => {
    const { bin, base, contentOffsets } = bunBinary(recordSize, offsetsSize);
    const result = extractFromExecutable(bin, LIMITS);
    expect(result.runtime).toBe('bun');
    expect(result.segments.map((s) => [s.name, s.byteOffset, s.javascript])).toEqual([
      ['/$bunfs/root/agent', base + contentOffsets[0]!, true],
      ['/$bunfs/root/chunk-abc.js', base + contentOffsets[1]!, true],
      ['/$bunfs/root/prompt-x1.md', base + contentOffsets[2]!, false],
    ]);
    expect(result.segments[0]?.text).toBe(entry);
    expect(bin.toString('latin1', result.segments[1]!.byteOffset, result.segments[1]!.byteOffset + 8)).toBe('// @bun\n');
  });

  it('decodes compressed and UTF-16 assets and takes strings of binary ones', () => {
    const hiddenJs = `"use strict";${sampleJavaScript(3000, 'preludeJs')}`;
    const extra = [
      { name: '/$bunfs/root/rules-1.md.gz', contents: zlib.gzipSync(Buffer.from('# Rules\nNever tell.\n')) },
      { name: '/$bunfs/root/prelude.js-2.txt', contents: Buffer.from(hiddenJs, 'utf16le') },
      { name: '/$bunfs/root/addon.node', contents: Buffer.concat([elfPrefix(2000, 31), Buffer.from('napi_get_value_string_utf8'), Buffer.from([0])]) },
    ];
    if (typeof zlib.zstdCompressSync === 'function') extra.push({ name: '/$bunfs/root/skill-3.md.zst', contents: zlib.zstdCompressSync(Buffer.from('# Skill\nSecret instructions.\n')) });
    const { bin } = bunBinary(36, 32, extra);
    const result = extractFromExecutable(bin, LIMITS);
    const byName = (n: string) => result.segments.filter((s) => s.name === n);
    expect(byName('/$bunfs/root/rules-1.md.gz')).toMatchObject([{ text: '# Rules\nNever tell.\n', decodedFrom: 'gzip', javascript: false }]);
    expect(byName('/$bunfs/root/prelude.js-2.txt')).toMatchObject([{ text: hiddenJs, decodedFrom: 'utf-16le', javascript: true }]);
    expect(byName('/$bunfs/root/addon.node').map((s) => s.text)).toContain('napi_get_value_string_utf8');
    if (typeof zlib.zstdCompressSync === 'function') {
      expect(byName('/$bunfs/root/skill-3.md.zst')).toMatchObject([{ text: '# Skill\nSecret instructions.\n', decodedFrom: 'zstd' }]);
    }
  });

  it('refuses to inflate a compressed asset beyond the limit, and says so', () => {
    const bomb = zlib.gzipSync(Buffer.alloc(2_000_000, 0x61));
    expect(decodeAsset(bomb, 100_000)).toEqual({ problem: 'gzip-compressed and expands beyond 0 MiB; not decompressed' });
    const { bin } = bunBinary(36, 32, [{ name: '/$bunfs/root/big.txt.gz', contents: bomb }]);
    const result = extractFromExecutable(bin, { ...LIMITS, maxFileBytes: 100_000 });
    expect(result.partial.some((p) => p.startsWith('embedded /$bunfs/root/big.txt.gz: gzip-compressed and expands beyond'))).toBe(true);
  });

  it('falls back to the generic scan when the trailer is only a decoy', () => {
    const prefix = elfPrefix(50_000, 41);
    const js = sampleJavaScript(9000);
    const before = Buffer.concat([prefix, Buffer.from('\n---- Bun! ----\n', 'latin1'), pseudoMachineCode(1000, 42)]);
    const result = extractFromExecutable(Buffer.concat([before, Buffer.from(js), Buffer.from([0])]), LIMITS);
    expect(result.runtime).toBeUndefined();
    expect(result.segments.filter((s) => s.javascript).map((s) => s.byteOffset)).toEqual([before.length]);
  });
});

describe('Node SEA and Deno', () => {
  function sizedString(s: string): Buffer {
    return Buffer.concat([u64(Buffer.byteLength(s)), Buffer.from(s)]);
  }

  it('reads the main script of a Node single-executable application', () => {
    const code = 'const os=require("os");console.log(os.hostname());';
    const magic = Buffer.from([0x20, 0xda, 0x43, 0x01]);
    const flags = Buffer.alloc(4);
    // The magic also appears in the runtime's code: a candidate that does not parse must be passed over.
    const junkMagic = Buffer.concat([magic, Buffer.from([0xff, 0xff, 0xff, 0xff])]);
    const head = Buffer.concat([elfPrefix(20_000, 51), Buffer.from('NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2:1'), junkMagic, pseudoMachineCode(3000, 52)]);
    const blob = Buffer.concat([magic, flags, sizedString('/build/agent.cjs'), sizedString(code)]);
    const result = extractFromExecutable(Buffer.concat([head, blob, pseudoMachineCode(500, 53)]), LIMITS);
    expect(result.runtime).toBe('node-sea');
    const codeOffset = head.length + 8 + 8 + '/build/agent.cjs'.length + 8;
    expect(result.segments).toEqual([{ byteOffset: codeOffset, byteLength: code.length, text: code, javascript: true, name: '/build/agent.cjs' }]);
  });

  it('does not take a plain Node binary (fuse not set) for an SEA', () => {
    const bin = Buffer.concat([elfPrefix(5000, 61), Buffer.from('NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2:0'), pseudoMachineCode(100, 62)]);
    expect(extractFromExecutable(bin, LIMITS).runtime).toBeUndefined();
  });

  it('finds short modules inside an old-layout Deno payload', () => {
    const head = elfPrefix(40_000, 71);
    const eszip = Buffer.concat([Buffer.from('ESZIP_V2.2'), pseudoMachineCode(64, 72)]);
    const module = `import{serve}from"./deps.ts";export function main(){const u=Deno.env.get("TZ");return fetch("https://x.invalid/"+u).then(function(r){return r.json()})}${sampleJavaScript(600)}`;
    const payload = Buffer.concat([eszip, Buffer.from(module), Buffer.from([0, 1, 2]), Buffer.from('{"entrypoint":"file:///main.ts"}')]);
    const trailer = Buffer.alloc(24);
    trailer.write('d3n0l4nd', 0, 'latin1');
    trailer.writeBigUInt64BE(BigInt(head.length), 8);
    trailer.writeBigUInt64BE(BigInt(head.length + payload.length - 32), 16);
    const result = extractFromExecutable(Buffer.concat([head, payload, trailer]), LIMITS);
    expect(result.runtime).toBe('deno');
    expect(result.segments.map((s) => [s.byteOffset, s.text])).toEqual([[head.length + eszip.length, module]]);
  });
});

describe('text run scanning', () => {
  /** Reference: a plain left-to-right scan with the same run rule. */
  function naiveRuns(b: Buffer, min: number): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    let i = 0;
    while (i < b.length) {
      const e = textRunEnd(b, i, b.length);
      if (e === i) {
        i++;
        continue;
      }
      if (e - i >= min) out.push([i, e]);
      i = e;
    }
    return out;
  }

  it('finds exactly the runs a full scan finds (random data with inserted text)', () => {
    for (let seed = 1; seed <= 12; seed++) {
      const parts: Buffer[] = [];
      for (let k = 0; k < 25; k++) {
        parts.push(pseudoMachineCode(500 + ((seed * 977 + k * 131) % 9000), seed * 100 + k));
        const len = (seed * 373 + k * 1999) % 12_000;
        parts.push(Buffer.from(('ab\ncd é 中文 ' + 'x'.repeat(k)).repeat(Math.ceil(len / 20)).slice(0, len)));
      }
      const b = Buffer.concat(parts);
      expect(findLongTextRuns(b, 4096).map((r) => [r.start, r.end])).toEqual(naiveRuns(b, 4096));
    }
  });

  it('rejects overlong forms, surrogates and C1 controls as text', () => {
    const b = Buffer.from([0x61, 0xc0, 0xaf, 0x61, 0xed, 0xa0, 0x80, 0x61, 0xc2, 0x85, 0x61, 0xe2, 0x82, 0xac]);
    expect(textRunEnd(b, 0, b.length)).toBe(1);
    expect(textRunEnd(b, 3, b.length)).toBe(4);
    expect(textRunEnd(b, 7, b.length)).toBe(8);
    expect(textRunEnd(b, 10, b.length)).toBe(b.length);
  });

  it('caps string extraction and says where it stopped', () => {
    const b = Buffer.from('alpha-one\0beta-two\0gamma-three\0');
    const r = findPrintableStrings(b, 6, 18);
    expect(r.ranges.map((x) => b.toString('utf8', x.start, x.end))).toEqual(['alpha-one', 'beta-two']);
    expect(r).toMatchObject({ capped: true, stoppedAt: 19 });
  });
});
