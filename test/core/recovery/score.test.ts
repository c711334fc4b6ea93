// INERT TEST DATA: fixtures are generated from plain text in fixtures.ts.
import { describe, expect, it } from 'vitest';
import { REPORT_THRESHOLD, scoreText } from '../../../src/core/recovery/index.js';
import { chars, domainList, int, keywordList, pngLike, randomBytes, rng, timezoneList, utf8, xor } from './fixtures.js';

describe('scoreText: structure', () => {
  it('host lists with real TLDs, suffixes and ports', () => {
    const r = scoreText('example.com,api.example.co.uk,*.example.net,localhost:8080,.example.cn');
    expect(r.kind).toBe('domain-list');
    expect(r.items).toEqual(['example.com', 'api.example.co.uk', '*.example.net', 'localhost:8080', '.example.cn']);
    expect(r.score).toBeGreaterThan(0.8);
    expect(scoreText('.cn|.hk|.mo').kind).toBe('domain-list');
  });
  it('country-code TLDs come from Intl region data, not a list', () => {
    expect(scoreText('example.de,example.fr').kind).toBe('domain-list');
    // `qx` and `zz` are not ISO 3166 regions, so these are not hosts.
    expect(scoreText('example.qx,example.zz').kind).not.toBe('domain-list');
  });
  it('time-zone names, canonical and aliases, validated by the runtime', () => {
    expect(scoreText('Europe/Berlin,America/New_York,Asia/Kolkata')).toMatchObject({ kind: 'timezone-list' });
    expect(scoreText('Asia/Calcutta').kind).toBe('timezone-list'); // an alias
    expect(scoreText('Europe/Atlantis,Mars/Olympus').kind).not.toBe('timezone-list');
  });
  it('URLs, keyword lists, prose and code', () => {
    expect(scoreText('https://example.com/api/v1/events?id=3').kind).toBe('url');
    expect(scoreText('alpha|bravo|charlie|delta').kind).toBe('keyword-list');
    expect(scoreText('HTTPS_PROXY,HTTP_PROXY,NO_PROXY').kind).toBe('keyword-list');
    expect(scoreText('Please check your network connection and try again.').kind).toBe('text');
    expect(scoreText('function d(s){return s.split(",")}').kind).toBe('code');
  });
  it('readable text scores above the threshold', () => {
    const r = rng(10);
    for (const s of [domainList(r), timezoneList(r), keywordList(r), 'The quick brown fox jumps over the lazy dog']) {
      expect(scoreText(s).score, s).toBeGreaterThanOrEqual(REPORT_THRESHOLD);
    }
  });
  it('non-Latin text of one script is readable; random code units are not', () => {
    expect(scoreText('中文测试字符串内容').score).toBeGreaterThanOrEqual(REPORT_THRESHOLD);
    expect(scoreText('Привет, как дела сегодня').score).toBeGreaterThanOrEqual(REPORT_THRESHOLD);
    const r = rng(11);
    const noise = String.fromCharCode(...Array.from({ length: 24 }, () => int(r, 0x100, 0xd7ff)));
    expect(scoreText(noise).score).toBeLessThan(REPORT_THRESHOLD);
    expect(scoreText('\u0300-\u036f\ufe20-\ufe23').score).toBeLessThan(REPORT_THRESHOLD); // combining marks
  });
});

describe('scoreText: binary and noise stay below the threshold', () => {
  const r = rng(12);
  it('random bytes, PNG data, hashes read as characters', () => {
    for (let i = 0; i < 200; i++) expect(scoreText(chars(randomBytes(r, int(r, 8, 200)))).score).toBeLessThan(0.2);
    expect(scoreText(chars(pngLike(r, 500))).score).toBeLessThan(0.2);
  });
  it('random printable ASCII (what a wrong XOR key often yields)', () => {
    for (let i = 0; i < 300; i++) {
      const s = String.fromCharCode(...Array.from({ length: int(r, 12, 80) }, () => int(r, 32, 126)));
      expect(scoreText(s).score, s).toBeLessThan(REPORT_THRESHOLD);
    }
  });
  it('base64 and hex text themselves are not readable text', () => {
    for (let i = 0; i < 200; i++) {
      const b = randomBytes(r, int(r, 12, 200));
      expect(scoreText(Buffer.from(b).toString('base64')).score).toBeLessThan(REPORT_THRESHOLD);
      expect(scoreText(Buffer.from(b).toString('hex')).score).toBeLessThan(REPORT_THRESHOLD);
    }
  });
  it('wrong XOR keys score below the right one', () => {
    for (let i = 0; i < 50; i++) {
      const plain = pickPayload(r);
      const key = int(r, 1, 255);
      const enc = xor(utf8(plain), [key]);
      const right = scoreText(plain).score;
      for (let wrong = 1; wrong < 256; wrong++) {
        if (wrong === key) continue;
        const s = chars(xor(enc, [wrong]));
        expect(scoreText(s).score, `${plain} ^ ${key ^ wrong}`).toBeLessThan(right);
      }
    }
  });
});

function pickPayload(r: () => number): string {
  return [domainList, timezoneList, keywordList][int(r, 0, 2)]!(r);
}
