/**
 * Structured payloads: host names with a real top-level domain, IANA time-zone names, URLs,
 * and word-like list items. Validation uses runtime data where it exists (the time-zone
 * database and ISO 3166 region codes from Intl), so the lists are not a hand-made guess.
 */

/**
 * Generic top-level domains common in software. Country-code TLDs are not listed: any two
 * letters that Intl knows as a region code count (see isTld).
 */
const GENERIC_TLDS = new Set(
  (
    'com net org edu gov mil int info biz name pro aero coop museum mobi asia tel travel jobs ' +
    'app dev cloud tech online site top xyz club shop store blog news live life world space website ' +
    'link click fun icu vip work ltd group global company network services solutions systems digital ' +
    'media email today center agency studio design software codes tools zone one wiki page run chat ' +
    'bot build ai io co me tv cc ly gg sh so eu localhost local internal test example invalid arpa'
  ).split(' '),
);

const regionNames = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'code' });
const ccTldCache = new Map<string, boolean>();

function isCountryCode(tld: string): boolean {
  let v = ccTldCache.get(tld);
  if (v === undefined) {
    const upper = tld.toUpperCase();
    // ZZ is "Unknown Region" and the X… codes are private-use in ISO 3166: neither is a TLD.
    v = upper !== 'ZZ' && upper[0] !== 'X' && regionNames.of(upper) !== upper;
    ccTldCache.set(tld, v);
  }
  return v;
}

/** A TLD from the generic list (not a two-letter country code). */
export function isGenericTld(label: string): boolean {
  return GENERIC_TLDS.has(label.toLowerCase());
}

export function isTld(label: string): boolean {
  const lower = label.toLowerCase();
  if (GENERIC_TLDS.has(lower)) return true;
  return lower.length === 2 && isAlpha(lower) && isCountryCode(lower);
}

function isAlpha(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i) | 0x20;
    if (c < 97 || c > 122) return false;
  }
  return s.length > 0;
}

function isLabel(s: string): boolean {
  const n = s.length;
  if (n === 0 || n > 63) return false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    const alnum = (c >= 48 && c <= 57) || ((c | 0x20) >= 97 && (c | 0x20) <= 122);
    if (alnum) continue;
    // Hyphen inside a label; underscore appears in service records and some real hosts.
    if ((c === 45 || c === 95) && i > 0 && i < n - 1) continue;
    return false;
  }
  return true;
}

/**
 * A host name or domain suffix: `example.com`, `api.example.co.uk`, `*.example.com`,
 * `.example.cn`, `.cn`, optionally with `:port`. The last label must be a real TLD and the
 * whole name lower case (code compares lower-cased hosts).
 */
export function isHostName(item: string): boolean {
  if (item.length < 3 || item.length > 253) return false;
  let s = item;
  const colon = s.lastIndexOf(':');
  if (colon > 0) {
    const port = s.slice(colon + 1);
    if (!/^\d{1,5}$/.test(port)) return false;
    s = s.slice(0, colon);
  }
  if (s.startsWith('*.')) s = s.slice(2);
  else if (s.startsWith('.')) {
    s = s.slice(1);
    if (!s.includes('.')) return isTld(s) && s === s.toLowerCase();
  }
  if (s !== s.toLowerCase()) return false;
  const labels = s.split('.');
  if (labels.length < 2) return s === 'localhost';
  const tld = labels[labels.length - 1]!;
  if (!isTld(tld)) return false;
  for (const l of labels) if (!isLabel(l)) return false;
  return true;
}

function isIpv4(s: string): boolean {
  const parts = s.split('.');
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}

/** An absolute http(s)/ws(s) URL whose host is a real host name or IPv4 address. */
export function isUrl(item: string): boolean {
  const m = /^(?:https?|wss?):\/\/([^/?#\s]+)([/?#][^\s]*)?$/i.exec(item);
  if (!m) return false;
  let host = m[1]!;
  const at = host.lastIndexOf('@');
  if (at >= 0) host = host.slice(at + 1);
  const hostOnly = host.replace(/:\d{1,5}$/, '');
  return isHostName(host.toLowerCase()) || isIpv4(hostOnly) || hostOnly === '[::1]';
}

let zones: Set<string> | null = null;
const aliasCache = new Map<string, boolean>();

/**
 * An IANA time-zone name: canonical names from Intl.supportedValuesOf, and aliases
 * (`Asia/Calcutta`, `US/Pacific`) that the runtime's time-zone database accepts.
 */
export function isTimeZone(item: string): boolean {
  zones ??= new Set(Intl.supportedValuesOf('timeZone'));
  if (zones.has(item)) return true;
  if (!/^[A-Z][A-Za-z]+(?:\/[A-Za-z][A-Za-z0-9_+-]*){1,2}$/.test(item) && item !== 'UTC' && item !== 'GMT') return false;
  let v = aliasCache.get(item);
  if (v === undefined) {
    try {
      new Intl.DateTimeFormat('en', { timeZone: item });
      v = true;
    } catch {
      v = false;
    }
    // Bounded: an adversarial bundle must not grow this cache without limit.
    if (aliasCache.size < 4096) aliasCache.set(item, v);
  }
  return v;
}

/** A short word or identifier-like phrase: a list item such as a product name, `HTTPS_PROXY` or `zh-CN`. */
export function isWordItem(item: string): boolean {
  return item.length > 0 && item.length <= 64 && /^[\p{L}\p{N}][\p{L}\p{M}\p{N} ._\-/@+&']*$/u.test(item);
}

export interface Split {
  items: string[];
  separator: string;
}

/**
 * Splits a list on its most frequent separator among `,` `|` `;` and newlines, or on spaces
 * when none of those occur; no separator at all is a one-item list. Items are trimmed; empty
 * items (trailing separators) dropped.
 */
export function splitList(text: string): Split | null {
  let comma = 0;
  let bar = 0;
  let semi = 0;
  let nl = 0;
  let space = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 44) comma++;
    else if (c === 124) bar++;
    else if (c === 59) semi++;
    else if (c === 10) nl++;
    else if (c === 32) space++;
  }
  const max = Math.max(comma, bar, semi, nl);
  let sep: string;
  if (max === 0) {
    if (space === 0) return { items: [text], separator: '' };
    sep = ' ';
  } else sep = max === nl ? '\n' : max === comma ? ',' : max === bar ? '|' : ';';
  const items: string[] = [];
  for (const raw of text.split(sep)) {
    const t = raw.trim();
    if (t.length > 0) items.push(t);
  }
  return items.length > 0 ? { items, separator: sep } : null;
}
