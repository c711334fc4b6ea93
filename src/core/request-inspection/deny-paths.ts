/**
 * Content of denied paths (`inspect.denyPaths`): agents send the file paths they read in
 * tool inputs (`file_path`, `path`, a shell `command`) and the file contents in the
 * matching tool results. A tool call that names a denied path makes its result — and
 * any content the call itself carries (a write or an edit) — denied content. Pure.
 */
import picomatch from 'picomatch';
import type { Field } from './fields.js';
import { RecentMap } from '../recent-map.js';

export interface DeniedPathHit {
  /** Field that carries denied content (a tool result, or a tool input with content). */
  pointer: string;
  /** The path that matched, as the agent wrote it. */
  path: string;
  /** The denyPaths pattern it matched. */
  pattern: string;
  /** The tool-input field that named the path. */
  referencedAt: string;
}

export type PathMatcher = (candidate: string) => string | null;

export function compileDenyPaths(patterns: readonly string[]): PathMatcher {
  const compiled = patterns.map((p) => ({ pattern: p, test: picomatch(p.replace(/^~\//, '**/').replace(/^\//, ''), { dot: true, nocase: false }) }));
  // Agents resend the same paths every turn (the history): remember the answers.
  const known = new RecentMap<string, string | null>(8192);
  return (candidate) => {
    const hit = known.get(candidate);
    if (hit !== undefined) return hit;
    const normalized = candidate.replace(/^~\//, '').replace(/^(\.\/)+/, '').replace(/^\/+/, '');
    let answer: string | null = null;
    if (normalized && normalized.length <= 4096) {
      for (const c of compiled) {
        if (c.test(normalized)) {
          answer = c.pattern;
          break;
        }
      }
    }
    if (candidate.length <= 4096) known.set(candidate, answer);
    return answer;
  };
}

const PATH_KEYS = /^(file_?path|filePath|path|paths|notebook_path|absolute_path|filename|file|target_file|source|destination|dir|directory|cwd)$/i;
const COMMAND_KEYS = /^(command|cmd|script)$/i;
const CONTENT_KEYS = /^(content|new_string|old_string|new_source|contents|text|patch|input)$/i;

/** Shell-ish tokens of a command line: whitespace-separated, quotes and redirections trimmed. */
function commandTokens(command: string): string[] {
  return command
    .slice(0, 8192)
    .split(/[\s;|&<>()]+/)
    .map((t) => t.replace(/^['"`]+|['"`]+$/g, ''))
    .filter((t) => t.length > 0 && /[./~]/.test(t));
}

function argumentFields(field: Field): { key: string; value: string }[] {
  // OpenAI tool arguments are a JSON string.
  if (field.key !== 'arguments') return [{ key: field.key ?? '', value: field.value }];
  try {
    const parsed: unknown = JSON.parse(field.value);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
      return Object.entries(parsed as Record<string, unknown>)
        .filter((e): e is [string, string] => typeof e[1] === 'string')
        .map(([key, value]) => ({ key, value }));
    }
  } catch {
    // Not JSON: treat as a command line.
  }
  return [{ key: 'command', value: field.value }];
}

/** The first denied path a tool-input field names (a path argument, or a token of a command), or null. */
function deniedReference(f: Field, matcher: PathMatcher): { path: string; pattern: string } | null {
  for (const { key, value } of argumentFields(f)) {
    const candidates = PATH_KEYS.test(key) ? [value] : COMMAND_KEYS.test(key) ? commandTokens(value) : [];
    for (const candidate of candidates) {
      const pattern = matcher(candidate);
      if (pattern) return { path: candidate, pattern };
    }
  }
  return null;
}

/**
 * True when a tool-input field among `fields` names a denied path. Without one, no
 * content is denied (findDeniedContent finds nothing): inspection asks this per history
 * message, memoized, and runs the full search only when some message names one.
 */
export function namesDeniedPath(fields: readonly Field[], matcher: PathMatcher): boolean {
  for (const f of fields) if (f.part === 'tool-input' && deniedReference(f, matcher)) return true;
  return false;
}

export function findDeniedContent(fields: readonly Field[], matcher: PathMatcher): DeniedPathHit[] {
  const hits: DeniedPathHit[] = [];
  const deniedCalls = new Map<string, { path: string; pattern: string; referencedAt: string }>();
  const inputsByCall = new Map<string, Field[]>();
  for (const f of fields) {
    if (f.part !== 'tool-input') continue;
    if (f.toolCallId) {
      const list = inputsByCall.get(f.toolCallId) ?? [];
      list.push(f);
      inputsByCall.set(f.toolCallId, list);
    }
    const ref = deniedReference(f, matcher);
    if (!ref) continue;
    const id = f.toolCallId ?? `@${f.pointer}`;
    if (!deniedCalls.has(id)) deniedCalls.set(id, { ...ref, referencedAt: f.pointer });
  }
  if (deniedCalls.size === 0) return hits;
  for (const [id, ref] of deniedCalls) {
    // Content the call itself carries (Write/Edit): denied too.
    for (const f of inputsByCall.get(id) ?? []) {
      const carriesContent = f.key === 'arguments'
        ? argumentFields(f).some((a) => CONTENT_KEYS.test(a.key) && a.value.length > 0)
        : CONTENT_KEYS.test(f.key ?? '') && f.value.length > 0;
      if (carriesContent) hits.push({ pointer: f.pointer, ...ref });
    }
  }
  for (const f of fields) {
    if (f.part !== 'tool-result' || !f.toolCallId) continue;
    const ref = deniedCalls.get(f.toolCallId);
    if (ref && f.value.length > 0) hits.push({ pointer: f.pointer, ...ref });
  }
  return hits;
}
