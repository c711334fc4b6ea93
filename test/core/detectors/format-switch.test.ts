import { describe, expect, it } from 'vitest';
import { findingsOf } from '../../helpers/analyze.js';

describe('TT005 format-switch', () => {
  it.each([
    ['regex replace', 'const out = c ? d.replace(/-/g, "/") : d;'],
    ['string replaceAll', 'const out = c ? d : d.replaceAll("-", ".");'],
    ['split/join', 'const out = c ? d.split("-").join("/") : d;'],
    ['literals differing in separators', 'const fmt = c ? "YYYY-MM-DD" : "YYYY.MM.DD";'],
    ['NBSP vs space', 'const s = c ? "date\\u00a0is" : "date is";'],
  ])('finds %s', (_n, code) => {
    expect(findingsOf(code, 'TT005')).toHaveLength(1);
  });

  it('ignores unconditional rewrites and unrelated ternaries', () => {
    expect(findingsOf('const p = path.replace(/\\\\/g, "/"); const v = c ? "yes" : "no"; const w = c ? a.replace(/x/g, "y") : a;', 'TT005')).toEqual([]);
  });
});
