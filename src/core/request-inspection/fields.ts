/**
 * Who wrote each string of an LLM API request. The guard treats text differently by
 * author: the agent's own text (system prompt, tool definitions, context it injects into
 * user turns) must not carry hidden characters at all, while a user's or a tool's text
 * may legitimately be in any script. Pure.
 *
 * The rule (docs/guard.md, "Who wrote what"):
 * - agent: Anthropic `system`, `tools`; OpenAI `system`/`developer` messages, `tools`,
 *   `functions`, Responses `instructions`; Gemini `systemInstruction`, `tools`; and any user text block that starts with an
 *   agent context tag (`<system-reminder>`, `<command-…>`, `<local-command-…>`,
 *   `<user-prompt-submit-hook>`, `<environment_context>`, `<user_instructions>`,
 *   `<context>`, `<ide_…>`) — agents inject workspace context that way.
 * - user: the remaining user text.
 * - tool-input / tool-result: arguments the model gave a tool, and what the tool returned
 *   (file contents, command output).
 * - assistant: model output sent back as history.
 * - other: everything else (model name, metadata, unknown endpoints).
 */
import { escapePointerToken } from '../json-pointer.js';
import type { Endpoint } from '../policy/routes.js';

export type Part = 'agent' | 'user' | 'assistant' | 'tool-input' | 'tool-result' | 'other';

export interface Field {
  pointer: string;
  value: string;
  part: Part;
  /** For tool-input / tool-result fields: the tool call id that links them. */
  toolCallId?: string;
  /** For tool-input fields: the key the value sits under (e.g. `file_path`, `command`). */
  key?: string;
}

const INJECTED_CONTEXT = /^\s*<(system-reminder|command-[a-z-]+|local-command-[a-z-]+|user-prompt-submit-hook|environment_context|user_instructions|context|ide_[a-z_]+)[\s>]/;

/** True when a user-role text was written by the agent (injected workspace context). */
export function isInjectedContext(text: string): boolean {
  return INJECTED_CONTEXT.test(text);
}

type Json = unknown;

function isObject(v: Json): v is Record<string, Json> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function ptr(base: string, token: string | number): string {
  if (typeof token === 'number') return `${base}/${token}`;
  // Most keys need no escaping: skip the two regex replacements.
  return `${base}/${token.includes('~') || token.includes('/') ? escapePointerToken(token) : token}`;
}

/** Every string under `value`, all with the same part. */
function collect(value: Json, pointer: string, part: Part, out: Field[], extra: Partial<Field> = {}, depth = 0, key?: string): void {
  if (depth > 64) return;
  if (typeof value === 'string') {
    const f: Field = { pointer, value, part, ...extra };
    if (key !== undefined) f.key = key;
    out.push(f);
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => collect(v, ptr(pointer, i), part, out, extra, depth + 1, key));
  } else if (isObject(value)) {
    for (const [k, v] of Object.entries(value)) collect(v, ptr(pointer, k), part, out, extra, depth + 1, k);
  }
}

/**
 * Memo of the fields of history items and agent blocks, keyed by the parsed object. The
 * incremental parser hands the same (never mutated) objects for a history resent
 * unchanged, so their fields are computed once and later requests reuse the same Field
 * arrays: inspection memoizes its per-group results on those arrays (cache.ts).
 */
export type FieldMemo = WeakMap<object, { pointer: string; fields: Field[] }>;

/** Fields in order, as groups: one per memoizable item, and runs of loose fields between them. */
class FieldGroups {
  readonly groups: Field[][] = [];
  private loose: Field[] | null = null;
  constructor(private readonly memo: FieldMemo | undefined) {}

  /** Where fields outside any item go. */
  get out(): Field[] {
    if (!this.loose) {
      this.loose = [];
      this.groups.push(this.loose);
    }
    return this.loose;
  }

  /** The fields of one item (a history message, the tools, the system prompt), memoized by object. */
  item(key: Json, pointer: string, compute: (out: Field[]) => void): void {
    this.loose = null;
    if (this.memo && key !== null && typeof key === 'object') {
      const hit = this.memo.get(key);
      // The same object at another position would carry other pointers: recompute.
      if (hit && hit.pointer === pointer) {
        this.groups.push(hit.fields);
        return;
      }
      const out: Field[] = [];
      compute(out);
      this.memo.set(key, { pointer, fields: out });
      this.groups.push(out);
      return;
    }
    const out: Field[] = [];
    compute(out);
    this.groups.push(out);
  }
}

function userText(text: string): Part {
  return isInjectedContext(text) ? 'agent' : 'user';
}

/** Tool arguments arrive as a JSON string in OpenAI APIs: walk the parsed arguments when possible. */
function collectArguments(args: Json, pointer: string, out: Field[], toolCallId: string | undefined): void {
  const extra: Partial<Field> = toolCallId ? { toolCallId } : {};
  if (typeof args === 'string') {
    const f: Field = { pointer, value: args, part: 'tool-input', key: 'arguments', ...extra };
    out.push(f);
    return;
  }
  collect(args, pointer, 'tool-input', out, extra);
}

function anthropicContent(content: Json, pointer: string, role: string, out: Field[]): void {
  if (typeof content === 'string') {
    out.push({ pointer, value: content, part: role === 'assistant' ? 'assistant' : userText(content) });
    return;
  }
  if (!Array.isArray(content)) return collect(content, pointer, 'other', out);
  content.forEach((block, i) => {
    const p = ptr(pointer, i);
    if (!isObject(block)) return collect(block, p, 'other', out);
    const type = block.type;
    if (type === 'text' && typeof block.text === 'string') {
      out.push({ pointer: ptr(p, 'text'), value: block.text, part: role === 'assistant' ? 'assistant' : userText(block.text) });
      for (const [k, v] of Object.entries(block)) if (k !== 'text') collect(v, ptr(p, k), 'other', out);
    } else if (type === 'tool_use' || type === 'server_tool_use') {
      const id = typeof block.id === 'string' ? block.id : undefined;
      for (const [k, v] of Object.entries(block)) {
        if (k === 'input') collect(v, ptr(p, k), 'tool-input', out, id ? { toolCallId: id } : {});
        else collect(v, ptr(p, k), 'other', out);
      }
    } else if (type === 'tool_result' || (typeof type === 'string' && type.endsWith('_tool_result'))) {
      const id = typeof block.tool_use_id === 'string' ? block.tool_use_id : undefined;
      for (const [k, v] of Object.entries(block)) {
        if (k === 'content') collect(v, ptr(p, k), 'tool-result', out, id ? { toolCallId: id } : {});
        else collect(v, ptr(p, k), 'other', out);
      }
    } else if (type === 'thinking' || type === 'redacted_thinking') {
      collect(block, p, 'assistant', out);
    } else {
      collect(block, p, role === 'assistant' ? 'assistant' : 'other', out);
    }
  });
}

function anthropicFields(body: Record<string, Json>, g: FieldGroups): void {
  for (const [k, v] of Object.entries(body)) {
    const p = ptr('', k);
    if (k === 'system' || k === 'tools') g.item(v, p, (out) => collect(v, p, 'agent', out));
    else if (k === 'messages' && Array.isArray(v)) {
      v.forEach((m, i) => {
        const mp = ptr(p, i);
        g.item(m, mp, (out) => {
          if (!isObject(m)) return collect(m, mp, 'other', out);
          const role = typeof m.role === 'string' ? m.role : 'user';
          for (const [mk, mv] of Object.entries(m)) {
            if (mk === 'content') anthropicContent(mv, ptr(mp, mk), role, out);
            else collect(mv, ptr(mp, mk), 'other', out);
          }
        });
      });
    } else collect(v, p, 'other', g.out);
  }
}

function chatContent(content: Json, pointer: string, part: (text: string) => Part, out: Field[]): void {
  if (typeof content === 'string') {
    out.push({ pointer, value: content, part: part(content) });
    return;
  }
  if (!Array.isArray(content)) return collect(content, pointer, 'other', out);
  content.forEach((block, i) => {
    const p = ptr(pointer, i);
    if (isObject(block) && typeof block.text === 'string') {
      out.push({ pointer: ptr(p, 'text'), value: block.text, part: part(block.text) });
      for (const [k, v] of Object.entries(block)) if (k !== 'text') collect(v, ptr(p, k), 'other', out);
    } else collect(block, p, 'other', out);
  });
}

function rolePart(role: string): (text: string) => Part {
  if (role === 'system' || role === 'developer') return () => 'agent';
  if (role === 'assistant') return () => 'assistant';
  if (role === 'tool' || role === 'function') return () => 'tool-result';
  return userText;
}

function openaiChatFields(body: Record<string, Json>, g: FieldGroups): void {
  for (const [k, v] of Object.entries(body)) {
    const p = ptr('', k);
    if (k === 'tools' || k === 'functions') g.item(v, p, (out) => collect(v, p, 'agent', out));
    else if (k === 'messages' && Array.isArray(v)) {
      v.forEach((m, i) => {
        const mp = ptr(p, i);
        g.item(m, mp, (out) => openaiChatMessage(m, mp, out));
      });
    } else collect(v, p, 'other', g.out);
  }
}

function openaiChatMessage(m: Json, mp: string, out: Field[]): void {
  if (!isObject(m)) return collect(m, mp, 'other', out);
  const role = typeof m.role === 'string' ? m.role : 'user';
  const toolCallId = typeof m.tool_call_id === 'string' ? m.tool_call_id : undefined;
  for (const [mk, mv] of Object.entries(m)) {
    if (mk === 'content') {
      const before = out.length;
      chatContent(mv, ptr(mp, mk), rolePart(role), out);
      if (toolCallId) for (let j = before; j < out.length; j++) out[j]!.toolCallId = toolCallId;
    } else if (mk === 'tool_calls' && Array.isArray(mv)) {
      mv.forEach((call, ci) => {
        const cp = ptr(ptr(mp, mk), ci);
        if (!isObject(call)) return collect(call, cp, 'other', out);
        const id = typeof call.id === 'string' ? call.id : undefined;
        for (const [ck, cv] of Object.entries(call)) {
          if (ck === 'function' && isObject(cv)) {
            for (const [fk, fv] of Object.entries(cv)) {
              if (fk === 'arguments') collectArguments(fv, ptr(ptr(cp, ck), fk), out, id);
              else collect(fv, ptr(ptr(cp, ck), fk), 'other', out);
            }
          } else collect(cv, ptr(cp, ck), 'other', out);
        }
      });
    } else collect(mv, ptr(mp, mk), 'other', out);
  }
}

function openaiResponsesFields(body: Record<string, Json>, g: FieldGroups): void {
  for (const [k, v] of Object.entries(body)) {
    const p = ptr('', k);
    if (k === 'instructions' || k === 'tools') g.item(v, p, (out) => collect(v, p, 'agent', out));
    else if (k === 'input' && typeof v === 'string') g.out.push({ pointer: p, value: v, part: userText(v) });
    else if (k === 'input' && Array.isArray(v)) {
      v.forEach((item, i) => {
        const ip = ptr(p, i);
        g.item(item, ip, (out) => {
          if (!isObject(item)) return collect(item, ip, 'other', out);
          const callId = typeof item.call_id === 'string' ? item.call_id : undefined;
          for (const [ik, iv] of Object.entries(item)) {
            const fp = ptr(ip, ik);
            if (item.type === 'function_call' && ik === 'arguments') collectArguments(iv, fp, out, callId);
            else if (item.type === 'function_call_output' && ik === 'output') collect(iv, fp, 'tool-result', out, callId ? { toolCallId: callId } : {});
            else if (ik === 'content' && typeof item.role === 'string') chatContent(iv, fp, rolePart(item.role), out);
            else collect(iv, fp, 'other', out);
          }
        });
      });
    } else collect(v, p, 'other', g.out);
  }
}

function geminiFields(body: Record<string, Json>, g: FieldGroups): void {
  for (const [k, v] of Object.entries(body)) {
    const p = ptr('', k);
    if (k === 'systemInstruction' || k === 'system_instruction' || k === 'tools') g.item(v, p, (out) => collect(v, p, 'agent', out));
    else if (k === 'contents' && Array.isArray(v)) {
      v.forEach((c, i) => {
        const cp = ptr(p, i);
        g.item(c, cp, (out) => geminiContent(c, cp, out));
      });
    } else collect(v, p, 'other', g.out);
  }
}

function geminiContent(c: Json, cp: string, out: Field[]): void {
  if (!isObject(c) || !Array.isArray(c.parts)) return collect(c, cp, 'other', out);
  const role = c.role === 'model' ? 'assistant' : 'user';
  c.parts.forEach((part, j) => {
    const pp = ptr(ptr(cp, 'parts'), j);
    if (!isObject(part)) return collect(part, pp, 'other', out);
    for (const [pk, pv] of Object.entries(part)) {
      const id = isObject(pv) && typeof pv.id === 'string' ? pv.id : isObject(pv) && typeof pv.name === 'string' ? `name:${pv.name}` : undefined;
      if (pk === 'text' && typeof pv === 'string') out.push({ pointer: ptr(pp, pk), value: pv, part: role === 'assistant' ? 'assistant' : userText(pv) });
      else if (pk === 'functionCall' && isObject(pv)) collect(pv.args, ptr(ptr(pp, pk), 'args'), 'tool-input', out, id ? { toolCallId: id } : {});
      else if (pk === 'functionResponse' && isObject(pv)) collect(pv.response, ptr(ptr(pp, pk), 'response'), 'tool-result', out, id ? { toolCallId: id } : {});
      else collect(pv, ptr(pp, pk), 'other', out);
    }
  });
}

/**
 * Every string of a parsed request body, labelled with who wrote it, in groups (see
 * FieldGroups). With a memo, a group for an object seen before is the same array as then.
 */
export function requestFieldGroups(endpoint: Endpoint, body: Json, memo?: FieldMemo): Field[][] {
  const g = new FieldGroups(memo);
  if (!isObject(body)) {
    collect(body, '', 'other', g.out);
    return g.groups;
  }
  switch (endpoint) {
    case 'anthropic-messages':
      anthropicFields(body, g);
      break;
    case 'openai-chat':
      openaiChatFields(body, g);
      break;
    case 'openai-responses':
      openaiResponsesFields(body, g);
      break;
    case 'gemini-generate':
      geminiFields(body, g);
      break;
    default:
      collect(body, '', 'other', g.out);
  }
  return g.groups;
}

/** Every string of a parsed request body, labelled with who wrote it. */
export function requestFields(endpoint: Endpoint, body: Json): Field[] {
  return requestFieldGroups(endpoint, body).flat();
}
