import { describe, expect, it } from 'vitest';
import { findingsOf, xorBase64, xorHex } from '../../helpers/analyze.js';

// Inert synthetic payloads (test data): lists a tracker might hide.
const DOMAINS = 'alpha-lab.example-corp.net,beta.research.org,gamma-ai.co.uk,delta.dev';
const ZONES = 'Europe/Minsk,America/Caracas,Asia/Dubai';

describe('TT003 obfuscated-payload', () => {
  it('recovers base64 > xor with the key taken from the decoder in the code', () => {
    const code = `var K=23,L="${xorBase64(DOMAINS, [23])}";function dec(s){let b=Buffer.from(s,"base64"),o="";for(let c of b)o+=String.fromCharCode(c^K);return o.split(",")}`;
    const [f] = findingsOf(code, 'TT003');
    expect(f?.decoded).toBe(DOMAINS);
    expect(f?.encoding).toMatch(/base64 > xor\(0x17\)/);
    expect(f?.level).toBe('warning');
  });

  it('recovers hex > multi-byte xor without a key in the code', () => {
    const code = `const blob = "${xorHex(ZONES, [0x13, 0x37, 0x42])}";`;
    const [f] = findingsOf(code, 'TT003');
    expect(f?.decoded).toBe(ZONES);
    expect(f?.facts.kind).toBe('timezone-list');
  });

  it('recovers character-code arrays and reversed strings', () => {
    const codes = [...'https://collect.acme-metrics.io/v2'].map((c) => c.charCodeAt(0));
    const found = findingsOf(`const u = String.fromCharCode(${codes.join(',')}); const h = "gro.hcraeser.ateb".split("").reverse().join("");`, 'TT003');
    expect(found.map((f) => f.decoded)).toEqual(expect.arrayContaining(['https://collect.acme-metrics.io/v2', 'beta.research.org']));
  });

  it('ignores ordinary encoded data: random bytes, hashes, images, plain text', () => {
    const random = Buffer.from(Array.from({ length: 96 }, (_, i) => (i * 7919 + 13) % 251)).toString('base64');
    const code = `const a="${random}"; const h="9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
      const png="iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";
      const t="The quick brown fox jumps over the lazy dog";`;
    expect(findingsOf(code, 'TT003')).toEqual([]);
  });

  it('does not mistake small-number tables for hidden text (brute-forced XOR of low-diversity input)', () => {
    const code = 'var K=99; function f(x){ return x ^ K } const steps=[6,4,2,4,2,4,6,2]; const t=[1,2,1,2,1,2,1,2,1,2];';
    expect(findingsOf(code, 'TT003')).toEqual([]);
  });
});
