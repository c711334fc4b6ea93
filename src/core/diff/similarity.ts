/**
 * Similarity measures for pairing findings whose identity key changed: overlap of
 * lists (a payload list that grew), of text (a decoded string that was edited), and
 * of code structure (the `shape` fingerprint, identifiers already erased).
 * All are linear in the size of their inputs; inputs are capped.
 */

/**
 * How much two lists share, forgiving growth: the mean of Jaccard and the overlap
 * coefficient (|A ∩ B| / min(|A|, |B|)). A list that gained items stays close to
 * its old self; two unrelated lists score 0.
 */
export function listSimilarity(a: readonly string[], b: readonly string[]): number {
  const sa = new Set(a);
  const sb = new Set(b);
  if (sa.size === 0 || sb.size === 0) return sa.size === sb.size ? 1 : 0;
  let common = 0;
  for (const x of sa) if (sb.has(x)) common++;
  return (common / (sa.size + sb.size - common) + common / Math.min(sa.size, sb.size)) / 2;
}

function grams(tokens: readonly string[], n: number, cap: number): Map<string, number> {
  const out = new Map<string, number>();
  const limit = Math.min(tokens.length, cap);
  if (limit < n) {
    if (limit > 0) out.set(tokens.slice(0, limit).join('\u0001'), 1);
    return out;
  }
  for (let i = 0; i + n <= limit; i++) {
    const g = n === 1 ? tokens[i]! : tokens.slice(i, i + n).join('\u0001');
    out.set(g, (out.get(g) ?? 0) + 1);
  }
  return out;
}

/** Sørensen–Dice coefficient of two n-gram multisets. */
function dice(a: Map<string, number>, b: Map<string, number>): number {
  let total = 0;
  for (const v of a.values()) total += v;
  for (const v of b.values()) total += v;
  if (total === 0) return 1;
  let common = 0;
  for (const [g, v] of a) {
    const w = b.get(g);
    if (w !== undefined) common += Math.min(v, w);
  }
  return (2 * common) / total;
}

const TEXT_CAP = 4096;

/** Character-bigram Dice similarity of two strings (first 4 KiB of each). */
export function textSimilarity(a: string, b: string): number {
  if (a === b) return 1;
  return dice(grams([...a.slice(0, TEXT_CAP)], 2, TEXT_CAP), grams([...b.slice(0, TEXT_CAP)], 2, TEXT_CAP));
}

/** Similarity of two `shape` fingerprints (comma-separated node tags): Dice over tag trigrams. */
export function shapeSimilarity(a: string, b: string): number {
  if (a === b) return 1;
  return dice(grams(a.split(','), 3, 1024), grams(b.split(','), 3, 1024));
}
