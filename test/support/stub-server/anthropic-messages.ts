/**
 * The stub's Anthropic Messages API (`POST /v1/messages`, what `claude` and the Anthropic SDK
 * call): the error JSON `{ type: 'error', error: { type, message }, request_id }` with the type of
 * each HTTP status, the `message` object, and the SSE stream `message_start` … `message_stop`.
 */
import { outputTokens, pieces, type StubProtocol, sse } from './protocol.js';
import type { StubErrorMode } from './types.js';

/** HTTP status → Anthropic error type. */
const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  503: 'api_error',
  529: 'overloaded_error',
};

/** Anthropic error type → its message. */
const MESSAGES: Record<string, string> = {
  invalid_request_error: 'Invalid request.',
  authentication_error: 'invalid x-api-key',
  permission_error: 'Your API key does not have permission to use the specified resource.',
  not_found_error: 'model: not found',
  request_too_large: 'Request exceeds the maximum allowed number of bytes.',
  rate_limit_error: 'This request would exceed the rate limit for your organization of 50 input tokens per minute.',
  api_error: 'Internal server error',
  overloaded_error: 'Overloaded',
};

/** Anthropic error type → HTTP status (for `sseerror:` answers to non-streaming requests). */
const TYPE_STATUS: Record<string, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  overloaded_error: 529,
};

function anthropicError(mode: StubErrorMode, requestId: string): unknown {
  const type = mode.type ?? ERROR_TYPES[mode.status] ?? (mode.status >= 500 ? 'api_error' : 'invalid_request_error');
  const message = mode.message ?? (mode.status === 503 ? 'Service unavailable' : (MESSAGES[type] ?? `Error ${mode.status}`));
  return { type: 'error', error: { type, message }, request_id: requestId };
}

function anthropicEvents(id: string, model: string, text: string): string[] {
  const usage = { input_tokens: 21, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 1 };
  return [
    sse('message_start', {
      type: 'message_start',
      message: { id, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage },
    }),
    sse('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
    sse('ping', { type: 'ping' }),
    ...pieces(text).map((p) =>
      sse('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: p } }),
    ),
    sse('content_block_stop', { type: 'content_block_stop', index: 0 }),
    sse('message_delta', {
      type: 'message_delta',
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { output_tokens: outputTokens(text) },
    }),
    sse('message_stop', { type: 'message_stop' }),
  ];
}

function anthropicMessage(id: string, model: string, text: string): unknown {
  return {
    id,
    type: 'message',
    role: 'assistant',
    model,
    content: [{ type: 'text', text }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: 21, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: outputTokens(text) },
  };
}

/** The Anthropic Messages API of the stub. */
export const anthropicMessages: StubProtocol = {
  api: 'anthropic',
  kind: 'anthropic.messages',
  path: /\/messages$/,
  idPrefix: 'msg',
  requestIdHeader: 'request-id',
  error: anthropicError,
  ok: ({ id, model, text, stream }) =>
    stream ? { events: anthropicEvents(id, model, text) } : { status: 200, json: anthropicMessage(id, model, text) },
  streamError({ id, model, text, stream, requestId }, errType) {
    if (!stream) {
      const status = TYPE_STATUS[errType] ?? 500;
      return { status, json: anthropicError({ status, type: errType }, requestId) };
    }
    const error = { type: 'error', error: { type: errType, message: MESSAGES[errType] ?? errType }, request_id: requestId };
    return { events: [anthropicEvents(id, model, text)[0] ?? '', sse('error', error)] };
  },
};
