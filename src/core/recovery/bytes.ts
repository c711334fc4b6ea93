/** Bytes to text the way decoding routines do it, and back. */

const utf8 = new TextDecoder('utf-8');

export interface DecodedText {
  text: string;
  /**
   * True when the bytes were not valid UTF-8 and were read one byte per character (as
   * `String.fromCharCode(b)` does): characters 0x80–0xFF then say "binary", not "accented letter".
   */
  latin1: boolean;
}

const utf16 = new TextDecoder('utf-16le');

/** One character per byte. Widening to UTF-16 and decoding is several times faster than fromCharCode on long inputs. */
export function latin1String(bytes: Uint8Array): string {
  if (bytes.length < 32) {
    let out = '';
    for (let i = 0; i < bytes.length; i++) out += String.fromCharCode(bytes[i]!);
    return out;
  }
  const wide = new Uint16Array(bytes.length);
  wide.set(bytes);
  return utf16.decode(wide);
}

export function bytesToText(bytes: Uint8Array): DecodedText {
  let high = false;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i]! >= 0x80) {
      high = true;
      break;
    }
  }
  if (!high) return { text: latin1String(bytes), latin1: false };
  // Validate first: most candidates here are noise, and a throwing fatal decoder is slow.
  if (isUtf8(bytes)) return { text: utf8.decode(bytes), latin1: false };
  return { text: latin1String(bytes), latin1: true };
}

/** Strict UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF). */
export function isUtf8(b: Uint8Array): boolean {
  const n = b.length;
  let i = 0;
  while (i < n) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    if (c >= 0xc2 && c <= 0xdf) {
      need = 1;
      min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      min = 0x10000;
    } else return false;
    if (i + need >= n) return false;
    let cp = c & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const d = b[i + k]!;
      if ((d & 0xc0) !== 0x80) return false;
      cp = (cp << 6) | (d & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += need + 1;
  }
  return true;
}

/** The code units of `s` as bytes, if every unit fits in a byte (what `charCodeAt(i) ^ k` loops see). */
export function stringToBytes(s: string): Uint8Array | null {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff) return null;
    out[i] = c;
  }
  return out;
}
