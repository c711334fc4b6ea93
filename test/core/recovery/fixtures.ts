/**
 * INERT TEST DATA. Every encoded fixture in these tests is generated here, at run time, from
 * plain text chosen below (made-up and documentation host names, time zones from the runtime,
 * ordinary words). Nothing here is taken from, or decodes to, any real tracker's payload.
 */

/** Deterministic PRNG (mulberry32) so property tests are reproducible. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
export const int = (r: () => number, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));

const LABELS = [
  'example', 'acme', 'widget', 'contoso', 'northwind', 'fabrikam', 'globex', 'initech', 'hooli',
  'umbrella', 'stark', 'wayne', 'tyrell', 'cyberdyne', 'soylent', 'wonka', 'vandelay', 'gringotts',
  'api', 'cdn', 'static', 'models', 'inference', 'chat', 'gateway', 'cloud', 'labs', 'open',
];
const TLDS = ['com', 'net', 'org', 'io', 'ai', 'dev', 'cn', 'de', 'jp', 'co.uk', 'com.cn'];
const WORDS = [
  'alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'harbor', 'lantern', 'meadow', 'orchid',
  'quartz', 'raven', 'saffron', 'timber', 'velvet', 'willow', 'zephyr', 'copper', 'ember', 'falcon',
];
const SENTENCES = [
  'The quick brown fox jumps over the lazy dog near the river bank.',
  'Please check your network connection and try again in a few minutes.',
  'Configuration files are read from the home directory at startup.',
  'A small library for reading and writing archive files safely.',
];

export function domainList(r: () => number, n = int(r, 2, 8)): string {
  const out = new Set<string>();
  while (out.size < n) {
    const sub = r() < 0.3 ? pick(r, LABELS) + '.' : '';
    out.add(sub + pick(r, LABELS) + '.' + pick(r, TLDS));
  }
  return [...out].join(pick(r, [',', ',', '|', '\n', ';']));
}

export function timezoneList(r: () => number, n = int(r, 2, 6)): string {
  const zones = Intl.supportedValuesOf('timeZone').filter((z) => z.includes('/'));
  const out = new Set<string>();
  while (out.size < n) out.add(pick(r, zones));
  return [...out].join(pick(r, [',', '|', '\n']));
}

export function keywordList(r: () => number, n = int(r, 3, 8)): string {
  const out = new Set<string>();
  while (out.size < n) out.add(pick(r, WORDS));
  return [...out].join(pick(r, [',', '|', ';', '\n']));
}

export function url(r: () => number): string {
  return `https://${pick(r, LABELS)}.${pick(r, TLDS)}/${pick(r, ['v1', 'api', 'collect', 'events'])}/${pick(r, WORDS)}?id=${int(r, 1, 9999)}`;
}

export function sentence(r: () => number): string {
  return pick(r, SENTENCES);
}

export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

export function xor(bytes: Uint8Array, key: readonly number[]): Uint8Array {
  return bytes.map((b, i) => b ^ key[i % key.length]!);
}

export function base64(bytes: Uint8Array, urlSafe = false): string {
  const s = Buffer.from(bytes).toString('base64');
  return urlSafe ? s.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '') : s;
}

export function hex(bytes: Uint8Array, upper = false): string {
  const s = Buffer.from(bytes).toString('hex');
  return upper ? s.toUpperCase() : s;
}

export const reverse = (s: string): string => s.split('').reverse().join('');

/** Bytes as the characters `String.fromCharCode(b)` gives (what a decode loop builds). */
export const chars = (bytes: Uint8Array): string => String.fromCharCode(...bytes);

export function randomBytes(r: () => number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(r() * 256);
  return out;
}

/** A non-zero key of `len` random bytes. */
export function randomKey(r: () => number, len: number): number[] {
  return Array.from({ length: len }, () => int(r, 1, 255));
}

/** The start of a PNG file followed by deflate-like noise. */
export function pngLike(r: () => number, n: number): Uint8Array {
  const head = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52];
  const out = randomBytes(r, n);
  out.set(head);
  return out;
}
