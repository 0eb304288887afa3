/**
 * The OpenAI error JSON both OpenAI APIs of the stub answer with (Responses and Chat Completions
 * share it): the `type` / `code` / message of each HTTP status and of each error code.
 */
import type { StubErrorMode } from './types.js';

/** HTTP status → OpenAI error `type`, `code` and message. */
const OPENAI_ERRORS: Record<number, { type: string; code: string | null; message: string }> = {
  400: { type: 'invalid_request_error', code: null, message: 'Invalid request.' },
  401: {
    type: 'invalid_request_error',
    code: 'invalid_api_key',
    message: 'Incorrect API key provided: sk-stub***. You can find your API key at https://platform.openai.com/account/api-keys.',
  },
  403: {
    type: 'invalid_request_error',
    code: 'unsupported_country_region_territory',
    message: 'Country, region, or territory not supported',
  },
  404: { type: 'invalid_request_error', code: 'model_not_found', message: 'The model does not exist or you do not have access to it.' },
  429: {
    type: 'requests',
    code: 'rate_limit_exceeded',
    message: 'Rate limit reached for requests. Please try again in 1s.',
  },
  500: { type: 'server_error', code: 'server_error', message: 'The server had an error while processing your request.' },
  503: { type: 'server_error', code: 'server_error', message: 'The engine is currently overloaded, please try again later.' },
  529: { type: 'server_error', code: 'overloaded', message: 'Overloaded' },
};

/** OpenAI error code → its message. */
const OPENAI_CODE_MESSAGES: Record<string, string> = {
  insufficient_quota: 'You exceeded your current quota, please check your plan and billing details.',
  rate_limit_exceeded: 'Rate limit reached for requests. Please try again in 0.2s.',
  server_error: 'The server had an error while processing your request.',
  context_length_exceeded: 'Your input exceeds the context window of this model.',
  invalid_api_key: OPENAI_ERRORS[401]?.message ?? 'Incorrect API key provided.',
};

/** OpenAI error code → HTTP status (for `sseerror:` answers to non-streaming requests). */
const OPENAI_CODE_STATUS: Record<string, number> = {
  invalid_api_key: 401,
  rate_limit_exceeded: 429,
  insufficient_quota: 429,
  context_length_exceeded: 400,
  server_error: 500,
};

/**
 * The OpenAI error JSON `{ error: { message, type, param: null, code } }` for an HTTP error mode;
 * `code: 'insufficient_quota'` also sets the type, as the real API does.
 */
export function openaiError(mode: StubErrorMode): unknown {
  const base = OPENAI_ERRORS[mode.status] ?? {
    type: mode.status >= 500 ? 'server_error' : 'invalid_request_error',
    code: null,
    message: `Error ${mode.status}`,
  };
  const code = mode.code ?? base.code;
  const type = mode.type ?? (mode.code === 'insufficient_quota' ? 'insufficient_quota' : base.type);
  const message = mode.message ?? (mode.code !== undefined ? (OPENAI_CODE_MESSAGES[mode.code] ?? base.message) : base.message);
  return { error: { message, type, param: null, code } };
}

/** The message of an OpenAI error code (for in-stream errors). */
export function openaiCodeMessage(code: string): string {
  return OPENAI_CODE_MESSAGES[code] ?? `stub in-stream error: ${code}`;
}

/** The HTTP error a non-streaming request gets for `sseerror:<code>`. */
export function openaiCodeError(code: string): { status: number; json: unknown } {
  const status = OPENAI_CODE_STATUS[code] ?? 500;
  return { status, json: openaiError({ status, code }) };
}
