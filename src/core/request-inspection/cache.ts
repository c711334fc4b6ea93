/**
 * Memo of inspection results. Agents resend the whole conversation on every turn, so most
 * fields of a request were inspected on the previous turn; this makes the per-request
 * cost proportional to what is new. Two levels:
 * - by object: the incremental parser hands the same parsed objects for a history resent
 *   unchanged, and the results of their groups of fields are kept with them (weakly);
 * - by text, for what the parser no longer keeps: when it drops a conversation (more
 *   live conversations than it keeps), the results of that history's fields are entered
 *   by text (`retire`), so the conversation's next turn, parsed whole, is not inspected
 *   again. Bodies the parser does not keep at all enter their texts at once (`remember`).
 *   Texts the parser still holds are not entered: holding every new text of every request
 *   cost the guard 36–105 µs of CPU per request at 32 clients, in garbage collection and
 *   map upkeep (measured in three interleaved runs: docs/guard.md, stops 16 and 17).
 * Bounded by total characters (oldest entries go first). Holds no I/O; one instance per guard.
 */
import type { Field, FieldMemo, Part } from './fields.js';
import type { HiddenFieldReport } from './hidden.js';
import type { PathMatcher } from './deny-paths.js';

/** Secrets are never shorter than this: shorter fields are not scanned (and not memoized). */
export const MIN_SECRET_FIELD = 8;
/** Shorter fields cost nothing to check for hidden characters: not memoized. */
const MIN_HIDDEN_MEMO = 64;

export interface CachedSecret {
  start: number;
  end: number;
  type: string;
  ruleId: string;
}

/**
 * A map from text to a value, bounded by total characters (oldest entries go first).
 * Keyed by the text: with a fresh JSON.parse per request that hashed every field of
 * every request (~0.25 ms per 100 KB), but the incremental parser reuses the string
 * objects of a resent history, whose hash V8 has already cached.
 */
class BoundedMap<V> {
  private readonly map = new Map<string, { text: string; value: V }[]>();
  /**
   * How many entries have each length. A text of a length no entry has is not looked up:
   * the lookup would hash it whole, and most texts looked up (what an agent adds to a
   * conversation) were never entered (string hashing took ~7 µs per request in a profile
   * of the guard at 32 clients, most of it for such texts).
   */
  private readonly lengths = new Map<number, number>();
  private readonly order: string[] = [];
  private head = 0;
  private chars = 0;
  constructor(private readonly maxChars: number) {}

  private static fingerprint(text: string): string {
    // The text itself: V8 keeps a string's hash in the string once computed, and the
    // incremental parser (incremental.ts) hands the same string objects for a history
    // resent unchanged, so a lookup costs a hash only for text that is new.
    return text;
  }

  get(key: string): V | undefined {
    if (!this.lengths.has(key.length)) return undefined;
    const bucket = this.map.get(BoundedMap.fingerprint(key));
    if (!bucket) return undefined;
    for (const e of bucket) if (e.text === key) return e.value;
    return undefined;
  }

  set(key: string, value: V): void {
    if (key.length > this.maxChars / 4) return;
    const fp = BoundedMap.fingerprint(key);
    const bucket = this.map.get(fp);
    if (bucket) {
      // A full bucket (texts crafted to share a fingerprint) stops caching, not working.
      if (bucket.length >= 8 || bucket.some((e) => e.text === key)) return;
      bucket.push({ text: key, value });
    } else this.map.set(fp, [{ text: key, value }]);
    this.lengths.set(key.length, (this.lengths.get(key.length) ?? 0) + 1);
    this.order.push(key);
    this.chars += key.length;
    while (this.chars > this.maxChars && this.head < this.order.length) this.evict(this.order[this.head++]!);
    if (this.head > 4096 && this.head * 2 > this.order.length) {
      this.order.splice(0, this.head);
      this.head = 0;
    }
  }

  private evict(text: string): void {
    const fp = BoundedMap.fingerprint(text);
    const bucket = this.map.get(fp);
    if (!bucket) return;
    const i = bucket.findIndex((e) => e.text === text);
    if (i < 0) return;
    bucket.splice(i, 1);
    if (bucket.length === 0) this.map.delete(fp);
    const n = this.lengths.get(text.length)! - 1;
    if (n === 0) this.lengths.delete(text.length);
    else this.lengths.set(text.length, n);
    this.chars -= text.length;
  }
}

/** What inspection found in one group of fields (see fields.ts, FieldGroups). */
export interface GroupResult {
  secrets: [Field, CachedSecret[]][];
  hidden: [Field, HiddenFieldReport][];
  /** tool-input and tool-result fields: what denied-path matching looks at. */
  toolFields: Field[];
  /** Whether a tool input of the group names a denied path, under the matcher it was computed with. */
  namesDenied?: { matcher: PathMatcher; value: boolean };
}

export class InspectionCache {
  /** Fields of parsed objects seen before (held weakly: they live as long as the parser keeps them). */
  readonly fieldMemo: FieldMemo = new WeakMap();
  private readonly groupResults = new WeakMap<Field[], GroupResult>();
  private readonly secretMap: BoundedMap<CachedSecret[]>;
  private readonly agentHidden: BoundedMap<HiddenFieldReport | null>;
  private readonly otherHidden: BoundedMap<HiddenFieldReport | null>;

  constructor(maxChars = 16 * 1024 * 1024) {
    this.secretMap = new BoundedMap(maxChars);
    this.agentHidden = new BoundedMap(maxChars / 2);
    this.otherHidden = new BoundedMap(maxChars / 2);
  }

  /** The result for a group of fields, when this same array was inspected before. */
  group(fields: Field[]): GroupResult | undefined {
    return this.groupResults.get(fields);
  }

  setGroup(fields: Field[], result: GroupResult): void {
    this.groupResults.set(fields, result);
  }

  /** Secrets found in this text before (by text), if it was entered. */
  secrets(text: string): CachedSecret[] | undefined {
    return this.secretMap.get(text);
  }

  /** The hidden-character report of this text (by text) if it was entered, else `compute()`. */
  hidden(text: string, part: Part, compute: () => HiddenFieldReport | null): HiddenFieldReport | null {
    // Short ASCII fields are the bulk and cost nothing to check: skip the map.
    if (text.length < MIN_HIDDEN_MEMO) return compute();
    const hit = (part === 'agent' ? this.agentHidden : this.otherHidden).get(text);
    return hit !== undefined ? hit : compute();
  }

  /** Enters the results of a group of fields by their texts. */
  remember(fields: readonly Field[], result: GroupResult): void {
    const secrets = result.secrets.length ? new Map(result.secrets) : undefined;
    const hidden = result.hidden.length ? new Map(result.hidden) : undefined;
    for (const f of fields) {
      const text = f.value;
      if (text.length >= MIN_SECRET_FIELD) this.secretMap.set(text, secrets?.get(f) ?? []);
      if (text.length >= MIN_HIDDEN_MEMO) (f.part === 'agent' ? this.agentHidden : this.otherHidden).set(text, hidden?.get(f) ?? null);
    }
  }

  /**
   * Parsed values the parser stops keeping (top-level values and history items of a body):
   * the results of their groups, if inspected, are entered by text (see the class comment).
   */
  retire(values: readonly unknown[]): void {
    for (const v of values) {
      if (v === null || typeof v !== 'object') continue;
      const memo = this.fieldMemo.get(v);
      const result = memo && this.groupResults.get(memo.fields);
      if (memo && result) this.remember(memo.fields, result);
    }
  }
}
