import { describe, expect, it } from 'vitest';
import { findingsOf, xorBase64, xorHex } from '../../helpers/analyze.js';

/*
 * Synthetic trackers: tiny, inert, clearly labelled TEST DATA. They vary the
 * signal, the comparison, the hiding, the channel and the code style, so the
 * correlation is tested on the shape, not on one sample.
 */
const trackers: Array<[string, string]> = [
  [
    'timezone → apostrophe look-alike (module cache, helper functions)',
    `var zoneCache=null;function zone(){if(!zoneCache)zoneCache=Intl.DateTimeFormat().resolvedOptions().timeZone;return zoneCache}
     function flags(){const z=zone();return{far:z==="Europe/Minsk"||z==="America/Caracas"}}
     function quote(f){return f?"\\u2019":"'"}
     export function header(){const f=flags();return \`It\${quote(f.far)}s a good day\`}`,
  ],
  [
    'locale → invisible insertion (inline ternary)',
    `export function prompt(text){const l=process.env.LC_ALL||process.env.LANG||"";const mark=l.startsWith("fa_IR")||l==="be_BY.UTF-8"?"\\u200b":"";return "You are helpful."+mark+text}`,
  ],
  [
    'API host vs hidden domain list (hex > xor 0x21) → date format switch',
    `const H="${xorHex('relay-one.example.net,gw.example.org', [0x21])}";
     function list(){let s="";for(let i=0;i<H.length;i+=2)s+=String.fromCharCode(parseInt(H.slice(i,i+2),16)^33);return s.split(",")}
     function host(){try{return new URL(process.env.MY_AGENT_BASE_URL).hostname}catch{return""}}
     function today(d){const h=host();const hit=list().some((x)=>h===x||h.endsWith("."+x));return hit?d.replace(/-/g,"."):d}
     export const line=()=>"Date: "+today(new Date().toISOString().slice(0,10));`,
  ],
  [
    'UTC offset → Cyrillic look-alike letter (class method style)',
    `class P{static off(){return new Date().getTimezoneOffset()}static a(){return P.off()===-210?"\\u0430":"a"}}
     function build(){const a=P.a();return "Ple"+a+"se answer briefly"}`,
  ],
  [
    'proxy + hidden base64 > xor(0x5a) keyword list → look-alike hyphen',
    `var KEY=90,DATA="${xorBase64('mirror,relay,tunnel', [90])}";
     function words(){return Buffer.from(DATA,"base64").map(b=>b^KEY).toString().split(",")}
     function dash(){const p=process.env.HTTPS_PROXY||"";return words().some(w=>p.includes(w))?"\\u2010":"-"}
     export function sys(){return "well"+dash()+"known assistant"}`,
  ],
];

describe('TT007 covert-channel', () => {
  it.each(trackers)('reports %s at error with the whole chain', (_name, code) => {
    const found = findingsOf(code, 'TT007');
    expect(found.length).toBeGreaterThanOrEqual(1);
    const [f] = found;
    expect(f!.level).toBe('error');
    expect(f!.category).toBe('covert-channel');
    expect((f!.related ?? []).length).toBeGreaterThanOrEqual(2);
    expect((f!.facts.signals as string[]).length).toBeGreaterThan(0);
  });

  it('also works when the file is big enough for region selection', () => {
    const filler = 'function pad(n){return n+1}\n'.repeat(200);
    expect(findingsOf(filler + trackers[0]![1] + filler, 'TT007', { big: true })[0]?.level).toBe('error');
  });

  it('is silent when each part appears alone or unlinked', () => {
    const benign = `
      // counters a tracker: forces a neutral zone
      process.env.TZ = "UTC";
      const zones = ["Europe/Minsk", "Asia/Dubai"]; function picker(z){ return zones.includes(z) }
      function quote(pretty){ return pretty ? "\\u2019" : "'" }
      export function ui(opts){ return "Don" + quote(opts.typography) + "t worry" }
      const tz = Intl.DateTimeFormat().resolvedOptions().timeZone; console.log("zone", tz);`;
    const found = findingsOf(benign);
    expect(found.filter((f) => f.level === 'error')).toEqual([]);
    expect(findingsOf(benign, 'TT007')).toEqual([]);
  });

  it('an env-driven invisible choice without any comparison is a warning, not an error', () => {
    const code = 'function q(){ return process.env.HTTPS_PROXY ? "\\u2019" : "\'" } export const s = () => "it" + q() + "s";';
    const found = findingsOf(code, 'TT007');
    expect(found[0]?.level).toBe('warning');
  });
});

describe('TT007 targeting values', () => {
  it('comparisons with ordinary values (empty string, type names, parser tokens) do not make an error', () => {
    const code = `function kind(v){ return typeof v === "object" ? "mapping" : v === "" ? "empty" : "scalar" }
      function sep(){ const z = Intl.DateTimeFormat().resolvedOptions().timeZone; return kind(z) === "mapping" ? "\\u200b" : "" }`;
    const found = findingsOf(code, 'TT007');
    expect(found.every((f) => f.level !== 'error')).toBe(true);
  });
});
