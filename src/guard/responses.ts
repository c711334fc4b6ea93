/**
 * Errors the guard answers itself, shaped like the API the agent talks to, so the agent
 * shows the user the reason instead of a parse failure. Every message starts with
 * "telltale:" and says what to do.
 */
import type { ApiKind } from '../core/policy/config.js';

export type GuardErrorKind = 'blocked' | 'too-large' | 'bad-request' | 'upstream-unreachable' | 'upstream-timeout' | 'not-found';

const STATUS: Record<GuardErrorKind, number> = {
  blocked: 403,
  'too-large': 413,
  'bad-request': 400,
  'upstream-unreachable': 502,
  'upstream-timeout': 504,
  'not-found': 404,
};

const ANTHROPIC_TYPE: Record<GuardErrorKind, string> = {
  blocked: 'permission_error',
  'too-large': 'request_too_large',
  'bad-request': 'invalid_request_error',
  'upstream-unreachable': 'api_error',
  'upstream-timeout': 'api_error',
  'not-found': 'not_found_error',
};

const OPENAI_TYPE: Record<GuardErrorKind, string> = {
  blocked: 'invalid_request_error',
  'too-large': 'invalid_request_error',
  'bad-request': 'invalid_request_error',
  'upstream-unreachable': 'server_error',
  'upstream-timeout': 'server_error',
  'not-found': 'invalid_request_error',
};

export interface GuardError {
  status: number;
  body: string;
}

export function guardError(api: ApiKind, kind: GuardErrorKind, message: string): GuardError {
  const text = message.startsWith('telltale:') ? message : `telltale: ${message}`;
  const status = STATUS[kind];
  if (api === 'gemini') {
    const grpc: Record<GuardErrorKind, string> = {
      blocked: 'PERMISSION_DENIED',
      'too-large': 'INVALID_ARGUMENT',
      'bad-request': 'INVALID_ARGUMENT',
      'upstream-unreachable': 'UNAVAILABLE',
      'upstream-timeout': 'DEADLINE_EXCEEDED',
      'not-found': 'NOT_FOUND',
    };
    return { status, body: JSON.stringify({ error: { code: status, message: text, status: grpc[kind] } }) };
  }
  if (api === 'openai') {
    return {
      status,
      body: JSON.stringify({ error: { message: text, type: OPENAI_TYPE[kind], param: null, code: `telltale_${kind.replace(/-/g, '_')}` } }),
    };
  }
  return { status, body: JSON.stringify({ type: 'error', error: { type: ANTHROPIC_TYPE[kind], message: text } }) };
}
