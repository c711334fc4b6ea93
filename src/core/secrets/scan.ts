/**
 * Secret detection over outgoing text with a maintained rule set: secretlint's
 * recommended preset (AWS, GCP, GitHub, GitLab, npm, Slack, OpenAI, Anthropic, private
 * keys, basic auth, database connection strings, …), not a handful of local regexes.
 * Many fields are scanned in one secretlint call (joined with a separator that no
 * rule can match across) and the ranges are mapped back to each field. Pure: no I/O.
 */
import { lintSource } from '@secretlint/core';
import { secretLintProfiler } from '@secretlint/profiler';
import { creator as recommendedPreset } from '@secretlint/secretlint-rule-preset-recommend';

// secretlint's built-in profiler keeps every performance mark of the process forever and
// scans that list on each new mark: O(n²) time and unbounded memory in a long-running
// guard (3 ms per request after a few hundred). telltale never reads the profile.
secretLintProfiler.mark = () => {};

export interface SecretMatch {
  /** Index of the text in the scanned list. */
  index: number;
  /** UTF-16 range inside that text. */
  start: number;
  end: number;
  /** Rule that matched, e.g. `@secretlint/secretlint-rule-github`. */
  ruleId: string;
  /** Kind of secret, e.g. `GITHUB_TOKEN`, used in the placeholder. */
  type: string;
}

// Blank lines and a NUL on either side: no secret pattern spans them.
const SEPARATOR = '\n\n\u0000\n\n';

const CONFIG = {
  rules: [{ id: '@secretlint/secretlint-rule-preset-recommend', rule: recommendedPreset }],
};

function typeOf(ruleId: string, messageId: string | undefined): string {
  if (messageId && /^[A-Za-z0-9_]+$/.test(messageId)) return messageId.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
  return ruleId.replace(/^@secretlint\/secretlint-rule-/, '').toUpperCase().replace(/-/g, '_');
}

/** Finds secrets in each text. Results are sorted by index, then start. */
export async function scanSecrets(texts: readonly string[]): Promise<SecretMatch[]> {
  if (texts.length === 0) return [];
  const starts: number[] = [];
  let content = '';
  for (const t of texts) {
    if (content) content += SEPARATOR;
    starts.push(content.length);
    content += t;
  }
  const result = await lintSource({
    source: { content, filePath: '/telltale/request.txt', ext: '.txt', contentType: 'text' },
    options: { config: CONFIG, maskSecrets: false, noPhysicFilePath: true },
  });
  const out: SecretMatch[] = [];
  for (const m of result.messages) {
    const [s, e] = m.range;
    // Binary search the field that holds the match.
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= s) lo = mid;
      else hi = mid - 1;
    }
    const base = starts[lo]!;
    const len = texts[lo]!.length;
    out.push({
      index: lo,
      start: s - base,
      end: Math.min(e - base, len),
      ruleId: m.ruleId,
      type: typeOf(m.ruleId, m.messageId),
    });
  }
  out.sort((a, b) => a.index - b.index || a.start - b.start);
  return out;
}

export function placeholder(type: string): string {
  return `[REDACTED:${type}]`;
}

/** Replaces each match range in `text` with its typed placeholder. Overlaps merge. */
export function redactRanges(text: string, matches: readonly Pick<SecretMatch, 'start' | 'end' | 'type'>[]): string {
  if (matches.length === 0) return text;
  const sorted = [...matches].sort((a, b) => a.start - b.start);
  let out = '';
  let pos = 0;
  for (const m of sorted) {
    if (m.end <= pos) continue;
    out += text.slice(pos, Math.max(pos, m.start)) + placeholder(m.type);
    pos = m.end;
  }
  return out + text.slice(pos);
}

/**
 * Last line of defence for any text leaving through a sink (stdout, error messages,
 * exports): redacts whatever the rule set finds.
 */
export async function redactSecretsInText(text: string): Promise<string> {
  const matches = await scanSecrets([text]);
  return redactRanges(text, matches);
}
