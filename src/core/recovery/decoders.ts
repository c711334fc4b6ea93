/**
 * Reversible text encodings that hide strings from a text search: base64, hex, escape
 * sequences, character-code lists, reversal, ROT13. Each decoder is strict, so that ordinary
 * strings which merely share an alphabet (identifiers, numbers) are rejected early.
 */

const B64_STD = new Int8Array(128).fill(-1);
const B64_URL = new Int8Array(128).fill(-1);
{
  const core = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  for (let i = 0; i < 62; i++) {
    B64_STD[core.charCodeAt(i)] = i;
    B64_URL[core.charCodeAt(i)] = i;
  }
  B64_STD[43] = 62; // +
  B64_STD[47] = 63; // /
  B64_URL[45] = 62; // -
  B64_URL[95] = 63; // _
}

export type Base64Variant = 'base64' | 'base64url';

/**
 * Which base64 alphabet `s` is written in, if it is strictly valid base64: one alphabet (not a
 * mix of `+/` and `-_`), `=` only as final padding of a length that is a multiple of 4, no
 * impossible length, and zero unused bits in the last character (canonical encoders always
 * write zeros, while random identifiers of the same alphabet usually do not).
 */
export function base64Variant(s: string): Base64Variant | null {
  let n = s.length;
  if (n < 4) return null;
  let pad = 0;
  while (n > 0 && s.charCodeAt(n - 1) === 61) {
    n--;
    pad++;
  }
  if (pad > 2 || (pad > 0 && s.length % 4 !== 0)) return null;
  const rem = n % 4;
  if (rem === 1) return null;
  let std = false;
  let url = false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128) return null;
    if (B64_STD[c]! < 0) {
      if (B64_URL[c]! < 0) return null;
      url = true;
    } else if (B64_URL[c]! < 0) std = true;
  }
  if (std && url) return null;
  if (rem !== 0) {
    const last = (url ? B64_URL : B64_STD)[s.charCodeAt(n - 1)]!;
    if ((rem === 2 && (last & 0x0f) !== 0) || (rem === 3 && (last & 0x03) !== 0)) return null;
  }
  return url ? 'base64url' : 'base64';
}

/** Decodes base64 already validated by base64Variant (padding optional). */
export function decodeBase64(s: string, variant: Base64Variant): Uint8Array {
  const table = variant === 'base64url' ? B64_URL : B64_STD;
  let n = s.length;
  while (n > 0 && s.charCodeAt(n - 1) === 61) n--;
  const outLen = Math.floor((n * 3) / 4);
  const out = new Uint8Array(outLen);
  let o = 0;
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < n && o < outLen; i++) {
    acc = (acc << 6) | table[s.charCodeAt(i)]!;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** True if `s` is an even-length run of hex digits in one letter case (at least 4 bytes). */
export function isHex(s: string): boolean {
  const n = s.length;
  if (n < 8 || n % 2 !== 0) return false;
  let lower = false;
  let upper = false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 97 && c <= 102) lower = true;
    else if (c >= 65 && c <= 70) upper = true;
    else if (c < 48 || c > 57) return false;
  }
  return !(lower && upper);
}

export function decodeHex(s: string): Uint8Array {
  const outLen = s.length >> 1;
  const out = new Uint8Array(outLen);
  for (let i = 0; i < outLen; i++) out[i] = (hexValue(s.charCodeAt(2 * i)) << 4) | hexValue(s.charCodeAt(2 * i + 1));
  return out;
}

/**
 * Escape sequences written out as text (`\x41`, `\u0041`, `\u{41}`, `%41`) when they make up
 * nearly the whole string: a fully escaped string hides its content, while a URL with a `%20`
 * does not. Returns the code units (UTF-16) or, for `%` escapes, the bytes.
 */
export function decodeEscapes(s: string): { text?: string; bytes?: Uint8Array; name: string } | null {
  const n = s.length;
  if (n < 8) return null;
  const first = s.charCodeAt(0);
  if (first === 37) return decodePercent(s);
  if (first !== 92) return null;
  const units: number[] = [];
  let escaped = 0;
  let i = 0;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c === 92 && i + 1 < n) {
      const t = s.charCodeAt(i + 1);
      if (t === 120 && i + 3 < n) {
        const v = (hexValue(s.charCodeAt(i + 2)) << 4) | hexValue(s.charCodeAt(i + 3));
        if (hexValue(s.charCodeAt(i + 2)) < 0 || hexValue(s.charCodeAt(i + 3)) < 0) return null;
        units.push(v);
        escaped += 4;
        i += 4;
        continue;
      }
      if (t === 117) {
        let j = i + 2;
        let v = 0;
        let digits = 0;
        const braced = s.charCodeAt(j) === 123;
        if (braced) j++;
        while (j < n && digits < (braced ? 6 : 4) && hexValue(s.charCodeAt(j)) >= 0) {
          v = v * 16 + hexValue(s.charCodeAt(j));
          j++;
          digits++;
        }
        if (braced) {
          if (s.charCodeAt(j) !== 125 || digits === 0 || v > 0x10ffff) return null;
          j++;
        } else if (digits !== 4) return null;
        if (v > 0xffff) {
          units.push(0xd800 + ((v - 0x10000) >> 10), 0xdc00 + ((v - 0x10000) & 0x3ff));
        } else units.push(v);
        escaped += j - i;
        i = j;
        continue;
      }
    }
    units.push(c);
    i++;
  }
  if (escaped < n * 0.9) return null;
  let text = '';
  for (let k = 0; k < units.length; k += 4096) text += String.fromCharCode(...units.slice(k, k + 4096));
  return { text, name: 'escapes' };
}

function decodePercent(s: string): { bytes: Uint8Array; name: string } | null {
  const n = s.length;
  const out: number[] = [];
  let escaped = 0;
  let i = 0;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c === 37) {
      const hi = i + 2 < n ? hexValue(s.charCodeAt(i + 1)) : -1;
      const lo = i + 2 < n ? hexValue(s.charCodeAt(i + 2)) : -1;
      if (hi < 0 || lo < 0) return null;
      out.push((hi << 4) | lo);
      escaped += 3;
      i += 3;
      continue;
    }
    if (c >= 128) return null;
    out.push(c);
    i++;
  }
  if (escaped < n * 0.9) return null;
  return { bytes: Uint8Array.from(out), name: 'percent' };
}

/**
 * A list of character codes written as text: `104,101,108,108,111`, `0x68 0x65 …`, with one
 * kind of separator. Codes above 255 are UTF-16 code units (returned as text).
 */
export function decodeCharCodeList(s: string): { text?: string; bytes?: Uint8Array } | null {
  const n = s.length;
  if (n < 7) return null;
  const c0 = s.charCodeAt(0);
  if (c0 < 48 || c0 > 57) return null;
  const values: number[] = [];
  let i = 0;
  let sep = -1;
  let max = 0;
  while (i < n) {
    let v = 0;
    let digits = 0;
    if (s.charCodeAt(i) === 48 && (s.charCodeAt(i + 1) | 0x20) === 120) {
      i += 2;
      while (i < n && hexValue(s.charCodeAt(i)) >= 0 && digits < 6) {
        v = v * 16 + hexValue(s.charCodeAt(i++));
        digits++;
      }
    } else {
      while (i < n && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57 && digits < 6) {
        v = v * 10 + (s.charCodeAt(i++) - 48);
        digits++;
      }
    }
    if (digits === 0 || v > 0xffff) return null;
    values.push(v);
    if (v > max) max = v;
    if (i >= n) break;
    // Separator: one of , ; space, optionally followed by spaces; the same throughout.
    const c = s.charCodeAt(i);
    if (c !== 44 && c !== 59 && c !== 32) return null;
    if (sep < 0) sep = c;
    else if (c !== sep) return null;
    i++;
    while (i < n && s.charCodeAt(i) === 32) i++;
  }
  if (values.length < 4) return null;
  if (max < 256) return { bytes: Uint8Array.from(values) };
  let text = '';
  for (let k = 0; k < values.length; k += 4096) text += String.fromCharCode(...values.slice(k, k + 4096));
  return { text };
}

export function reverseString(s: string): string {
  // Code-unit reversal, as `s.split("").reverse().join("")` in the decoding code does.
  const n = s.length;
  const units = new Uint16Array(n);
  for (let i = 0; i < n; i++) units[n - 1 - i] = s.charCodeAt(i);
  let out = '';
  for (let i = 0; i < n; i += 4096) out += String.fromCharCode.apply(null, units.subarray(i, i + 4096) as unknown as number[]);
  return out;
}

export function rot13(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 65 && c <= 90) out += String.fromCharCode(((c - 65 + 13) % 26) + 65);
    else if (c >= 97 && c <= 122) out += String.fromCharCode(((c - 97 + 13) % 26) + 97);
    else out += s[i];
  }
  return out;
}
