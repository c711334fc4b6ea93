/**
 * Structural alignment of two JSON bodies. Arrays are not compared index by
 * index: one tool left out of `tools`, or one message fewer in `messages`,
 * would shift every later element and turn one change into hundreds. Elements
 * are paired by equality first (longest common subsequence), then the rest by
 * content similarity; an element only one side has is one leaf (its whole JSON).
 * Out: the scalar leaves of both sides under shared ids (the reference's JSON
 * pointer for paired places), each with its real pointer. Pure.
 */
import { escapePointerToken } from '../json-pointer.js';

export type Scalar = string | number | boolean | null;

export interface Leaf {
  /** JSON pointer into this side's body. */
  pointer: string;
  value: Scalar;
}

export interface AlignedBodies {
  reference: Map<string, Leaf>;
  variant: Map<string, Leaf>;
}

const MAX_LEAVES = 20_000;
const MAX_DEPTH = 128;
/** Arrays longer than this (on both sides multiplied) are paired by index. */
const MAX_ALIGN_CELLS = 1_000_000;
/** Two elements below this similarity are not the same element changed, but one removed and one added. */
const MIN_SIMILARITY = 0.34;

const isScalar = (v: unknown): v is Scalar => v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** A whole subtree as one leaf value: scalars as they are, the rest as compact JSON. */
const whole = (v: unknown): Scalar => (isScalar(v) ? v : JSON.stringify(v));

/** What names an element across runs (a tool's `name`), so an added element keeps its id wherever it lands. */
function identityOf(v: unknown): string | null {
  if (!isObject(v)) return null;
  for (const k of ['name', 'event_name', 'key', 'tool_name']) if (typeof v[k] === 'string') return `${k}=${v[k] as string}`;
  return null;
}

/** Short descriptors of an element's content, for similarity: its paths, scalar values and the words of its strings. */
function features(v: unknown, prefix = '', out: Set<string> = new Set(), depth = 0): Set<string> {
  if (out.size >= 512 || depth > 16) return out;
  out.add(prefix);
  if (typeof v === 'string') {
    if (v.length <= 48) out.add(`${prefix}=${v}`);
    for (const w of v.split(/\s+/, 128)) if (w) out.add(`${prefix}~${w}`);
  } else if (isScalar(v)) out.add(`${prefix}=${String(v)}`);
  else if (Array.isArray(v)) v.slice(0, 32).forEach((x, i) => features(x, `${prefix}/${i}`, out, depth + 1));
  else if (isObject(v)) for (const [k, x] of Object.entries(v)) features(x, `${prefix}/${k}`, out, depth + 1);
  return out;
}

function similarity(a: unknown, b: unknown): number {
  const ia = identityOf(a);
  const ib = identityOf(b);
  if (ia !== null && ib !== null) return ia === ib ? 1 : 0;
  if (Array.isArray(a) !== Array.isArray(b) || isObject(a) !== isObject(b)) return 0;
  const fa = features(a);
  const fb = features(b);
  if (fa.size === 0 && fb.size === 0) return 1;
  let common = 0;
  for (const x of fa) if (fb.has(x)) common++;
  return common / (fa.size + fb.size - common);
}

/** Pairs elements of two arrays: [referenceIndex, variantIndex][], in order. */
export function alignArrays(ref: readonly unknown[], variant: readonly unknown[], key: (v: unknown) => string): Array<[number, number]> {
  const n = ref.length;
  const m = variant.length;
  if (n === 0 || m === 0) return [];
  if (n * m > MAX_ALIGN_CELLS) return Array.from({ length: Math.min(n, m) }, (_, i) => [i, i] as [number, number]);
  const ka = ref.map(key);
  const kb = variant.map(key);
  // Exact matches: longest common subsequence.
  const lcs: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) lcs[i]![j] = ka[i] === kb[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  }
  const anchors: Array<[number, number]> = [];
  for (let i = 0, j = 0; i < n && j < m; ) {
    if (ka[i] === kb[j]) anchors.push([i++, j++]);
    else if (lcs[i + 1]![j]! >= lcs[i]![j + 1]!) i++;
    else j++;
  }
  // Between anchors: changed elements, paired by similarity (order kept).
  const out: Array<[number, number]> = [];
  let pi = 0;
  let pj = 0;
  for (const [ai, aj] of [...anchors, [n, m] as [number, number]]) {
    out.push(...pairGap(ref, variant, pi, ai, pj, aj));
    if (ai < n) out.push([ai, aj]);
    pi = ai + 1;
    pj = aj + 1;
  }
  return out;
}

function pairGap(ref: readonly unknown[], variant: readonly unknown[], i0: number, i1: number, j0: number, j1: number): Array<[number, number]> {
  const n = i1 - i0;
  const m = j1 - j0;
  if (n === 0 || m === 0) return [];
  // As many changed elements on both sides: the same elements, changed (unless plainly unrelated).
  if (n === m && Array.from({ length: n }, (_, k) => similarity(ref[i0 + k], variant[j0 + k])).every((x) => x > 0.1)) {
    return Array.from({ length: n }, (_, k) => [i0 + k, j0 + k] as [number, number]);
  }
  const sim = Array.from({ length: n }, (_, i) => Array.from({ length: m }, (_, j) => similarity(ref[i0 + i], variant[j0 + j])));
  const gain = (i: number, j: number): number => (sim[i]![j]! >= MIN_SIMILARITY ? sim[i]![j]! : -Infinity);
  const score: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) score[i]![j] = Math.max(gain(i, j) + score[i + 1]![j + 1]!, score[i + 1]![j]!, score[i]![j + 1]!);
  }
  const out: Array<[number, number]> = [];
  for (let i = 0, j = 0; i < n && j < m; ) {
    if (gain(i, j) + score[i + 1]![j + 1]! === score[i]![j] && gain(i, j) > -Infinity) out.push([i0 + i++, j0 + j++]);
    else if (score[i + 1]![j]! >= score[i]![j + 1]!) i++;
    else j++;
  }
  return out;
}

/**
 * Aligns `reference` and `variant` and returns their leaves under shared ids.
 * `key` gives an element's equality key (callers erase ids and run artifacts in it).
 */
export function alignBodies(reference: unknown, variant: unknown, key: (v: unknown) => string): AlignedBodies {
  const out: AlignedBodies = { reference: new Map(), variant: new Map() };
  const put = (side: Map<string, Leaf>, id: string, pointer: string, value: Scalar): void => {
    if (side.size < MAX_LEAVES) side.set(id, { pointer, value });
  };
  const walk = (a: unknown, b: unknown, id: string, pa: string, pb: string, depth: number): void => {
    if (depth > MAX_DEPTH || out.reference.size >= MAX_LEAVES) {
      put(out.reference, id, pa, whole(a));
      put(out.variant, id, pb, whole(b));
      return;
    }
    if (Array.isArray(a) && Array.isArray(b)) {
      const pairs = alignArrays(a, b, key);
      const pairedA = new Set(pairs.map(([i]) => i));
      const pairedB = new Set(pairs.map(([, j]) => j));
      for (const [i, j] of pairs) walk(a[i], b[j], `${id}/${i}`, `${pa}/${i}`, `${pb}/${j}`, depth + 1);
      a.forEach((x, i) => {
        if (!pairedA.has(i)) put(out.reference, `${id}/${i}`, `${pa}/${i}`, whole(x));
      });
      let extra = 0;
      b.forEach((x, j) => {
        if (!pairedB.has(j)) put(out.variant, `${id}/+${identityOf(x) ?? extra++}`, `${pb}/${j}`, whole(x));
      });
      return;
    }
    if (isObject(a) && isObject(b)) {
      for (const [k, x] of Object.entries(a)) {
        const t = escapePointerToken(k);
        if (k in b) walk(x, b[k], `${id}/${t}`, `${pa}/${t}`, `${pb}/${t}`, depth + 1);
        else put(out.reference, `${id}/${t}`, `${pa}/${t}`, whole(x));
      }
      for (const [k, x] of Object.entries(b)) if (!(k in a)) put(out.variant, `${id}/${escapePointerToken(k)}`, `${pb}/${escapePointerToken(k)}`, whole(x));
      return;
    }
    if (isScalar(a) && isScalar(b)) {
      put(out.reference, id, pa, a);
      put(out.variant, id, pb, b);
      return;
    }
    put(out.reference, id, pa, whole(a));
    put(out.variant, id, pb, whole(b));
  };
  walk(reference, variant, '', '', '', 0);
  return out;
}

/** Every scalar leaf of one body, by pointer (for hidden characters present in every run). */
export function bodyLeaves(value: unknown): Map<string, Leaf> {
  const out = new Map<string, Leaf>();
  const walk = (v: unknown, pointer: string, depth: number): void => {
    if (out.size >= MAX_LEAVES) return;
    if (isScalar(v) || depth > MAX_DEPTH) out.set(pointer, { pointer, value: whole(v) });
    else if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${pointer}/${i}`, depth + 1));
    else for (const [k, x] of Object.entries(v as Record<string, unknown>)) walk(x, `${pointer}/${escapePointerToken(k)}`, depth + 1);
  };
  walk(value, '', 0);
  return out;
}
