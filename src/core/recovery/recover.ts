/**
 * The search for a hidden string: a small breadth-first tree of decodings (outermost first),
 * each result scored as text, bounded by depth and by a fixed number of decode attempts per
 * literal. Long literals (embedded images, wasm, fonts) are judged from a decoded sample of
 * their head and tail first; only a sample that decodes to text earns a full decode.
 */
import type { PayloadKind, RecoveredString, RecoveryHints } from './types.js';
import { bytesToText, stringToBytes } from './bytes.js';
import {
  base64Variant,
  decodeBase64,
  decodeCharCodeList,
  decodeEscapes,
  decodeHex,
  isHex,
  reverseString,
  rot13,
  type Base64Variant,
} from './decoders.js';
import { REPORT_THRESHOLD, language, scoreDecoded, type TextScore } from './score.js';
import { bigramStats } from './text-model.js';
import { isGenericTld } from './structure.js';
import {
  formatXorKey,
  histogram,
  likelyKeyLengths,
  MAX_KEY_LENGTH,
  rankSingleByteKeys,
  smallestPeriod,
  solveRepeatingKey,
  xorBytes,
} from './xor.js';

/** Decode attempts (children created) per literal: bounds the tree whatever the input. */
export const MAX_ATTEMPTS = 48;
/** Literals longer than this are probed on a head and a tail sample first. */
export const PROBE_CHARS = 2048;
/** A probe candidate this good earns a full decode of the literal. */
const PROBE_THRESHOLD = 0.4;
/** How many single-byte keys per node get a full decode and score. */
const XOR_KEYS_PER_NODE = 3;
/** Hinted multi-byte keys tried per node, at most. */
const MAX_HINTED_KEYS = 8;
/** Multi-byte XOR needs this many bytes per key column before its statistics mean anything. */
const MIN_COLUMN = 6;
/** Bytes a multi-byte key length is guessed from and fitted on: enough for the statistics, bounded for the cost. */
const ATTACK_SAMPLE = 512;
/** Bytes single-byte keys are ranked on. */
const RANK_SAMPLE = 512;
/** A decoding must score this much better than the literal itself. */
const MIN_GAIN = 0.1;
/** Reversal and ROT13 keep the characters: a result must read much better to count ("level" reversed is "level"). */
const MIN_GAIN_TEXTUAL = 0.3;
/** Whole-text evaluations per literal for fitting multi-byte keys (each is one decode and score of ≤ ATTACK_SAMPLE bytes). */
const MAX_KEY_FITS = 600;
/** A single-byte XOR result this good makes the multi-byte attack pointless. */
const CONVINCING = 0.75;
/** Hinted keys come from the code's own decode routine: prefer them when scores are close. */
const HINT_BONUS = 0.03;

type Step =
  | { op: 'base64'; variant: Base64Variant }
  | { op: 'hex' }
  | { op: 'escapes' }
  | { op: 'charcodes' }
  | { op: 'reverse' }
  | { op: 'rot13' }
  | { op: 'xor'; key: number[]; hinted: boolean };

/** Decoders whose output is bytes: evidence of an encoding by themselves, and input for XOR. */
const BYTE_DECODERS: ReadonlySet<Step['op']> = new Set(['base64', 'hex', 'escapes', 'charcodes']);

interface Node {
  text: string;
  /** Text read one byte per character from invalid UTF-8. */
  latin1: boolean;
  /** The bytes behind `text` when a decoder produced bytes; XOR then works on these. */
  bytes: Uint8Array | null;
  steps: Step[];
  labels: string[];
  score: TextScore;
  /** The score weighed by how much searching found it (see evidence()). */
  value: number;
}

interface Search {
  hints: number[][];
  maxDepth: number;
  attempts: number;
  /** Whole-text evaluations left for fitting multi-byte keys in this literal. */
  fitsLeft: number;
  /** The root came as bytes (recoverBytes): XOR applies to it directly. */
  rootIsBytes: boolean;
  out: Node[];
}

function label(step: Step): string {
  switch (step.op) {
    case 'base64':
      return step.variant;
    case 'xor':
      return formatXorKey(step.key);
    default:
      return step.op;
  }
}

const clamp01 = (x: number) => (x < 0 ? 0 : x > 1 ? 1 : x);
const STRUCTURED: ReadonlySet<PayloadKind> = new Set(['domain-list', 'timezone-list', 'url']);

/**
 * How far to trust a score given the search behind it. A deterministic decoder (base64, hex)
 * tries one hypothesis; an XOR brute force tries 255 and a multi-byte attack fits a key to the
 * data, so short or unstructured results from them are likely coincidences. Structured results
 * (a valid host with a real TLD, a time-zone name) are hard to hit by chance and keep their score.
 */
function evidence(steps: readonly Step[], score: TextScore, n: number): number {
  const kind = score.kind;
  const structured = STRUCTURED.has(kind);
  let f = 1;
  let textual = true;
  for (const st of steps) {
    if (st.op !== 'reverse' && st.op !== 'rot13') textual = false;
    if (st.op !== 'xor' || st.hinted) continue;
    if (st.key.length === 1) {
      if (!structured) f *= clamp01((n - 4) / 10);
    } else {
      const perColumn = n / st.key.length;
      f *= structured ? clamp01((perColumn - 3) / 3) : clamp01((perColumn - 5) / 5);
    }
  }
  // Reversal and ROT13 map short dotted names onto other host-like strings (`.pnp.js` is
  // `.cac.wf`, `az.namespace` is `ecapseman.za`): a single host needs a generic TLD.
  if (textual && steps.length > 0) {
    if (!structured) f *= clamp01((n - 12) / 12);
    else {
      f *= clamp01((n - 6) / 6);
      const items = score.items ?? [];
      if (kind === 'domain-list' && items.length < 2 && !items.every((it) => isGenericTld(it.slice(it.lastIndexOf('.') + 1)))) f *= 0.5;
    }
  }
  return f;
}

function textNode(parent: Node | null, step: Step | null, text: string, latin1: boolean, bytes: Uint8Array | null): Node {
  const steps = parent ? [...parent.steps] : [];
  const labels = parent ? [...parent.labels] : [];
  if (step) {
    steps.push(step);
    labels.push(label(step));
  }
  const score = scoreDecoded(text, latin1);
  const value = score.score * evidence(steps, score, text.length);
  return { text, latin1, bytes, steps, labels, score, value };
}

function bytesNode(parent: Node | null, step: Step | null, bytes: Uint8Array): Node {
  const t = bytesToText(bytes);
  return textNode(parent, step, t.text, t.latin1, bytes);
}

/** Applies one step; null when the step does not apply to this node. Used by the search and to replay a probe's chain. */
function apply(node: Node, step: Step): Node | null {
  switch (step.op) {
    case 'base64': {
      if (base64Variant(node.text) !== step.variant) return null;
      return bytesNode(node, step, decodeBase64(node.text, step.variant));
    }
    case 'hex':
      return isHex(node.text) ? bytesNode(node, step, decodeHex(node.text)) : null;
    case 'escapes': {
      const r = decodeEscapes(node.text);
      if (!r) return null;
      const child = r.bytes ? bytesNode(node, step, r.bytes) : textNode(node, step, r.text ?? '', false, null);
      // `escapes` covers `\x`/`\u` and `%` forms: the label says which one was found.
      child.labels[child.labels.length - 1] = r.name;
      return child;
    }
    case 'charcodes': {
      const r = decodeCharCodeList(node.text);
      if (!r) return null;
      return r.bytes ? bytesNode(node, step, r.bytes) : textNode(node, step, r.text ?? '', false, null);
    }
    case 'reverse':
      return mustReadBetter(node, textNode(node, step, reverseString(node.text), node.latin1, null));
    case 'rot13':
      return mustReadBetter(node, textNode(node, step, rot13(node.text), node.latin1, null));
    case 'xor': {
      const b = node.bytes ?? stringToBytes(node.text);
      if (!b) return null;
      const child = bytesNode(node, step, xorBytes(b, step.key));
      // XOR straight on a literal's characters (no decoder before it) must also beat what the
      // literal already says: `\0NAME\0` XOR 0x20 is " name ", which was readable before.
      return node.bytes ? child : mustReadBetter(node, child);
    }
  }
}

/**
 * A transformation that keeps most characters (reversal, ROT13, XOR of a readable literal) is
 * only believable if the result reads better than its input: reversed `db.sql.table` is a
 * "host" under the `.bd` TLD, but it reads worse, not better.
 */
function mustReadBetter(parent: Node, child: Node): Node {
  // The factor only lowers a value: noise stays noise without measuring it.
  if (child.value < 0.25) return child;
  const gain = language(child.text) - language(parent.text);
  child.value *= clamp01(0.5 + 2 * gain);
  return child;
}

function record(s: Search, child: Node | null, queue: Node[]): void {
  if (!child) return;
  s.attempts++;
  s.out.push(child);
  queue.push(child);
}

function letterShare(text: string): number {
  let letters = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i) | 0x20;
    if (c >= 97 && c <= 122) letters++;
  }
  return text.length > 0 ? letters / text.length : 0;
}

/**
 * Characters no text literal would hold: C0/C1 controls other than tab and newlines, or mostly
 * Latin-1 high characters. XOR output kept as a raw string looks like this; printable literals
 * are never XOR-searched (every printable string has printable XOR variants, so a search would
 * only find coincidences).
 */
function binaryish(text: string): boolean {
  let high = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0xff) return false;
    if ((c < 32 && c !== 9 && c !== 10 && c !== 13) || (c >= 0x7f && c < 0xa0)) return true;
    if (c >= 0xa0) high++;
  }
  return high >= text.length * 0.3;
}

function allPrintableAscii(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b > 126 || (b < 32 && b !== 9 && b !== 10 && b !== 13)) return false;
  }
  return true;
}

function expand(s: Search, node: Node, queue: Node[]): void {
  const last = node.steps[node.steps.length - 1];
  const text = node.text;
  // Text-level decoders. Each checks its own alphabet, so this costs one pass when nothing applies.
  const variant = base64Variant(text);
  const hex = isHex(text);
  if (hex) record(s, apply(node, { op: 'hex' }), queue);
  if (variant) record(s, apply(node, { op: 'base64', variant }), queue);
  const first = text.charCodeAt(0);
  if (first === 92 || first === 37) record(s, apply(node, { op: 'escapes' }), queue);
  if (first >= 48 && first <= 57 && !hex && !variant) record(s, apply(node, { op: 'charcodes' }), queue);
  if (last?.op !== 'reverse' && last?.op !== 'rot13') {
    const rev = apply(node, { op: 'reverse' });
    // A reversal is worth keeping if it reads better or if it unlocks another decoder (`reverse > base64`).
    if (rev && (rev.value > node.value || base64Variant(rev.text) || isHex(rev.text))) {
      record(s, rev, queue);
    }
    // ROT13 moves letters only: worth a try on letter text, never on XOR output or inside an XOR search.
    if (!variant && !hex && last?.op !== 'xor' && !binaryish(text) && letterShare(text) >= 0.5) {
      const r13 = apply(node, { op: 'rot13' });
      if (r13 && r13.value > node.value) record(s, r13, queue);
    }
  }
  // XOR: on bytes a decoder produced, or on binary-looking characters; once per chain (a second
  // XOR, even with a reversal between, is just another key for the first).
  if (variant || hex || node.steps.some((st) => st.op === 'xor')) return;
  if (!(node.bytes && last && BYTE_DECODERS.has(last.op)) && !s.rootIsBytes && !binaryish(text)) return;
  const bytes = node.bytes ?? stringToBytes(text);
  if (!bytes || bytes.length < 4) return;
  // Single-byte keys: the few that leave text-like bytes, cheapest first; hinted keys among
  // them are tried whatever their rank (a bundle may hint dozens of `^` constants, most of
  // which turn this literal into binary and are dropped by the same filter).
  const sampleLen = Math.min(bytes.length, RANK_SAMPLE);
  const hist = histogram(bytes.length > RANK_SAMPLE ? bytes.subarray(0, RANK_SAMPLE) : bytes);
  const singleHints = new Set(s.hints.filter((k) => k.length === 1).map((k) => k[0]!));
  const ranked = rankSingleByteKeys(hist, sampleLen, 0.05, 255);
  const chosen = ranked.filter((g, i) => i < XOR_KEYS_PER_NODE || singleHints.has(g.key));
  let bestSingle = 0;
  for (const g of chosen) {
    if (s.attempts >= MAX_ATTEMPTS) return;
    const child = apply(node, { op: 'xor', key: [g.key], hinted: singleHints.has(g.key) });
    record(s, child, queue);
    if (child) bestSingle = Math.max(bestSingle, child.value);
  }
  const multiHints = s.hints.filter((k) => k.length > 1).slice(0, MAX_HINTED_KEYS);
  for (const key of multiHints) {
    if (s.attempts >= MAX_ATTEMPTS) return;
    const child = apply(node, { op: 'xor', key, hinted: true });
    record(s, child, queue);
    if (child) bestSingle = Math.max(bestSingle, child.value);
  }
  // Repeating keys of 2..16 bytes, only the two most likely lengths. A mediocre single-byte
  // result may be half of a two-byte key, so only a convincing one stops here. Not on input
  // that already reads as text: a key fitted column by column can turn any text into other text.
  if (bestSingle >= CONVINCING || (allPrintableAscii(bytes) && node.score.score >= 0.3)) return;
  const sample = bytes.length > ATTACK_SAMPLE ? bytes.subarray(0, ATTACK_SAMPLE) : bytes;
  let tried = 0;
  for (const len of likelyKeyLengths(sample, MAX_KEY_LENGTH, MIN_COLUMN)) {
    if (tried >= 2 || s.attempts >= MAX_ATTEMPTS) return;
    tried++;
    const key = bestRepeatingKey(s, sample, len);
    if (!key || key.length < 2 || multiHints.some((k) => sameKey(k, key))) continue;
    record(s, apply(node, { op: 'xor', key, hinted: false }), queue);
  }
}

/**
 * The key for a likely length, or for one of its divisors when that reads better: a repeated
 * payload or a periodic text can make a multiple of the true length look best, and its
 * shorter columns give worse keys.
 */
function bestRepeatingKey(s: Search, sample: Uint8Array, len: number): number[] | null {
  // Each fit evaluates whole texts many times: a literal gets a fixed number, whatever its shape.
  const judge = (bytes: Uint8Array) => (s.fitsLeft-- > 0 ? judgeBytes(bytes) : -Infinity);
  let best: number[] | null = null;
  let bestValue = -Infinity;
  for (let d = 2; d <= len; d++) {
    if (len % d !== 0) continue;
    const key = solveRepeatingKey(sample, d, judge);
    if (!key) continue;
    const v = judgeBytes(xorBytes(sample, key));
    // A longer key must read clearly better: it has more freedom to fit noise.
    if (v > bestValue + 0.01) {
      bestValue = v;
      best = key;
    }
  }
  return best;
}

/**
 * Objective for fitting a multi-byte key: the text score, plus the bigram cost so that partial
 * progress counts (the score is flat until the structure, a valid list, appears at once).
 */
function judgeBytes(bytes: Uint8Array): number {
  const t = bytesToText(bytes);
  return scoreDecoded(t.text, t.latin1).score - 0.1 * bigramStats(t.text).meanCost;
}

function sameKey(a: readonly number[], b: readonly number[]): boolean {
  const pa = smallestPeriod([...a]);
  const pb = smallestPeriod([...b]);
  return pa.length === pb.length && pa.every((v, i) => v === pb[i]);
}

function search(root: Node, hints: number[][], maxDepth: number, rootIsBytes: boolean): Node[] {
  const s: Search = { hints, maxDepth, attempts: 0, fitsLeft: MAX_KEY_FITS, rootIsBytes, out: [] };
  const queue: Node[] = [root];
  for (let qi = 0; qi < queue.length && s.attempts < MAX_ATTEMPTS; qi++) {
    const node = queue[qi]!;
    if (node.steps.length >= maxDepth) continue;
    // Readable text is the answer, not another layer (and a good candidate's children would only be noise).
    if (node.labels.length > 0 && node.value >= REPORT_THRESHOLD) continue;
    expand(s, node, queue);
  }
  return s.out;
}

function replay(root: Node, steps: readonly Step[]): Node | null {
  let node: Node | null = root;
  for (const step of steps) {
    if (!node) return null;
    node = apply(node, step);
  }
  return node;
}

function isTextual(steps: readonly Step[]): boolean {
  return steps.length > 0 && steps.every((st) => st.op === 'reverse' || st.op === 'rot13');
}

interface Ranked {
  result: RecoveredString;
  textual: boolean;
}

function rank(nodes: Node[]): Ranked[] {
  const byText = new Map<string, Ranked & { layers: number }>();
  for (const n of nodes) {
    if (n.labels.length === 0) continue;
    const hinted = n.steps.some((x) => x.op === 'xor' && x.hinted);
    const score = Math.min(1, n.value + (hinted && n.value > 0 ? HINT_BONUS : 0));
    const result: RecoveredString = { decoded: n.text, encoding: n.labels.join(' > '), score, kind: n.score.kind };
    if (n.score.items) result.items = n.score.items;
    const layers = n.labels.length;
    const prev = byText.get(n.text);
    if (!prev || score > prev.result.score || (score === prev.result.score && layers < prev.layers)) {
      byText.set(n.text, { result, textual: isTextual(n.steps), layers });
    }
  }
  return [...byText.values()]
    .sort((a, b) => b.result.score - a.result.score || a.layers - b.layers)
    .map(({ result, textual }) => ({ result, textual }));
}

/** Runs the search on a root; for long roots, on head and tail samples first, then replays what they found on the whole. */
function searchRoot(
  makeRoot: (from: number, to: number) => Node,
  length: number,
  align: number,
  hints: number[][],
  maxDepth: number,
  rootIsBytes: boolean,
): Node[] {
  if (length <= PROBE_CHARS) return search(makeRoot(0, length), hints, maxDepth, rootIsBytes);
  // Align the tail sample so base64 quanta and hex pairs stay whole.
  const tailStart = Math.ceil((length - PROBE_CHARS) / align) * align;
  const probes = [
    ...search(makeRoot(0, PROBE_CHARS), hints, maxDepth, rootIsBytes),
    ...search(makeRoot(tailStart, length), hints, maxDepth, rootIsBytes),
  ];
  const promising = probes.filter((n) => n.value >= PROBE_THRESHOLD).sort((a, b) => b.value - a.value);
  const out: Node[] = [];
  const seen = new Set<string>();
  let full: Node | null = null;
  for (const p of promising) {
    const key = p.labels.join(' > ');
    if (seen.has(key)) continue;
    seen.add(key);
    if (seen.size > 3) break;
    full ??= makeRoot(0, length);
    const r = replay(full, p.steps);
    if (r) out.push(r);
  }
  return out;
}

function normaliseHints(hints: RecoveryHints | undefined): { keys: number[][]; maxDepth: number } {
  const keys = (hints?.xorKeys ?? [])
    .filter((k) => k.length > 0 && k.length <= 64 && k.every((b) => Number.isInteger(b) && b >= 0 && b <= 255))
    .filter((k) => k.some((b) => b !== 0));
  return { keys, maxDepth: Math.max(1, Math.min(hints?.maxDepth ?? 4, 8)) };
}

function candidatesOf(literal: string, hints: RecoveryHints | undefined): Ranked[] {
  const { keys, maxDepth } = normaliseHints(hints);
  const make = (from: number, to: number) =>
    textNode(null, null, from === 0 && to === literal.length ? literal : literal.slice(from, to), false, null);
  return rank(searchRoot(make, literal.length, 4, keys, maxDepth, false));
}

/** Every decoding tried for a literal, best first (including ones below the report threshold). */
export function recoverCandidates(literal: string, hints?: RecoveryHints): RecoveredString[] {
  return candidatesOf(literal, hints).map((r) => r.result);
}

/** The best decoding of a literal if it reads as real text and reads better than the literal itself, else null. */
export function recoverString(literal: string, hints?: RecoveryHints): RecoveredString | null {
  const best = candidatesOf(literal, hints)[0];
  if (!best || best.result.score < REPORT_THRESHOLD) return null;
  const own = scoreDecoded(literal, false).score;
  const gain = best.textual && !STRUCTURED.has(best.result.kind) ? MIN_GAIN_TEXTUAL : MIN_GAIN;
  return best.result.score >= own + gain ? best.result : null;
}

/**
 * Every decoding of bytes found some other way (a char-code array, a Buffer literal), best
 * first. `encodingSoFar` names how they were found (e.g. `charcodes`); when it is non-empty the
 * bytes read as text are themselves a candidate. Values above 255 are UTF-16 code units.
 */
export function recoverBytesCandidates(
  input: Uint8Array | readonly number[],
  hints?: RecoveryHints,
  encodingSoFar = '',
): RecoveredString[] {
  const { keys, maxDepth } = normaliseHints(hints);
  let bytes: Uint8Array | null = null;
  let text: string | null = null;
  if (input instanceof Uint8Array) bytes = input;
  else if (input.every((v) => Number.isInteger(v) && v >= 0 && v <= 255)) bytes = Uint8Array.from(input);
  else if (input.every((v) => Number.isInteger(v) && v >= 0 && v <= 0xffff)) {
    text = '';
    for (let i = 0; i < input.length; i += 4096) text += String.fromCharCode(...input.slice(i, i + 4096));
  } else return [];
  const make = (from: number, to: number): Node => {
    const root = bytes ? bytesNode(null, null, bytes.subarray(from, to)) : textNode(null, null, text!.slice(from, to), false, null);
    if (encodingSoFar) root.labels.push(encodingSoFar);
    return root;
  };
  const length = bytes ? bytes.length : text!.length;
  const nodes = searchRoot(make, length, 1, keys, maxDepth, bytes !== null);
  // The bytes as they are: a candidate when they were already a decoding.
  if (encodingSoFar) nodes.push(make(0, length));
  return rank(nodes).map((r) => r.result);
}

/** The best decoding of bytes (see recoverBytesCandidates) if it reads as real text, else null. */
export function recoverBytes(
  input: Uint8Array | readonly number[],
  hints?: RecoveryHints,
  encodingSoFar = '',
): RecoveredString | null {
  const best = recoverBytesCandidates(input, hints, encodingSoFar)[0];
  return best && best.score >= REPORT_THRESHOLD ? best : null;
}
