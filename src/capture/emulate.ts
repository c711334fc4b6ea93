/**
 * Answers like the real LLM APIs, well enough for an agent to finish a one-shot
 * prompt: Anthropic Messages (JSON and SSE with the real event sequence,
 * count_tokens, models) and OpenAI chat completions and responses (JSON and SSE).
 * Everything else gets a harmless 404. Pure: request in, reply out. Ids are
 * counters, not random, so nothing in the answer differs between runs and an
 * agent that echoes ids back does not create false differences.
 */
import type { EndpointKind } from './types.js';

export interface EmulatedReply {
  status: number;
  headers: Record<string, string>;
  /** A whole body, or … */
  body?: string;
  /** … server-sent events, written one by one. */
  events?: string[];
}

export interface EmulateInput {
  method: string;
  path: string;
  endpoint: EndpointKind;
  json: unknown;
  /** Arrival number on the server: makes the ids of the answer. */
  seq: number;
}

export interface EmulateOptions {
  /** The assistant's answer text. */
  replyText: string;
}

export const DEFAULT_REPLY_TEXT = 'Hello! (answer from the telltale capture server)';

const CREATED = 1_767_225_600; // fixed timestamp: 2026-01-01T00:00:00Z

/** Classifies a request by method and path suffix (base URLs add prefixes such as /anthropic or /api/paas/v4). */
export function classifyEndpoint(method: string, path: string): EndpointKind {
  const p = (path.split('?')[0] ?? '').replace(/\/+$/, '');
  if (method === 'CONNECT') return 'connect';
  if (method === 'POST' && /\/messages\/count_tokens$/.test(p)) return 'anthropic.count_tokens';
  if (method === 'POST' && /\/(?:v1\/)?messages$/.test(p) && !/\/threads\//.test(p)) return 'anthropic.messages';
  if (method === 'POST' && /\/chat\/completions$/.test(p)) return 'openai.chat';
  if (method === 'POST' && /\/responses$/.test(p)) return 'openai.responses';
  if (method === 'GET' && /\/models(?:\/[^/]+)?$/.test(p)) return 'models';
  return 'other';
}

function obj(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function id(prefix: string, seq: number): string {
  return `${prefix}${String(seq + 1).padStart(20, '0')}`;
}

const sse = (event: string | null, data: unknown): string =>
  `${event ? `event: ${event}\n` : ''}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;

function json(status: number, body: unknown, extra: Record<string, string> = {}): EmulatedReply {
  return { status, headers: { 'content-type': 'application/json', ...extra }, body: JSON.stringify(body) };
}

const SSE_HEADERS = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' };

/** Rough, deterministic token estimate (≈4 characters a token), for usage fields. */
function estimateTokens(value: unknown): number {
  return Math.max(1, Math.ceil(JSON.stringify(value ?? '').length / 4));
}

function anthropicMessages(input: EmulateInput, options: EmulateOptions): EmulatedReply {
  const req = obj(input.json);
  const model = typeof req.model === 'string' ? req.model : 'claude-sonnet-4-5';
  const messageId = id('msg_telltale', input.seq);
  const requestId = id('req_telltale', input.seq);
  const choice = obj(req.tool_choice);
  const forcedTool = choice.type === 'tool' && typeof choice.name === 'string' ? choice.name : null;
  const usageIn = { input_tokens: estimateTokens(req.messages), cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
  const block = forcedTool
    ? { type: 'tool_use', id: id('toolu_telltale', input.seq), name: forcedTool, input: {} }
    : { type: 'text', text: options.replyText };
  const stopReason = forcedTool ? 'tool_use' : 'end_turn';
  const outputTokens = estimateTokens(options.replyText);
  const headers = { 'request-id': requestId };
  if (req.stream !== true) {
    return json(
      200,
      {
        id: messageId,
        type: 'message',
        role: 'assistant',
        model,
        content: [block],
        stop_reason: stopReason,
        stop_sequence: null,
        usage: { ...usageIn, output_tokens: outputTokens },
      },
      headers,
    );
  }
  const events = [
    sse('message_start', {
      type: 'message_start',
      message: {
        id: messageId,
        type: 'message',
        role: 'assistant',
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { ...usageIn, output_tokens: 1 },
      },
    }),
    sse('content_block_start', {
      type: 'content_block_start',
      index: 0,
      content_block: forcedTool ? { ...block, input: {} } : { type: 'text', text: '' },
    }),
    sse('ping', { type: 'ping' }),
    forcedTool
      ? sse('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '{}' } })
      : sse('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: options.replyText } }),
    sse('content_block_stop', { type: 'content_block_stop', index: 0 }),
    sse('message_delta', {
      type: 'message_delta',
      delta: { stop_reason: stopReason, stop_sequence: null },
      usage: { output_tokens: outputTokens },
    }),
    sse('message_stop', { type: 'message_stop' }),
  ];
  return { status: 200, headers: { ...SSE_HEADERS, ...headers }, events };
}

function openaiChat(input: EmulateInput, options: EmulateOptions): EmulatedReply {
  const req = obj(input.json);
  const model = typeof req.model === 'string' ? req.model : 'gpt-4o';
  const completionId = id('chatcmpl-telltale', input.seq);
  const promptTokens = estimateTokens(req.messages);
  const completionTokens = estimateTokens(options.replyText);
  const usage = { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
  if (req.stream !== true) {
    return json(200, {
      id: completionId,
      object: 'chat.completion',
      created: CREATED,
      model,
      choices: [{ index: 0, message: { role: 'assistant', content: options.replyText, refusal: null }, logprobs: null, finish_reason: 'stop' }],
      usage,
    });
  }
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}): string =>
    sse(null, { id: completionId, object: 'chat.completion.chunk', created: CREATED, model, choices, ...extra });
  const events = [
    chunk([{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }]),
    chunk([{ index: 0, delta: { content: options.replyText }, logprobs: null, finish_reason: null }]),
    chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }]),
  ];
  if (obj(req.stream_options).include_usage === true) events.push(chunk([], { usage }));
  events.push(sse(null, '[DONE]'));
  return { status: 200, headers: SSE_HEADERS, events };
}

function openaiResponses(input: EmulateInput, options: EmulateOptions): EmulatedReply {
  const req = obj(input.json);
  const model = typeof req.model === 'string' ? req.model : 'gpt-4o';
  const responseId = id('resp_telltale', input.seq);
  const itemId = id('msg_telltale', input.seq);
  const inputTokens = estimateTokens(req.input);
  const outputTokens = estimateTokens(options.replyText);
  const usage = {
    input_tokens: inputTokens,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: outputTokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: inputTokens + outputTokens,
  };
  const part = { type: 'output_text', text: options.replyText, annotations: [] };
  const item = { id: itemId, type: 'message', status: 'completed', role: 'assistant', content: [part] };
  const response = (status: string, output: unknown[], withUsage: boolean): Record<string, unknown> => ({
    id: responseId,
    object: 'response',
    created_at: CREATED,
    status,
    model,
    output,
    parallel_tool_calls: true,
    tool_choice: 'auto',
    tools: [],
    usage: withUsage ? usage : null,
  });
  if (req.stream !== true) return json(200, response('completed', [item], true));
  let n = 0;
  const ev = (type: string, data: Record<string, unknown>): string => sse(type, { type, sequence_number: n++, ...data });
  const events = [
    ev('response.created', { response: response('in_progress', [], false) }),
    ev('response.in_progress', { response: response('in_progress', [], false) }),
    ev('response.output_item.added', { output_index: 0, item: { ...item, status: 'in_progress', content: [] } }),
    ev('response.content_part.added', { item_id: itemId, output_index: 0, content_index: 0, part: { ...part, text: '' } }),
    ev('response.output_text.delta', { item_id: itemId, output_index: 0, content_index: 0, delta: options.replyText, logprobs: [] }),
    ev('response.output_text.done', { item_id: itemId, output_index: 0, content_index: 0, text: options.replyText, logprobs: [] }),
    ev('response.content_part.done', { item_id: itemId, output_index: 0, content_index: 0, part }),
    ev('response.output_item.done', { output_index: 0, item }),
    ev('response.completed', { response: response('completed', [item], true) }),
  ];
  return { status: 200, headers: SSE_HEADERS, events };
}

const MODELS = ['claude-sonnet-4-5', 'claude-opus-4-1', 'claude-haiku-4-5', 'gpt-4o', 'gpt-5'];

function models(path: string): EmulatedReply {
  const p = (path.split('?')[0] ?? '').replace(/\/+$/, '');
  const single = /\/models\/([^/]+)$/.exec(p);
  const entry = (m: string): Record<string, unknown> => ({
    id: m,
    type: 'model',
    object: 'model',
    display_name: m,
    created_at: '2026-01-01T00:00:00Z',
    created: CREATED,
    owned_by: 'telltale',
  });
  if (single) return json(200, entry(decodeURIComponent(single[1]!)));
  return json(200, { data: MODELS.map(entry), object: 'list', has_more: false, first_id: MODELS[0], last_id: MODELS.at(-1) });
}

/** The reply for one request. */
export function emulate(input: EmulateInput, options: EmulateOptions = { replyText: DEFAULT_REPLY_TEXT }): EmulatedReply {
  switch (input.endpoint) {
    case 'anthropic.messages':
      return anthropicMessages(input, options);
    case 'anthropic.count_tokens':
      return json(200, { input_tokens: estimateTokens(obj(input.json).messages) });
    case 'openai.chat':
      return openaiChat(input, options);
    case 'openai.responses':
      return openaiResponses(input, options);
    case 'models':
      return models(input.path);
    default:
      break;
  }
  const bare = (input.path.split('?')[0] ?? '/').replace(/\/+$/, '');
  // Reachability checks (HEAD / or GET / on the base URL) get an empty success.
  if ((input.method === 'HEAD' || input.method === 'GET') && bare === '') return { status: 200, headers: {}, body: '' };
  return json(404, {
    type: 'error',
    error: { type: 'not_found_error', message: 'endpoint not emulated by the telltale capture server' },
  });
}
