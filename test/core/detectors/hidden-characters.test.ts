import { describe, expect, it } from 'vitest';
import { findingsOf } from '../../helpers/analyze.js';

describe('TT004 hidden-characters', () => {
  it('flags a condition choosing among look-alike apostrophes (escaped form)', () => {
    const code = 'function mark(a, b) { if (a) return "\\u2019"; if (b) return "\\u02bc"; return "\'"; }';
    const found = findingsOf(code, 'TT004');
    expect(found).toHaveLength(1);
    // Alone a choice is a note; TT007 raises it when an environment signal decides it.
    expect(found[0]!.level).toBe('note');
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

  it('code that handles invisible characters (compares with, searches for, strips them) does not emit them', () => {
    const code = `function idna(chars, v){ for (const [j, h] of chars.entries()) if (h === "\\u200C" || h === "\\u200D") { if (v) return false } return true }
      function stripBom(k){ return k.startsWith("\\uFEFF") ? k.slice(1) : k }
      function clean(s){ return s.replace("\\u200b", "") }`;
    expect(findingsOf(code, 'TT004').filter((f) => f.level !== 'note')).toEqual([]);
  });

  it('quotes used together in one output are not a choice; entity tables are notes', () => {
    const quoted = 'function ctx(a){ return a.userContext && h("span", null, "Context: ", "\\u201C", a.userContext, "\\u201D") }';
    expect(findingsOf(quoted, 'TT004')).toEqual([]);
    const entries = Array.from({ length: 20 }, (_, i) => `e${i}:"x${i}"`).join(',');
    const entities = `const ENT = {${entries}, lrm:"\\u200E", rlm:"\\u200F"};`;
    const found = findingsOf(entities, 'TT004');
    expect(found.length).toBeGreaterThan(0);
    expect(found.every((f) => f.level === 'note')).toBe(true);
    // The same bidi control in ordinary prose stays a warning.
    expect(findingsOf('const s = "abc\\u202Edef";', 'TT004')[0]?.level).toBe('warning');
  });

  it('an escape decoder (one branch per input code) is not a covert choice', () => {
    const code = 'function esc(c){ return c === 48 ? "\\0" : c === 97 ? "\\x07" : c === 32 ? " " : c === 78 ? "\\x85" : c === 95 ? "\\xA0" : c === 76 ? "\\u2028" : c === 80 ? "\\u2029" : "" }';
    expect(findingsOf(code, 'TT004').filter((f) => f.level !== 'note')).toEqual([]);
  });

  it('regular-expression ranges and code-page strings name bidi characters as data', () => {
    const regex = 'const re = new RegExp("([!-\\u2027\\u202A-\\uD7FF])");';
    expect(findingsOf(regex, 'TT004')).toEqual([]);
    const page = Array.from({ length: 40 }, (_, i) => `\\u${(0x5d0 + i).toString(16).padStart(4, '0')}`).join('');
    const codepage = `const cp1255 = { type: "_sbcs", chars: "${page}\\u200E\\u200F" };`;
    expect(findingsOf(codepage, 'TT004').filter((f) => f.level !== 'note')).toEqual([]);
  });

  it('String.raw escapes and named direction marks are not hidden text; a tag payload in prose still is', () => {
    expect(findingsOf('const re = new RegExp(String.raw`[\\u{200B}-\\u{200F}\\u{202A}]`, "u");', 'TT004')).toEqual([]);
    expect(findingsOf('const Dir = { ltr: "\\u200E", rtl: "\\u200F" };', 'TT004').filter((f) => f.level !== 'note')).toEqual([]);
    expect(findingsOf('const p = `Hello${"\\u{E0041}\\u{E0042}"} world \\u202E`;', 'TT004').some((f) => f.level === 'warning')).toBe(true);
  });
});
