/**
 * Inspection of one outgoing LLM API request, and the policy decision over it: hidden
 * characters (per author, see fields.ts / hidden.ts), secrets (secretlint's maintained
 * rules), and content of denied paths. Returns the findings, what to do, and the
 * rewritten body when an action changes it. Pure: no I/O (the secret scan is async only
 * because secretlint's API is).
 */
import { findDeniedContent, namesDeniedPath, type PathMatcher } from './deny-paths.js';
import { requestFieldGroups, type Field, type Part } from './fields.js';
import { inspectField, neutralizeField, type HiddenFieldReport } from './hidden.js';
import { placeholder, redactRanges, scanSecrets, type SecretMatch } from '../secrets/scan.js';
import type { Endpoint } from '../policy/routes.js';
import { InspectionCache, MIN_SECRET_FIELD, type CachedSecret, type GroupResult } from './cache.js';

export type Action = 'log' | 'neutralize' | 'redact' | 'block';
export type FindingType = 'hidden-characters' | 'secret' | 'denied-path';

export interface RequestFinding {
  type: FindingType;
  /** JSON pointer of the field in the request body. */
  pointer: string;
  part: Part;
  action: Action;
  message: string;
  /** Hidden characters: code points as U+XXXX (distinct, in order of appearance). */
  codePoints?: string[];
  /** Hidden characters: UTF-16 offsets in the field (first 20). */
  offsets?: number[];
  /** Tag characters decoded to ASCII. */
  tagPayload?: string;
  /** Secrets: the kind of secret and the rule that found it. The value is never kept. */
  secretType?: string;
  rule?: string;
  /** Denied paths: the path and the pattern it matched. */
  path?: string;
  pattern?: string;
}

export interface InspectionPolicy {
  hiddenChannels: 'log' | 'neutralize' | 'block';
  secrets: 'log' | 'redact' | 'block';
  denyPathsAction: 'log' | 'block';
  denyPaths: PathMatcher;
}

export interface InspectionOutcome {
  findings: RequestFinding[];
  /** `block`: answer with an error; `modified`: forward `forwardBody`; `pass`: forward the original bytes. */
  decision: 'pass' | 'modified' | 'block';
  /** Strongest action taken: block > redact > neutralize > log; `pass` when nothing was found. */
  action: Action | 'pass';
  blockReason?: string;
  /** The rewritten body (only for `modified`). */
  forwardBody?: unknown;
  /**
   * What the agent sent with every secret redacted and the content of denied paths
   * replaced (hidden characters kept: they are the evidence), for storage; undefined
   * when that equals the original.
   */
  storageBody?: unknown;
}

type Edit = (value: string) => string;

function setAt(root: unknown, pointer: string, fn: Edit): void {
  const tokens = pointer.split('/').slice(1).map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
  let node: unknown = root;
  for (let i = 0; i < tokens.length - 1; i++) {
    if (node === null || typeof node !== 'object') return;
    node = (node as Record<string, unknown>)[tokens[i]!];
  }
  const last = tokens[tokens.length - 1];
  if (last === undefined || node === null || typeof node !== 'object') return;
  const holder = node as Record<string, unknown>;
  const current = holder[last];
  if (typeof current === 'string') holder[last] = fn(current);
}

function distinct(values: string[]): string[] {
  return [...new Set(values)];
}

function describeHidden(report: HiddenFieldReport): { message: string; codePoints: string[]; offsets: number[]; tagPayload?: string } {
  const chars = report.suspicious;
  const codePoints = distinct(chars.map((c) => c.cp));
  const kinds = distinct(chars.map((c) => c.kind));
  const words = report.inspection.mixedScriptWords;
  const tags = report.inspection.tagPayloads.map((t) => t.text).join('');
  const parts: string[] = [];
  if (chars.length) parts.push(`${chars.length} hidden or look-alike character${chars.length === 1 ? '' : 's'} (${kinds.join(', ')}: ${codePoints.slice(0, 8).join(' ')}${codePoints.length > 8 ? ' …' : ''})`);
  if (words.length) parts.push(`${words.length} mixed-script word${words.length === 1 ? '' : 's'} (e.g. "${words[0]!.word}" reads as "${words[0]!.skeleton}")`);
  if (tags) parts.push(`tag characters spell ${JSON.stringify(tags.slice(0, 80))}`);
  const out: { message: string; codePoints: string[]; offsets: number[]; tagPayload?: string } = {
    message: parts.join('; '),
    codePoints,
    offsets: chars.slice(0, 20).map((c) => c.offset),
  };
  if (tags) out.tagPayload = tags;
  return out;
}

export async function inspectRequest(
  endpoint: Endpoint,
  body: unknown,
  policy: InspectionPolicy,
  cache: InspectionCache = new InspectionCache(),
  /** The secret scanner (the guard merges concurrent requests' scans: guard/secret-batcher.ts). */
  findSecrets: (texts: readonly string[]) => Promise<SecretMatch[]> = scanSecrets,
  /**
   * Enter the new fields' results in the cache by text. False when the caller's parser
   * keeps this body's objects, and retires them to the cache when it drops them (cache.ts).
   */
  rememberTexts = true,
): Promise<InspectionOutcome> {
  const groups = requestFieldGroups(endpoint, body, cache.fieldMemo);
  const findings: RequestFinding[] = [];

  // Per group of fields (a history message, the tools…): its secrets, hidden characters
  // and tool fields. A group seen before (the history an agent resends every turn) is the
  // same array as then and its result is memoized: a request costs what is new in it.
  const results: GroupResult[] = [];
  const unseen: Field[] = [];
  // New groups, with each long field's cached secrets (undefined: not scanned yet), in order.
  const fresh: { group: Field[]; result: GroupResult; checks: [Field, CachedSecret[] | undefined][] }[] = [];
  for (const group of groups) {
    const known = cache.group(group);
    if (known) {
      results.push(known);
      continue;
    }
    const result: GroupResult = { secrets: [], hidden: [], toolFields: [] };
    const checks: [Field, CachedSecret[] | undefined][] = [];
    for (const f of group) {
      if (f.part === 'tool-input' || f.part === 'tool-result') result.toolFields.push(f);
      if (f.value.length >= MIN_SECRET_FIELD) {
        const hit = cache.secrets(f.value);
        if (hit === undefined) unseen.push(f);
        checks.push([f, hit]);
      }
      const report = cache.hidden(f.value, f.part, () => inspectField(f.value, f.part));
      if (report) result.hidden.push([f, report]);
    }
    results.push(result);
    fresh.push({ group, result, checks });
  }
  // Secrets: one secretlint call for all the text not seen before.
  const scanned = new Map<Field, CachedSecret[]>();
  if (unseen.length) {
    const matches = await findSecrets(unseen.map((f) => f.value));
    for (const m of matches) {
      const f = unseen[m.index]!;
      const list = scanned.get(f) ?? [];
      list.push({ start: m.start, end: m.end, type: m.type, ruleId: m.ruleId });
      scanned.set(f, list);
    }
  }
  for (const { group, result, checks } of fresh) {
    for (const [f, hit] of checks) {
      const list = hit ?? scanned.get(f) ?? [];
      if (list.length) result.secrets.push([f, list]);
    }
    cache.setGroup(group, result);
    if (rememberTexts) cache.remember(group, result);
  }

  const secretsOf = new Map<Field, CachedSecret[]>();
  const hiddenOf = new Map<Field, HiddenFieldReport>();
  let namesDenied = false;
  for (const r of results) {
    for (const [f, list] of r.secrets) secretsOf.set(f, list);
    for (const [f, report] of r.hidden) hiddenOf.set(f, report);
    if (policy.denyPaths && !namesDenied && r.toolFields.length) {
      if (r.namesDenied?.matcher !== policy.denyPaths) r.namesDenied = { matcher: policy.denyPaths, value: namesDeniedPath(r.toolFields, policy.denyPaths) };
      namesDenied = r.namesDenied.value;
    }
  }
  // Content is denied only when some tool input names a denied path (memoized per group, so
  // a resent history costs a lookup per message); then the tool fields of every group are
  // searched together: the call and its result sit in different messages.
  const toolFields = namesDenied ? results.flatMap((r) => r.toolFields) : [];
  const denied = namesDenied ? findDeniedContent(toolFields, policy.denyPaths) : [];

  const blockReasons: string[] = [];
  const forwardEdits = new Map<string, Edit[]>();
  const addEdit = (pointer: string, e: Edit) => {
    const list = forwardEdits.get(pointer) ?? [];
    list.push(e);
    forwardEdits.set(pointer, list);
  };

  for (const hit of denied) {
    const field = toolFields.find((f) => f.pointer === hit.pointer);
    const action: Action = policy.denyPathsAction === 'block' ? 'block' : 'log';
    findings.push({
      type: 'denied-path',
      pointer: hit.pointer,
      part: field?.part ?? 'tool-result',
      action,
      message: `content of ${hit.path} (denyPaths '${hit.pattern}', named at ${hit.referencedAt})`,
      path: hit.path,
      pattern: hit.pattern,
    });
    if (action === 'block') blockReasons.push(`it carries content of ${hit.path}, which matches inspect.denyPaths '${hit.pattern}' (at ${hit.pointer})`);
  }

  for (const [f, list] of secretsOf) {
    const action: Action = policy.secrets;
    for (const s of list) {
      findings.push({
        type: 'secret',
        pointer: f.pointer,
        part: f.part,
        action,
        message: `${s.type} replaced by ${placeholder(s.type)}` + (action === 'redact' ? '' : ' in the audit log'),
        secretType: s.type,
        rule: s.ruleId,
      });
    }
    if (action === 'block') blockReasons.push(`it contains a secret (${distinct(list.map((s) => s.type)).join(', ')}) at ${f.pointer} (inspect.secrets: block)`);
    if (action === 'redact') addEdit(f.pointer, (v) => redactRanges(v, list));
  }

  for (const [f, report] of hiddenOf) {
    let action: Action = policy.hiddenChannels;
    if (action === 'neutralize') {
      const after = neutralizeField(f.value, f.part, report);
      if (after === f.value) action = 'log';
      else if (secretsOf.has(f) && policy.secrets === 'redact') {
        // Offsets moved after redaction: inspect the redacted text again.
        addEdit(f.pointer, (v) => {
          const again = inspectField(v, f.part);
          return again ? neutralizeField(v, f.part, again) : v;
        });
      } else addEdit(f.pointer, () => after);
    }
    const d = describeHidden(report);
    const finding: RequestFinding = {
      type: 'hidden-characters',
      pointer: f.pointer,
      part: f.part,
      action,
      message: `${d.message} in ${f.part === 'agent' ? 'agent-written text' : `${f.part} text`}`,
      codePoints: d.codePoints,
      offsets: d.offsets,
    };
    if (d.tagPayload) finding.tagPayload = d.tagPayload;
    findings.push(finding);
    if (action === 'block') blockReasons.push(`hidden or look-alike characters ${d.codePoints.slice(0, 6).join(' ')} in ${f.part} text at ${f.pointer} (inspect.hiddenChannels: block)`);
  }

  const rank: Record<Action | 'pass', number> = { pass: 0, log: 1, neutralize: 2, redact: 3, block: 4 };
  let action: Action | 'pass' = 'pass';
  for (const f of findings) if (rank[f.action] > rank[action]) action = f.action;

  const storageBody = secretsOf.size || denied.length ? redactedCopy(body, secretsOf, denied.map((d) => d.pointer)) : undefined;
  if (blockReasons.length) {
    return { findings, decision: 'block', action: 'block', blockReason: blockReasons[0]!, ...(storageBody !== undefined ? { storageBody } : {}) };
  }
  if (forwardEdits.size === 0) {
    return { findings, decision: 'pass', action, ...(storageBody !== undefined ? { storageBody } : {}) };
  }
  const forwardBody = structuredClone(body);
  for (const [pointer, edits] of forwardEdits) for (const e of edits) setAt(forwardBody, pointer, e);
  const out: InspectionOutcome = { findings, decision: 'modified', action, forwardBody };
  if (storageBody !== undefined) out.storageBody = storageBody;
  return out;
}

/** The body to store: secrets redacted, and content of denied paths replaced (it must not leave, and the log may be exported). */
function redactedCopy(body: unknown, secretsOf: Map<Field, { start: number; end: number; type: string }[]>, deniedPointers: string[]): unknown {
  const copy = structuredClone(body);
  for (const [f, list] of secretsOf) setAt(copy, f.pointer, (v) => redactRanges(v, list));
  for (const pointer of deniedPointers) setAt(copy, pointer, () => placeholder('DENIED_PATH_CONTENT'));
  return copy;
}
