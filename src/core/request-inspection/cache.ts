/**
 * Memo of inspection results per field text. Agents resend the whole conversation on
 * every turn, so most fields of a request were inspected on the previous turn; this
 * makes the per-request cost proportional to what is new. Bounded by total characters
 * (oldest entries go first). Holds no I/O; one instance per guard.
 */
import type { Part } from './fields.js';
import type { HiddenFieldReport } from './hidden.js';

export interface CachedSecret {
  start: number;
  end: number;
  type: string;
  ruleId: string;
}

class BoundedMap<V> {
  private readonly map = new Map<string, V>();
  private chars = 0;
  constructor(private readonly maxChars: number) {}
  get(key: string): V | undefined {
    return this.map.get(key);
  }
  set(key: string, value: V): void {
    if (key.length > this.maxChars / 4) return;
    if (this.map.has(key)) return;
    this.map.set(key, value);
    this.chars += key.length;
    while (this.chars > this.maxChars) {
      const oldest = this.map.keys().next();
      if (oldest.done) break;
      this.map.delete(oldest.value);
      this.chars -= oldest.value.length;
    }
  }
}

export class InspectionCache {
  private readonly secretMap: BoundedMap<CachedSecret[]>;
  private readonly agentHidden: BoundedMap<HiddenFieldReport | null>;
  private readonly otherHidden: BoundedMap<HiddenFieldReport | null>;

  constructor(maxChars = 16 * 1024 * 1024) {
    this.secretMap = new BoundedMap(maxChars);
    this.agentHidden = new BoundedMap(maxChars / 2);
    this.otherHidden = new BoundedMap(maxChars / 2);
  }

  secrets(text: string): CachedSecret[] | undefined {
    return this.secretMap.get(text);
  }

  setSecrets(text: string, found: CachedSecret[]): void {
    this.secretMap.set(text, found);
  }

  hidden(text: string, part: Part, compute: () => HiddenFieldReport | null): HiddenFieldReport | null {
    // Short ASCII fields are the bulk and cost nothing to check: skip the map.
    if (text.length < 64) return compute();
    const map = part === 'agent' ? this.agentHidden : this.otherHidden;
    const hit = map.get(text);
    if (hit !== undefined) return hit;
    const report = compute();
    map.set(text, report);
    return report;
  }
}
