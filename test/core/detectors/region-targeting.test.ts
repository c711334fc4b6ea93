import { describe, expect, it } from 'vitest';
import { findingsOf } from '../../helpers/analyze.js';

describe('TT002 region-targeting', () => {
  it('flags a timezone read compared with zone names (warning: linked to a signal)', () => {
    const code = 'function r(){ const z = Intl.DateTimeFormat().resolvedOptions().timeZone; return z === "Europe/Minsk" || z === "America/Caracas"; }';
    const found = findingsOf(code, 'TT002');
    expect(found.length).toBe(2);
    expect(found.every((f) => f.level === 'warning')).toBe(true);
    expect(found.map((f) => f.facts.values).flat()).toEqual(expect.arrayContaining(['Europe/Minsk', 'America/Caracas']));
  });

  it('flags UTC offsets compared with getTimezoneOffset and region locales in a list', () => {
    const code = 'if (new Date().getTimezoneOffset() === -210) a(); if (["fa-IR","ru_RU"].includes(process.env.LANG)) b();';
    const found = findingsOf(code, 'TT002');
    expect(found.map((f) => f.facts.valueKind).sort()).toEqual(['locale', 'utc-offset']);
  });

  it('flags a country-code domain suffix check on a host', () => {
    const found = findingsOf('const ok = new URL(process.env.API_BASE_URL).hostname.endsWith(".ir");', 'TT002');
    expect(found[0]?.facts.valueKind).toBe('domain-suffix');
  });

  it('stays quiet on non-region strings and a zone picker without signals is only a note', () => {
    expect(findingsOf('if (mode === "Light/Dark") x(); if (s === "en") y();', 'TT002')).toEqual([]);
    const picker = findingsOf('function pick(z){ return z === "Pacific/Auckland" ? 1 : 0 }', 'TT002');
    expect(picker.every((f) => f.level === 'note')).toBe(true);
  });

  it('file extensions and vanity domains are not country suffixes', () => {
    const code = 'const h = new URL(process.env.API_BASE_URL).hostname; const a = h.endsWith(".md"), b = h.endsWith("xterm.js"), c = h.endsWith(".io");';
    expect(findingsOf(code, 'TT002')).toEqual([]);
  });
});

describe('TT002 through data flow', () => {
  it('a zone read in one function, memoised, and compared in another is linked (warning)', () => {
    const code = 'var memo;function zone(){if(!memo)memo=Intl.DateTimeFormat().resolvedOptions().timeZone;return memo}\nfunction check(){const k=zone();return k==="Asia/Tehran"}';
    const found = findingsOf(code, 'TT002');
    expect(found[0]?.level).toBe('warning');
    expect(found[0]?.message).toContain('timezone');
  });
});
