// INERT TEST DATA: every encoded string here is generated from plain text in fixtures.ts.
import { describe, expect, it } from 'vitest';
import {
  MAX_ATTEMPTS,
  REPORT_THRESHOLD,
  recoverBytes,
  recoverCandidates,
  recoverString,
} from '../../../src/core/recovery/index.js';
import {
  base64,
  chars,
  domainList,
  hex,
  int,
  keywordList,
  pick,
  pngLike,
  randomBytes,
  randomKey,
  reverse,
  rng,
  sentence,
  timezoneList,
  url,
  utf8,
  xor,
} from './fixtures.js';

const hx = (b: number) => `0x${b.toString(16).padStart(2, '0')}`;

describe('recoverString: single-byte XOR under base64, as in the reported incident shape', () => {
  const r = rng(1);
  for (const key of [0x5b, 0x21, 0x7f, 0x03, 0x20, 0x80, 0xc3, 0xfe]) {
    it(`domain list, key ${hx(key)}`, () => {
      const plain = domainList(r);
      const got = recoverString(base64(xor(utf8(plain), [key])));
      expect(got).toMatchObject({ decoded: plain, encoding: `base64 > xor(${hx(key)})`, kind: 'domain-list' });
      expect(got!.items).toEqual(plain.split(/[,|\n;]/));
    });
    it(`time-zone list, key ${hx(key)}`, () => {
      const plain = timezoneList(r);
      expect(recoverString(base64(xor(utf8(plain), [key])))).toMatchObject({
        decoded: plain,
        encoding: `base64 > xor(${hx(key)})`,
        kind: 'timezone-list',
      });
    });
  }
  it('keyword list, URL and an English sentence', () => {
    const k = keywordList(r);
    expect(recoverString(base64(xor(utf8(k), [0x5b])))).toMatchObject({ decoded: k, kind: 'keyword-list' });
    const u = url(r);
    expect(recoverString(base64(xor(utf8(u), [0x21])))).toMatchObject({ decoded: u, kind: 'url' });
    const s = sentence(r);
    expect(recoverString(base64(xor(utf8(s), [0x7f])))).toMatchObject({ decoded: s, kind: 'text' });
  });
  it('non-ASCII text survives as UTF-8', () => {
    const plain = 'Zürich,Köln,Malmö,Besançon,Łódź';
    expect(recoverString(base64(xor(utf8(plain), [0x42])))?.decoded).toBe(plain);
  });
});

describe('recoverString: other encodings and layers', () => {
  const r = rng(2);
  it('plain base64 and URL-safe base64', () => {
    const plain = domainList(r);
    expect(recoverString(base64(utf8(plain)))).toMatchObject({ decoded: plain, encoding: 'base64' });
    const withXor = base64(xor(utf8(plain), [0x3c]), true);
    expect(recoverString(withXor)).toMatchObject({ decoded: plain, encoding: withXor.match(/[-_]/) ? "base64url > xor(0x3c)" : "base64 > xor(0x3c)" });
  });
  it('hex, lower and upper case, with single-byte XOR', () => {
    const plain = timezoneList(r);
    expect(recoverString(hex(xor(utf8(plain), [0x5b])))).toMatchObject({ decoded: plain, encoding: 'hex > xor(0x5b)' });
    expect(recoverString(hex(utf8(plain), true))).toMatchObject({ decoded: plain, encoding: 'hex' });
  });
  it('reversed strings: reversed text, reversed base64', () => {
    expect(recoverString(reverse('example.com,example.org,test.net'))).toMatchObject({
      decoded: 'example.com,example.org,test.net',
      encoding: 'reverse',
      kind: 'domain-list',
    });
    const plain = keywordList(r);
    expect(recoverString(reverse(base64(utf8(plain))))).toMatchObject({ decoded: plain, encoding: 'reverse > base64' });
  });
  it('two layers of base64, and base64 over hex over XOR', () => {
    const plain = url(r);
    expect(recoverString(base64(utf8(base64(utf8(plain)))))).toMatchObject({ decoded: plain, encoding: 'base64 > base64' });
    const deep = base64(utf8(hex(xor(utf8(plain), [0x11]))));
    expect(recoverString(deep)).toMatchObject({ decoded: plain, encoding: 'base64 > hex > xor(0x11)' });
  });
  it('XOR output kept as raw characters (a decoded `\\x..` string literal)', () => {
    const plain = timezoneList(r);
    expect(recoverString(chars(xor(utf8(plain), [0x5b])))).toMatchObject({ decoded: plain, encoding: 'xor(0x5b)' });
    expect(recoverString(chars(xor(utf8(plain), [0xa7])))).toMatchObject({ decoded: plain, encoding: 'xor(0xa7)' });
  });
  it('escape sequences written out as text, and percent-encoding', () => {
    const plain = 'example.com,test.org';
    const escaped = Array.from(utf8(plain), (b) => `\\x${b.toString(16).padStart(2, '0')}`).join('');
    expect(recoverString(escaped)).toMatchObject({ decoded: plain, encoding: 'escapes' });
    const percent = Array.from(utf8(plain), (b) => `%${b.toString(16).padStart(2, '0')}`).join('');
    expect(recoverString(percent)).toMatchObject({ decoded: plain, encoding: 'percent' });
  });
  it('character codes written out as text', () => {
    const plain = keywordList(r);
    const list = Array.from(xor(utf8(plain), [0x21])).join(',');
    expect(recoverString(list)).toMatchObject({ decoded: plain, encoding: 'charcodes > xor(0x21)' });
  });
  it('ROT13 of a host list', () => {
    const rot = (s: string) => s.replace(/[a-z]/g, (c) => String.fromCharCode(((c.charCodeAt(0) - 97 + 13) % 26) + 97));
    expect(recoverString(rot('example.com,example.net,test.org'))).toMatchObject({
      decoded: 'example.com,example.net,test.org',
      encoding: 'rot13',
    });
  });
  it('respects maxDepth', () => {
    const lit = base64(utf8(base64(utf8(base64(xor(utf8('example.com,test.org,acme.net'), [0x5b]))))));
    expect(recoverString(lit)?.encoding).toBe('base64 > base64 > base64 > xor(0x5b)');
    expect(recoverString(lit, { maxDepth: 2 })).toBeNull();
  });
});

describe('recoverString: multi-byte repeating keys', () => {
  const r = rng(3);
  it('keys given as hints (from the decode routine)', () => {
    for (const key of [[0x6b, 0x33, 0x79], [1, 2], randomKey(r, 7), randomKey(r, 16)]) {
      const plain = domainList(r, 4);
      const got = recoverString(hex(xor(utf8(plain), key)), { xorKeys: [[0x11], key] });
      expect(got?.decoded).toBe(plain);
      expect(got?.encoding).toMatch(/^hex > xor\(key /);
    }
  });
  it('printable keys are shown as text, others as hex', () => {
    const plain = keywordList(r, 6);
    expect(recoverString(base64(xor(utf8(plain), [0x6b, 0x33, 0x79])), { xorKeys: [[0x6b, 0x33, 0x79]] })?.encoding).toBe(
      'base64 > xor(key "k3y")',
    );
    expect(recoverString(base64(xor(utf8(plain), [0x01, 0x9f])), { xorKeys: [[0x01, 0x9f]] })?.encoding).toBe(
      'base64 > xor(key 0x019f)',
    );
  });
  it('keys not given: the column attack finds them on long enough payloads', () => {
    const cases: Array<[string, number[]]> = [
      [domainList(r, 8), [0x6b, 0x33, 0x79]],
      [sentence(r) + ' ' + sentence(r), [1, 2, 3, 4, 5]],
      [timezoneList(r, 6), randomKey(r, 4)],
      [keywordList(r, 8) + ',' + keywordList(r, 8), randomKey(r, 2)],
    ];
    for (const [plain, key] of cases) {
      expect(recoverString(base64(xor(utf8(plain), key)))?.decoded, `key ${key}`).toBe(plain);
    }
  });
});

describe('recoverBytes', () => {
  it('char-code arrays, with and without XOR', () => {
    const plain = 'example.com,acme.net';
    expect(recoverBytes([...utf8(plain)], {}, 'charcodes')).toMatchObject({ decoded: plain, encoding: 'charcodes' });
    expect(recoverBytes([...xor(utf8(plain), [0x21])], {}, 'charcodes')).toMatchObject({
      decoded: plain,
      encoding: 'charcodes > xor(0x21)',
    });
    expect(recoverBytes(xor(utf8(plain), [0x21]), {}, 'bytes')?.encoding).toBe('bytes > xor(0x21)');
  });
  it('code units above 255 are text', () => {
    const plain = 'Europe/Berlin,Asia/Tokyo';
    expect(recoverBytes([...plain].map((c) => c.charCodeAt(0)).concat([0x4e2d].slice(0, 0)), {}, 'charcodes')?.decoded).toBe(plain);
    expect(recoverBytes([0x4e2d, 0x6587, 0x5b57, 0x7b26, 0x4e32, 0x5185, 0x5bb9], {}, 'charcodes')?.kind).toBe('text');
  });
  it('rejects random bytes and non-integers', () => {
    const r = rng(4);
    expect(recoverBytes(randomBytes(r, 64), {}, 'charcodes')).toBeNull();
    expect(recoverBytes([1.5, 2, 3, 4], {}, 'charcodes')).toBeNull();
    expect(recoverBytes([-1, 70000, 3, 4], {}, 'charcodes')).toBeNull();
  });
});

describe('negatives: nothing hidden, nothing reported', () => {
  const r = rng(5);
  it('random bytes as base64 and hex', () => {
    for (let i = 0; i < 200; i++) {
      const b = randomBytes(r, int(r, 4, 300));
      expect(recoverString(base64(b)), base64(b)).toBeNull();
      expect(recoverString(base64(b, true))).toBeNull();
      expect(recoverString(hex(b)), hex(b)).toBeNull();
    }
  });
  it('images, hashes, keys, JWT-like tokens, data URIs', () => {
    const png = base64(pngLike(r, 3000));
    expect(recoverString(png)).toBeNull();
    expect(recoverString(`data:image/png;base64,${png}`)).toBeNull();
    expect(recoverString(hex(randomBytes(r, 32)))).toBeNull(); // a SHA-256
    expect(recoverString(base64(randomBytes(r, 32)))).toBeNull(); // a random key
    const jwt = [base64(utf8('{"alg":"HS256","typ":"JWT"}'), true), base64(utf8('{"sub":"123","iat":1700000000}'), true), base64(randomBytes(r, 32), true)].join('.');
    expect(recoverString(jwt)).toBeNull();
    expect(recoverString('sha512-' + base64(randomBytes(r, 64)))).toBeNull();
    expect(recoverString('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')).toBeNull();
  });
  it('ordinary literals: identifiers, English, CSS, paths, URLs, regex sources', () => {
    const ordinary = [
      'getElementById', 'addEventListener', 'XMLHttpRequest', 'toLocaleDateString', '__esModule', 'a', 'Zb', 'qK3',
      'The quick brown fox jumps over the lazy dog', 'Unable to read configuration file', 'hello world',
      'color:red;margin:0 auto;font-family:Arial,sans-serif', '.btn-primary:hover{background:#0056b3}',
      './src/core/index.js', 'node_modules/.bin', 'https://example.com/api/v1?x=1', 'application/json',
      '^[a-z]+\\d{2,}$', '\\u0300-\\u036f\\ufe20-\\ufe23', 'ERR_INVALID_ARG_TYPE', 'Content-Type',
      'db.sql.table', 'az.namespace', 'us.example.service-v1', '.pnp.js', '\u0000NAME\u0000', 'abcdefgh', 'TestCase',
      'Max-Age=', 'AbortController', 'endpointV2Middleware', '0123456789abcdef',
    ];
    for (const s of ordinary) expect(recoverString(s), s).toBeNull();
  });
  it('wrong hints do not invent text', () => {
    const b = randomBytes(r, 40);
    expect(recoverString(base64(b), { xorKeys: [[0x5b], [1, 2, 3]] })).toBeNull();
  });
});

describe('property: random payloads, keys and encodings round-trip', () => {
  it('single-byte keys, any of 255, several encodings', () => {
    const r = rng(42);
    const failures: string[] = [];
    for (let i = 0; i < 300; i++) {
      const plain = pick(r, [domainList, timezoneList, keywordList, url, sentence])(r);
      const key = int(r, 1, 255);
      const bytes = xor(utf8(plain), [key]);
      const form = int(r, 0, 3);
      const lit = form === 0 ? base64(bytes) : form === 1 ? base64(bytes, true) : form === 2 ? hex(bytes) : reverse(base64(bytes));
      const got = recoverString(lit);
      if (got?.decoded !== plain) failures.push(`${JSON.stringify(plain)} key ${hx(key)} form ${form}: ${got?.encoding} ${JSON.stringify(got?.decoded)}`);
    }
    expect(failures).toEqual([]);
  });
  it('multi-byte keys of 2..16 bytes given as hints', () => {
    const r = rng(43);
    const failures: string[] = [];
    for (let i = 0; i < 100; i++) {
      const plain = pick(r, [domainList, timezoneList, keywordList, url, sentence])(r);
      const key = randomKey(r, int(r, 2, 16));
      const got = recoverString(base64(xor(utf8(plain), key)), { xorKeys: [key] });
      if (got?.decoded !== plain) failures.push(`${JSON.stringify(plain)} key ${key}: ${got?.encoding}`);
    }
    expect(failures).toEqual([]);
  });
  it('multi-byte keys of 2..8 bytes not given: the attack recovers nearly all long payloads', () => {
    // A statistical attack, so a rate: payloads of at least 24 bytes per key column.
    const r = rng(45);
    let recovered = 0;
    const cases = 100;
    for (let i = 0; i < cases; i++) {
      const len = int(r, 2, 8);
      const gen = pick(r, [domainList, timezoneList, keywordList, sentence]);
      let plain = '';
      while (plain.length < len * 24) plain += (plain ? (gen === sentence ? ' ' : ',') : '') + gen(r).replace(/[|\n;]/g, ',');
      if (recoverString(base64(xor(utf8(plain), randomKey(r, len))))?.decoded === plain) recovered++;
    }
    expect(recovered).toBeGreaterThanOrEqual(cases * 0.95);
  });
  it('no random input is ever reported, whatever its encoding', () => {
    const r = rng(44);
    const reported: string[] = [];
    for (let i = 0; i < 1500; i++) {
      const b = randomBytes(r, int(r, 3, 120));
      const form = int(r, 0, 3);
      const lit = form === 0 ? base64(b) : form === 1 ? hex(b) : form === 2 ? chars(b) : Array.from(b).join(',');
      const got = recoverString(lit);
      if (got) reported.push(`${JSON.stringify(lit)} -> ${got.encoding} ${JSON.stringify(got.decoded)} ${got.score.toFixed(2)}`);
    }
    expect(reported).toEqual([]);
  });
});

describe('ranking and budget', () => {
  it('candidates are sorted and the winner is above the threshold', () => {
    const lit = base64(xor(utf8('example.com,acme.org,test.net'), [0x5b]));
    const c = recoverCandidates(lit);
    expect(c[0]!.score).toBeGreaterThanOrEqual(REPORT_THRESHOLD);
    for (let i = 1; i < c.length; i++) expect(c[i - 1]!.score).toBeGreaterThanOrEqual(c[i]!.score);
    expect(c.slice(1).every((x) => x.score < c[0]!.score)).toBe(true);
  });
  it('hinted keys win ties', () => {
    const lit = base64(xor(utf8('alpha,bravo,charlie,delta'), [0x5b]));
    expect(recoverCandidates(lit, { xorKeys: [[0x5b]] })[0]!.score).toBeGreaterThan(recoverCandidates(lit)[0]!.score);
  });
  it('many hinted keys (every `^` constant of a bundle) do not starve the search', () => {
    const plain = 'example.com,acme.org,test.net,widget.io';
    const decoys = Array.from({ length: 31 }, (_, i) => [i * 7 + 1]);
    for (const lit of [base64(xor(utf8(plain), [0xc5])), reverse(base64(xor(utf8(plain), [0xc5])))]) {
      const got = recoverString(lit, { xorKeys: [...decoys, [0xc5]] });
      expect(got?.decoded).toBe(plain);
    }
  });
  it('the decode tree is bounded per literal', () => {
    const r = rng(6);
    // Base64 that is also hex-free, reversible and decodes to more base64-looking bytes: many branches.
    const lit = base64(utf8(base64(utf8(base64(randomBytes(r, 600))))));
    expect(recoverCandidates(lit).length).toBeLessThanOrEqual(MAX_ATTEMPTS);
  });
  it('long literals: images are rejected from a sample, long payloads decoded in full', () => {
    const r = rng(7);
    expect(recoverString(base64(pngLike(r, 50_000)))).toBeNull();
    expect(recoverString(base64(randomBytes(r, 40_000)))).toBeNull();
    const big = Array.from({ length: 400 }, () => domainList(r, 3).replace(/[|\n;]/g, ',')).join(',');
    const got = recoverString(base64(xor(utf8(big), [0x5b])));
    expect(got?.decoded).toBe(big);
    expect(got?.encoding).toBe('base64 > xor(0x5b)');
    const rev = recoverString(reverse(base64(xor(utf8(big), [0x21]))));
    expect(rev?.decoded).toBe(big);
  });
});
