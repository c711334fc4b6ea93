import { describe, expect, it } from 'vitest';
import { IdentifierIndex } from '../../../src/core/js/identifier-index.js';

/** The text search the index replaces: whole identifier, not after `.` (JsSource's rule). */
function searched(text: string, name: string, from = 0, to = text.length): number[] {
  const id = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 36 || c === 95 || c > 127;
  const out: number[] = [];
  for (let i = text.indexOf(name, from); i !== -1 && i < to; i = text.indexOf(name, i + 1)) {
    const before = i > 0 ? text.charCodeAt(i - 1) : 32;
    if (id(before) || before === 46 || id(text.charCodeAt(i + name.length))) continue;
    out.push(i);
  }
  return out;
}

/** Deterministic pseudo-random minified-looking code: short names, members, strings, non-ASCII, numbers. */
function minified(seed: number, pieces: number): string {
  let state = seed;
  const next = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]!;
  const names = ['a', 'e', '_', '$', 'q', 'K', 'd1', 'eO7', 'eO', '_k6', 'u_', 'i8$', '$q', 'A2b', 'abcdef', 'abcdefg', 'zz9', 'ñx', 'xñ', 'éa', 'a9é'];
  const glue = ['(', ')', '.', ',', ';', '=', '===', ' ', '\n', '"', "'", '`', '{', '}', '[', ']', '...', '+', '1', '0x1f', '2e3', '/', '?', ':'];
  const parts: string[] = [];
  for (let i = 0; i < pieces; i++) parts.push(next() < 0.55 ? pick(names) : pick(glue));
  return parts.join('');
}

describe('IdentifierIndex', () => {
  it('finds exactly what the text search finds, for covered names', () => {
    for (const seed of [1, 7, 42, 2026]) {
      const text = minified(seed, 20_000);
      const index = IdentifierIndex.build(text);
      for (const name of ['a', 'e', '_', '$', 'q', 'K', 'd1', 'eO7', 'eO', '_k6', 'u_', 'i8$', '$q', 'A2b', 'abcdef', 'zz9', 'absent']) {
        expect(index.covers(name)).toBe(true);
        expect([...index.occurrences(name)], `${name} (seed ${seed})`).toEqual(searched(text, name));
        const from = Math.floor(text.length / 3);
        const to = Math.floor((2 * text.length) / 3);
        expect([...index.occurrences(name, from, to)], `${name} in range`).toEqual(searched(text, name, from, to));
      }
    }
  });

  it('does not cover names it cannot answer: long, non-ASCII, starting with a digit', () => {
    const index = IdentifierIndex.build('abcdefg ñx 9a');
    expect(index.covers('abcdefg')).toBe(false);
    expect(index.covers('ñx')).toBe(false);
    expect(index.covers('9a')).toBe(false);
    expect(index.covers('')).toBe(false);
  });

  it('never mistakes a run with non-ASCII characters for an ASCII name', () => {
    // "_é" and "é" share bucket codes with "__" and "_" if non-ASCII were folded into `_`.
    // A non-ASCII second character would also spill into the next bucket code ("aé" next to "b0").
    const text = '_é é __ _ x_é_ a.b _ aé b0';
    const index = IdentifierIndex.build(text);
    expect([...index.occurrences('__')]).toEqual(searched(text, '__'));
    expect([...index.occurrences('_')]).toEqual(searched(text, '_'));
    expect([...index.occurrences('b')]).toEqual([]);
    expect([...index.occurrences('b0')]).toEqual(searched(text, 'b0'));
  });
});
