/**
 * Errors in the client's own wire format: OpenAI `{ error: { message, type, param, code } }` and
 * Anthropic `{ type: 'error', error: { type, message } }`, for HTTP answers and for the error event
 * that ends a stream cut after its first byte.
 */
import type { ErrorKind, HttpProblem } from './status.js';

/** The wire format of a route: the OpenAI Chat Completions family, or Anthropic Messages. */
export type WireFormat = 'openai' | 'anthropic';

/** OpenAI `error.type` by kind (the types the OpenAI API itself answers with). */
const OPENAI_TYPES: Record<ErrorKind, string> = {
  invalid_request: 'invalid_request_error',
  authentication: 'invalid_request_error',
  not_found: 'invalid_request_error',
  conflict: 'invalid_request_error',
  request_too_large: 'invalid_request_error',
  rate_limit: 'rate_limit_error',
  overloaded: 'server_error',
  timeout: 'timeout_error',
  upstream: 'server_error',
  internal: 'server_error',
};

/** Anthropic `error.type` by kind (the types of Anthropic's error list). */
const ANTHROPIC_TYPES: Record<ErrorKind, string> = {
  invalid_request: 'invalid_request_error',
  authentication: 'authentication_error',
  not_found: 'not_found_error',
  conflict: 'invalid_request_error',
  request_too_large: 'request_too_large',
  rate_limit: 'rate_limit_error',
  overloaded: 'overloaded_error',
  timeout: 'timeout_error',
  upstream: 'api_error',
  internal: 'api_error',
};

/** OpenAI `error.code` when the problem names none. */
const OPENAI_CODES: Partial<Record<ErrorKind, string>> = {
  authentication: 'invalid_api_key',
  not_found: 'model_not_found',
  rate_limit: 'rate_limit_exceeded',
};

/** The JSON body of an error answer in `format`. */
export function errorBody(format: WireFormat, problem: Pick<HttpProblem, 'kind' | 'message' | 'param' | 'code'>): Record<string, unknown> {
  if (format === 'anthropic') return { type: 'error', error: { type: ANTHROPIC_TYPES[problem.kind], message: problem.message } };
  return {
    error: {
      message: problem.message,
      type: OPENAI_TYPES[problem.kind],
      param: problem.param ?? null,
      code: problem.code ?? OPENAI_CODES[problem.kind] ?? null,
    },
  };
}

/**
 * The SSE text that ends a stream after a failure: OpenAI `data: {"error":…}` (no `[DONE]`, so the
 * answer is never taken as complete), Anthropic `event: error` with an `api_error`.
 */
export function streamErrorEvent(format: WireFormat, message: string): string {
  if (format === 'anthropic') return `event: error\ndata: ${JSON.stringify({ type: 'error', error: { type: 'api_error', message } })}\n\n`;
  return `data: ${JSON.stringify(errorBody('openai', { kind: 'upstream', message }))}\n\n`;
}
