import { describe, expect, it } from 'vitest';
import { findingsOf } from '../../helpers/analyze.js';

describe('TT004 hidden-characters', () => {
  it('flags a condition choosing among look-alike apostrophes (escaped form)', () => {
    const code = 'function mark(a, b) { if (a) return "\\u2019"; if (b) return "\\u02bc"; return "\'"; }';
    const found = findingsOf(code, 'TT004');
    expect(found).toHaveLength(1);
    expect(found[0]!.level).toBe('warning');
    expect(found[0]!.codePoints).toEqual(expect.arrayContaining(['U+0027', 'U+2019', 'U+02BC']));
  });

  it('treats literal and escaped characters alike', () => {
    const escaped = findingsOf('const f = (x) => x ? "\\u0430" : "a";', 'TT004');
    const literal = findingsOf('const f = (x) => x ? "а" : "a";', 'TT004');
    expect(escaped.map((f) => f.facts.key)).toEqual(literal.map((f) => f.facts.key));
    expect(literal).toHaveLength(1);
  });

  it('flags a conditional invisible insertion and tag characters', () => {
    const ins = findingsOf('function sep(flag) { return flag ? "\\u200b" : ""; }', 'TT004');
    expect(ins[0]?.facts.choice).toBe('invisible-insertion');
    const tags = findingsOf('const s = "hello\\u{E0068}\\u{E0069}";', 'TT004');
    expect(tags[0]?.level).toBe('warning');
    expect(tags[0]?.decoded).toBe('hi');
  });

  it('does not cry wolf: curly quotes in UI text, emoji sequences, flag tags, homoglyph tables', () => {
    expect(findingsOf('const msg = "Don\\u2019t panic \\u{1F469}\\u200D\\u{1F4BB}";', 'TT004')).toEqual([]);
    expect(findingsOf('const flag = "\\u{1F3F4}\\u{E0067}\\u{E0062}\\u{E0073}\\u{E0063}\\u{E0074}\\u{E007F}";', 'TT004')).toEqual([]);
    const table = 'const T = {"\\u0430":"a","\\u0435":"e","\\u043e":"o","\\u0440":"p","\\u0441":"c","\\u0445":"x","\\u0443":"y","\\u0456":"i","\\u0458":"j","\\u04bb":"h"}; function n(c){ return T[c] || c }';
    expect(findingsOf(table, 'TT004').filter((f) => f.level !== 'note')).toEqual([]);
  });
});
