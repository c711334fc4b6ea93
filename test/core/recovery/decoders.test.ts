import { describe, expect, it } from 'vitest';
import {
  base64Variant,
  decodeBase64,
  decodeCharCodeList,
  decodeEscapes,
  decodeHex,
  isHex,
  reverseString,
  rot13,
} from '../../../src/core/recovery/decoders.js';
import { isUtf8 } from '../../../src/core/recovery/bytes.js';
import { formatXorKey, likelyKeyLengths, rankSingleByteKeys, histogram, smallestPeriod } from '../../../src/core/recovery/xor.js';
import { randomBytes, rng, utf8, xor } from './fixtures.js';

const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe('base64', () => {
  it('accepts standard and URL-safe, padded and unpadded', () => {
    for (const s of ['aGVsbG8=', 'aGVsbG8', 'aGk=', 'YWJj']) expect(base64Variant(s)).toBe('base64');
    expect(base64Variant('-_-_')).toBe('base64url');
    expect(text(decodeBase64('aGVsbG8gd29ybGQ=', 'base64'))).toBe('hello world');
    const r = rng(20);
    for (let i = 0; i < 100; i++) {
      const b = randomBytes(r, i);
      const std = Buffer.from(b).toString('base64');
      if (std.length >= 4) expect(decodeBase64(std, base64Variant(std)!)).toEqual(b);
      const url = Buffer.from(b).toString('base64url');
      if (url.length >= 4) expect(decodeBase64(url, base64Variant(url)!)).toEqual(b);
    }
  });
  it('is strict: alphabet, padding, length, mixed alphabets, unused bits', () => {
    for (const s of ['aGk', 'ab', 'a=bc', 'aGVsbG8==', 'aGVs bG8=', 'ab+_cd', 'abcde', 'aGVsbG9=', 'aGl=', '====', 'añbc']) {
      expect(base64Variant(s), s).toBeNull();
    }
  });
});

describe('hex, escapes, char codes, reversal, ROT13', () => {
  it('hex in one case', () => {
    expect(isHex('686565')).toBe(false); // under 4 bytes
    expect(isHex('68656c6c')).toBe(true);
    expect(isHex('68656C6C')).toBe(true);
    expect(isHex('68656C6c')).toBe(false);
    expect(isHex('68656c6')).toBe(false);
    expect(text(decodeHex('68656c6c6f'))).toBe('hello');
  });
  it('escape sequences only when they make up the string', () => {
    expect(decodeEscapes('\\x68\\x69\\x21\\x21')).toMatchObject({ text: 'hi!!', name: 'escapes' });
    expect(decodeEscapes('\\u0068\\u{1F600}\\u0069')?.text).toBe('h\u{1F600}i');
    expect(decodeEscapes('%68%69%21%21')).toMatchObject({ name: 'percent' });
    expect(text(decodeEscapes('%E4%B8%AD%E6%96%87')!.bytes!)).toBe('中文');
    expect(decodeEscapes('https://example.com/a%20b')).toBeNull();
    expect(decodeEscapes('\\x6g\\x69\\x21\\x21')).toBeNull();
  });
  it('char-code lists with one separator', () => {
    expect(decodeCharCodeList('104,101,108,108,111')?.bytes).toEqual(utf8('hello'));
    expect(decodeCharCodeList('0x68 0x65 0x6c 0x6c 0x6f')?.bytes).toEqual(utf8('hello'));
    expect(decodeCharCodeList('20013, 25991, 27979, 35797')?.text).toBe('中文测试');
    expect(decodeCharCodeList('1,2;3,4')).toBeNull();
    expect(decodeCharCodeList('1,2,3')).toBeNull();
    expect(decodeCharCodeList('12345678')).toBeNull();
  });
  it('reversal by code unit and ROT13', () => {
    expect(reverseString('moc.elpmaxe')).toBe('example.com');
    expect(reverseString('x'.repeat(5000) + 'ab')).toBe('ba' + 'x'.repeat(5000));
    expect(rot13('Uryyb, Jbeyq!')).toBe('Hello, World!');
  });
  it('strict UTF-8', () => {
    expect(isUtf8(utf8('héllo 中文 😀'))).toBe(true);
    expect(isUtf8(Uint8Array.from([0xc0, 0x80]))).toBe(false); // overlong
    expect(isUtf8(Uint8Array.from([0xed, 0xa0, 0x80]))).toBe(false); // surrogate
    expect(isUtf8(Uint8Array.from([0xe4, 0xb8]))).toBe(false); // truncated
  });
});

describe('XOR helpers', () => {
  it('ranks the right single-byte key first on text', () => {
    const enc = xor(utf8('alpha,bravo,charlie,delta,echo'), [0x5b]);
    expect(rankSingleByteKeys(histogram(enc), enc.length, 0.05, 3)[0]?.key).toBe(0x5b);
  });
  it('finds no text-like key for random bytes', () => {
    const b = randomBytes(rng(21), 200);
    expect(rankSingleByteKeys(histogram(b), b.length, 0.05, 3)).toEqual([]);
  });
  it('guesses repeating key lengths from column coincidence', () => {
    const plain = utf8('The quick brown fox jumps over the lazy dog while the cat sleeps on the warm mat.'.repeat(3));
    expect(likelyKeyLengths(xor(plain, [0x11, 0x22, 0x33, 0x44, 0x55]), 16, 6)[0]).toBe(5);
    expect(likelyKeyLengths(randomBytes(rng(22), 240), 16, 6)).toEqual([]);
  });
  it('formats keys and reduces periodic ones', () => {
    expect(formatXorKey([0x5b])).toBe('xor(0x5b)');
    expect(formatXorKey([0x6b, 0x33, 0x79])).toBe('xor(key "k3y")');
    expect(formatXorKey([0x01, 0xff])).toBe('xor(key 0x01ff)');
    expect(smallestPeriod([1, 2, 1, 2, 1, 2])).toEqual([1, 2]);
    expect(smallestPeriod([1, 2, 3])).toEqual([1, 2, 3]);
  });
});
