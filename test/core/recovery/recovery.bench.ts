/**
 * Recovery cost, run with `npx vitest bench --run test/core/recovery` (not a timed test).
 * INERT TEST DATA: every literal is generated here or in fixtures.ts from plain text and
 * random bytes. Figures to compare: µs per literal for looksEncoded on a bundle-like mix,
 * µs per literal for recoverString on what passes it, and the total for 2,000 random base64
 * blobs of 1–50 KB (embedded images and wasm are the expensive case for a bundle scan).
 */
import { bench, describe } from 'vitest';
import { looksEncoded, recoverString } from '../../../src/core/recovery/index.js';
import { base64, domainList, hex, int, keywordList, pick, randomBytes, rng, timezoneList, utf8, xor } from './fixtures.js';

const r = rng(2024);
const WORDS = ['get', 'set', 'Element', 'By', 'Id', 'on', 'Change', 'handle', 'Click', 'value', 'Of', 'to', 'String', 'is', 'Valid', 'create', 'Node', 'request', 'Options', 'parse', 'Json'];
const word = () => pick(r, WORDS);
/** A mix shaped like the string literals of a minified bundle (mostly short, few encoded). */
const typical: string[] = Array.from({ length: 20_000 }, (_, i) => {
  switch (i % 20) {
    case 0: return `${word()} ${word().toLowerCase()} ${word().toLowerCase()} failed: ${word().toLowerCase()}`;
    case 1: return `https://${word().toLowerCase()}.example.com/${word().toLowerCase()}/v${int(r, 1, 3)}`;
    case 2: return `./${word().toLowerCase()}/${word().toLowerCase()}.js`;
    case 3: return `color:#${hex(randomBytes(r, 3))};margin:${int(r, 0, 9)}px auto`;
    case 4: return hex(randomBytes(r, 32)); // a hash
    case 5: return `${word().toUpperCase()}_${word().toUpperCase()}`;
    case 6: return base64(randomBytes(r, int(r, 12, 48))); // keys, integrity values
    case 7: return String(int(r, 0, 1e9));
    case 8: return i % 400 === 8 ? base64(xor(utf8(pick(r, [domainList, timezoneList, keywordList])(r)), [int(r, 1, 255)])) : word();
    default: return word().toLowerCase() + word() + (i % 3 === 0 ? word() : '');
  }
});
const passing = typical.filter(looksEncoded);
const blobs = Array.from({ length: 2000 }, () => base64(randomBytes(r, int(r, 1024, 50 * 1024))));

function timeUs(fn: () => void, runs = 5): number {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    fn();
    best = Math.min(best, (performance.now() - t) * 1000);
  }
  return best;
}

// Summary figures (best of several runs, after the warm-up the first run gives).
const pre = timeUs(() => typical.forEach(looksEncoded)) / typical.length;
const rec = timeUs(() => passing.forEach((l) => recoverString(l))) / Math.max(1, passing.length);
const blobMs = timeUs(() => blobs.forEach((b) => looksEncoded(b) && recoverString(b)), 2) / 1000;
const mb = blobs.reduce((a, b) => a + b.length, 0) / 1e6;
console.log(
  `recovery: looksEncoded ${pre.toFixed(2)} µs/literal over ${typical.length} (${passing.length} pass); ` +
    `recoverString ${rec.toFixed(0)} µs per passing literal; ` +
    `2,000 random base64 blobs (${mb.toFixed(1)} MB): ${blobMs.toFixed(0)} ms (${((blobMs * 1000) / blobs.length).toFixed(0)} µs/blob)`,
);

describe('recovery', () => {
  bench(`looksEncoded × ${typical.length} bundle-like literals`, () => {
    for (const l of typical) looksEncoded(l);
  });
  bench(`recoverString × ${passing.length} literals that pass looksEncoded`, () => {
    for (const l of passing) recoverString(l);
  });
  bench('recoverString × 200 random base64 blobs of 1–50 KB', () => {
    for (const b of blobs.slice(0, 200)) recoverString(b);
  });
});
