/**
 * Secret detection over outgoing text with a maintained rule set: secretlint's
 * recommended preset (AWS, GCP, GitHub, GitLab, npm, Slack, OpenAI, Anthropic, private
 * keys, basic auth, database connection strings, …), not a handful of local regexes.
 * Many fields are scanned in one pass (joined with a separator that no rule can match
 * across) and the ranges are mapped back to each field. Pure: no I/O.
 *
 * The preset's rules run through the rule API secretlint documents
 * (`@secretlint/types`: a preset registers rules, a rule's `file(source)` reports
 * ranges), not through `lintSource`, for two reasons:
 * - `lintSource` builds every rule, its translator and event plumbing on each call:
 *   ~80 µs before it reads a byte, more than scanning the ~5 KB a coding agent adds to
 *   a resent conversation. Here the rules are created once.
 * - `lintSource` honours in-band `secretlint-disable` comments (the preset's
 *   filter-comments rule). In outgoing requests the text is untrusted — a file the agent
 *   read could say `secretlint-disable` and switch off redaction for everything after
 *   it, other fields and other requests scanned in the same pass included — so that
 *   rule is left out. Every scanner rule of the preset runs.
 * test/core/secrets/scan.test.ts checks that the results equal `lintSource`'s (with
 * that one rule disabled) over every kind of secret the preset knows.
 */
import type {
  SecretLintRuleContext,
  SecretLintRuleCreator,
  SecretLintRuleLocalizeMessages,
  SecretLintRuleMessageTranslate,
  SecretLintRulePresetContext,
  SecretLintRuleReportHandler,
  SecretLintSourceCode,
  SecretLintSourceNodeLocation,
  SecretLintSourceNodePosition,
  SecretLintSourceNodeRange,
} from '@secretlint/types';
import { creator as recommendedPreset } from '@secretlint/secretlint-rule-preset-recommend';
import { StructuredSource } from 'structured-source';
import { escapeRegExp } from '../regexp.js';

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

/** Rules of the preset that are not run (see above). */
export const OMITTED_RULES: ReadonlySet<string> = new Set(['@secretlint/secretlint-rule-filter-comments']);

/**
 * Text that every match of a rule contains, lower-cased: a rule runs only over texts that
 * hold one of its keywords (gitleaks' keyword index does the same). Reviewed against each
 * regular expression of @secretlint/secretlint-rule-preset-recommend 12.0.0 with the
 * preset's default options, as telltale runs it — pinned exactly in package.json: a new
 * version must be reviewed again (test/core/secrets/scan.test.ts holds the scan to
 * secretlint's own runner). Lower-cased matching is a superset of every case-sensitive and
 * `/i` pattern here. A rule not listed always runs. Why: the two dozen rules cost ~45 µs
 * per 4 KB of text in a tight loop and several times that in the guard between requests,
 * while almost no text holds any of these prefixes.
 */
const RULE_KEYWORDS: Readonly<Record<string, readonly string[]>> = {
  // Default options: only AWS_SECRET_ACCESS_KEY-style assignments (the ID rules are off).
  '@secretlint/secretlint-rule-aws': ['secret'],
  // For a text that is neither package.json nor .npmrc: npm_ access tokens only.
  '@secretlint/secretlint-rule-npm': ['npm_'],
  '@secretlint/secretlint-rule-slack': ['xoxb-', 'xoxp-', 'xapp-', 'xoxa-', 'xoxo-', 'xoxr-', 'hooks.slack.com'],
  '@secretlint/secretlint-rule-basicauth': ['://'],
  '@secretlint/secretlint-rule-openai': ['t3blbkfj'],
  '@secretlint/secretlint-rule-anthropic': ['sk-ant-api0'],
  '@secretlint/secretlint-rule-groq': ['gsk_'],
  '@secretlint/secretlint-rule-huggingface': ['hf_'],
  '@secretlint/secretlint-rule-linear': ['lin_api_'],
  '@secretlint/secretlint-rule-notion': ['ntn_'],
  '@secretlint/secretlint-rule-privatekey': ['-----begin'],
  '@secretlint/secretlint-rule-sendgrid': ['sg.'],
  '@secretlint/secretlint-rule-shopify': ['shppa_', 'shpca_', 'shpat_', 'shpss_'],
  '@secretlint/secretlint-rule-github': ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_', 'github_pat_'],
  '@secretlint/secretlint-rule-gitlab': ['glpat-'],
  '@secretlint/secretlint-rule-grafana': ['glc_', 'glsa_'],
  '@secretlint/secretlint-rule-1password': ['ops_'],
  '@secretlint/secretlint-rule-database-connection-string': ['mongodb', 'mysql', 'postgres'],
  '@secretlint/secretlint-rule-hashicorp-vault': ['hvs.', 'hvb.', 'hvr.'],
  '@secretlint/secretlint-rule-vercel': ['vcp_', 'vci_', 'vca_', 'vcr_', 'vck_'],
  '@secretlint/secretlint-rule-databricks': ['dapi'],
  '@secretlint/secretlint-rule-docker': ['dckr_pat_'],
  '@secretlint/secretlint-rule-figma': ['figd_'],
};

/**
 * Any keyword of any rule, in one pattern over the lower-cased text. Almost no text holds
 * one, and one pass answers that ~4x faster than each rule's own `includes` (4.8 KB of an
 * agent's new turn: ~9 µs against ~36 µs in a tight loop, most of a scan that finds nothing).
 */
const ANY_RULE_KEYWORD = new RegExp(
  [...new Set(Object.values(RULE_KEYWORDS).flat())].map(escapeRegExp).join('|'),
);

/** True when `lowerCased` holds a keyword of some rule (the texts of rules without keywords are scanned regardless). */
export function holdsRuleKeyword(lowerCased: string): boolean {
  return ANY_RULE_KEYWORD.test(lowerCased);
}

/** The keywords of a rule (see RULE_KEYWORDS), undefined when it always runs. */
export function ruleKeywords(ruleId: string): readonly string[] | undefined {
  return RULE_KEYWORDS[ruleId];
}

/** The kind of secret a rule reports, e.g. `GITHUB_TOKEN` (placeholders and findings show it). */
export function secretTypeOf(ruleId: string, messageId: string | undefined): string {
  if (messageId && /^[A-Za-z0-9_]+$/.test(messageId)) return messageId.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
  return ruleId.replace(/^@secretlint\/secretlint-rule-/, '').toUpperCase().replace(/-/g, '_');
}

/** The joined text as a rule sees it. Line/column helpers are built only if a rule asks. */
class TextSource implements SecretLintSourceCode {
  // The content is passed as is (lintSource drops a leading BOM, which shifts every range).
  readonly hasBOM = false;
  readonly filePath = '/telltale/request.txt';
  readonly physicalFilePath = undefined;
  readonly contentType = 'text';
  readonly ext = '.txt';
  private lines: StructuredSource | undefined;
  constructor(readonly content: string) {}
  private get structured(): StructuredSource {
    return (this.lines ??= new StructuredSource(this.content));
  }
  getFilePath(): string {
    return this.filePath;
  }
  getPhysicalFilePath(): undefined {
    return undefined;
  }
  locationToRange(loc: SecretLintSourceNodeLocation): SecretLintSourceNodeRange {
    return this.structured.locationToRange(loc);
  }
  rangeToLocation(range: SecretLintSourceNodeRange): SecretLintSourceNodeLocation {
    const { start, end } = this.structured.rangeToLocation(range);
    return { start: { line: start.line, column: start.column }, end: { line: end.line, column: end.column } };
  }
  positionToIndex(pos: SecretLintSourceNodePosition): number {
    return this.structured.positionToIndex(pos);
  }
  indexToPosition(index: number): SecretLintSourceNodePosition {
    const { line, column } = this.structured.indexToPosition(index);
    return { line, column };
  }
}

interface Reported {
  ruleId: string;
  start: number;
  end: number;
  messageId: string;
  message: string;
}

interface Ignored {
  start: number;
  end: number;
  targetRuleId: string;
}

/** English messages, as secretlint's translator formats them. */
function translatorFor<T extends SecretLintRuleLocalizeMessages>(messages: T): SecretLintRuleMessageTranslate<T> {
  return ((messageId: keyof T, props?: Record<string, unknown>) => {
    const handler = messages[messageId];
    const id = String(messageId);
    if (!handler) throw new Error(`secret rule message ${id} is missing`);
    const format = typeof handler === 'function' ? (handler as (p?: unknown) => string) : handler.en;
    return { message: typeof props === 'object' && props !== null ? format(props) : format(), messageId: id, data: props };
  }) as SecretLintRuleMessageTranslate<T>;
}

/** The preset's rules, created once; `scan` runs them all over one text. */
class SecretRuleSet {
  private readonly handlers: { ruleId: string; keywords: readonly string[] | undefined; file: NonNullable<SecretLintRuleReportHandler['file']> }[] = [];
  private reported: Reported[] = [];
  private ignored: Ignored[] = [];

  constructor() {
    const preset: SecretLintRulePresetContext = {
      sharedOptions: {},
      registerRule: (rule) => this.register(rule as SecretLintRuleCreator),
    };
    recommendedPreset.create(preset, {});
  }

  private register(rule: SecretLintRuleCreator): void {
    const ruleId = rule.meta.id;
    if (OMITTED_RULES.has(ruleId)) return;
    const types = rule.meta.supportedContentTypes;
    if (!types.includes('text') && !types.includes('all')) return;
    const context: SecretLintRuleContext = {
      sharedOptions: {},
      createTranslator: translatorFor,
      report: (d) => {
        this.reported.push({ ruleId, start: d.range[0], end: d.range[1], messageId: d.message.messageId, message: d.message.message });
      },
      ignore: (d) => {
        this.ignored.push({ start: d.range[0], end: d.range[1], targetRuleId: d.targetRuleId });
      },
    };
    // secretlint passes `{}` when the configuration gives a preset's rule no options.
    const handler = rule.create(context, {});
    if (handler.file) this.handlers.push({ ruleId, keywords: RULE_KEYWORDS[ruleId], file: handler.file.bind(handler) });
  }

  scan(content: string): Reported[] {
    const source = new TextSource(content);
    const reported: Reported[] = (this.reported = []);
    const ignored: Ignored[] = (this.ignored = []);
    const lower = content.toLowerCase();
    const anyKeyword = holdsRuleKeyword(lower);
    for (const h of this.handlers) {
      if (h.keywords && (!anyKeyword || !h.keywords.some((k) => lower.includes(k)))) continue;
      // Rules report synchronously; only GCP's reading of a .p12 file from disk is
      // asynchronous, and it never runs for text. Fail loudly if a new preset changes that.
      if (h.file(source)) throw new Error(`secret rule ${h.ruleId} answered asynchronously; telltale runs the preset's rules synchronously`);
    }
    return settle(reported, ignored);
  }
}

/** What secretlint does with the reports: drop ignored ranges and duplicates, sort. */
function settle(reported: Reported[], ignored: Ignored[]): Reported[] {
  const inside = (i: number, r: Ignored) => r.start <= i && i <= r.end;
  const kept = ignored.length === 0 ? reported : reported.filter((m) => !ignored.some((r) => inside(m.start, r) && inside(m.end, r) && (r.targetRuleId === '*' || r.targetRuleId === m.ruleId)));
  const distinct = kept.filter((m, i) => !kept.some((o, j) => j > i && o.start === m.start && o.end === m.end && o.message === m.message));
  return distinct.sort((a, b) => a.start - b.start || a.end - b.end);
}

let rules: SecretRuleSet | undefined;

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
  const found = (rules ??= new SecretRuleSet()).scan(content);
  const out: SecretMatch[] = [];
  for (const m of found) {
    const s = m.start;
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
    out.push({ index: lo, start: s - base, end: Math.min(m.end - base, len), ruleId: m.ruleId, type: secretTypeOf(m.ruleId, m.messageId) });
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
