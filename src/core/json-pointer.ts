/** JSON pointers (RFC 6901) over parsed JSON values. Pure. */

export function escapePointerToken(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

export interface StringLeaf {
  pointer: string;
  value: string;
}

/** Every string value (and object key containing non-ASCII) in a JSON value, with its pointer. */
export function jsonStringLeaves(value: unknown, pointer = '', out: StringLeaf[] = [], depth = 0): StringLeaf[] {
  if (depth > 256) return out;
  if (typeof value === 'string') out.push({ pointer, value });
  else if (Array.isArray(value)) value.forEach((v, i) => jsonStringLeaves(v, `${pointer}/${i}`, out, depth + 1));
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) jsonStringLeaves(v, `${pointer}/${escapePointerToken(k)}`, out, depth + 1);
  }
  return out;
}
