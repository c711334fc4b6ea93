// INERT TEST DATA: encoded fixtures are generated from plain text in fixtures.ts.
import { describe, expect, it } from 'vitest';
import { looksEncoded } from '../../../src/core/recovery/index.js';
import { base64, chars, hex, int, keywordList, randomBytes, reverse, rng, timezoneList, utf8, xor } from './fixtures.js';

describe('looksEncoded', () => {
  const r = rng(30);
  it('says yes to encoded shapes', () => {
    const plain = timezoneList(r);
    const yes = [
      base64(xor(utf8(plain), [0x5b])),
      base64(xor(utf8(plain), [0x21]), true),
      base64(utf8('qq.example')),
      hex(xor(utf8(plain), [0x7f])),
      hex(utf8(plain), true),
      reverse(base64(utf8(keywordList(r)))),
      chars(xor(utf8(plain), [0x5b])),
      chars(xor(utf8(plain), [0xc3])),
      Array.from(utf8('example.com')).join(','),
      Array.from(utf8('example.com'), (b) => `\\x${b.toString(16)}`).join(''),
      'moc.elpmaxe,ten.elpmaxe',
      base64(randomBytes(r, 30_000)), // a long blob: recovery decides, from a sample
    ];
    for (const s of yes) expect(looksEncoded(s), s.slice(0, 60)).toBe(true);
  });
  it('says no to ordinary literals', () => {
    const no = [
      '', 'a', 'use strict', 'getElementById', 'addEventListener', 'toLocaleDateString', 'XMLHttpRequest',
      'readFileSync', 'HTTPS_PROXY', 'ERR_INVALID_ARG_TYPE', 'Content-Type', 'application/json',
      'The quick brown fox jumps over the lazy dog', 'Unable to read configuration file',
      'https://example.com/a/b?c=d', './src/core/index.js', 'node_modules/.bin', 'C:\\Users\\me\\file.txt',
      'color:red;margin:0 auto', '.btn:hover{background:#fff}', '^[a-z]+\\d{2,}$', '(?:\\s|^)foo',
      '\u001b[31merror\u001b[0m', 'Café déjà vu', '12345678', '2024-01-01T00:00:00Z', 'example.com',
      'api.example.com', 'Asia/Shanghai', 'en-US,en;q=0.9', 'abcdefgh', 'Lorem ipsum dolor sit amet',
    ];
    for (const s of no) expect(looksEncoded(s), s).toBe(false);
  });
  it('lets most identifiers of a minified bundle through untouched', () => {
    const idents = Array.from({ length: 2000 }, () => {
      const words = ['get', 'set', 'Element', 'By', 'Id', 'on', 'Change', 'handle', 'Click', 'value', 'Of', 'to', 'String', 'is', 'Valid', 'create', 'Node'];
      let s = '';
      for (let i = int(r, 2, 4); i > 0; i--) s += words[int(r, 0, words.length - 1)];
      return s;
    });
    const passed = idents.filter(looksEncoded).length;
    expect(passed).toBeLessThan(idents.length * 0.02);
  });
});
