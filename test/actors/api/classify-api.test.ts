import Anthropic, { APIConnectionError as AnthropicConnectionError, APIError as AnthropicAPIError } from '@anthropic-ai/sdk';
import OpenAI, { APIConnectionTimeoutError, APIError as OpenAIAPIError, APIUserAbortError } from 'openai';
import { describe, expect, it } from 'vitest';
import { ApiStreamError, classifyApiError, retryAfterMsFromHeaders, toApiAttemptError } from '../../../src/actors/api/classify-api.js';
import { AttemptError } from '../../../src/errors.js';

const ctx = { label: 'p/m' };

function anthropicStatus(status: number, type: string, message: string, headers: Record<string, string> = {}) {
  return AnthropicAPIError.generate(status, { type: 'error', error: { type, message } }, undefined, new Headers(headers));
}
function openaiStatus(
  status: number,
  body: { message: string; type?: string; code?: string | null },
  headers: Record<string, string> = {},
) {
  return OpenAIAPIError.generate(
    status,
    { error: { type: 'invalid_request_error', code: null, param: null, ...body } },
    undefined,
    new Headers(headers),
  );
}

describe('classifyApiError: the HTTP status first', () => {
  it.each([
    [401, 'auth'],
    [403, 'auth'],
    [402, 'billing'],
    [404, 'model_not_found'],
    [408, 'timeout'],
    [413, 'context_overflow'],
    [429, 'rate_limit'],
    [500, 'server_error'],
    [502, 'server_error'],
    [503, 'overloaded'],
    [529, 'overloaded'],
  ] as const)('status %i is %s', (status, reason) => {
    expect(classifyApiError(anthropicStatus(status, 'x_error', 'nope'), ctx)).toMatchObject({ reason, status });
    expect(classifyApiError(openaiStatus(status, { message: 'nope' }), ctx)).toMatchObject({ reason, status });
  });

  it('a status wins over a contradicting text', () => {
    expect(classifyApiError(anthropicStatus(529, 'overloaded_error', 'rate limit'), ctx).reason).toBe('overloaded');
  });

  it('a 429 with the insufficient_quota code is billing', () => {
    expect(
      classifyApiError(openaiStatus(429, { message: 'quota', code: 'insufficient_quota', type: 'insufficient_quota' }), ctx).reason,
    ).toBe('billing');
  });

  it('a 400 defers to the code, then to the text', () => {
    expect(classifyApiError(openaiStatus(400, { message: 'too long', code: 'context_length_exceeded' }), ctx).reason).toBe(
      'context_overflow',
    );
    expect(
      classifyApiError(anthropicStatus(400, 'invalid_request_error', 'prompt is too long: 215345 tokens > 200000 maximum'), ctx).reason,
    ).toBe('context_overflow');
    expect(classifyApiError(anthropicStatus(400, 'invalid_request_error', 'messages: field required'), ctx)).toMatchObject({
      reason: 'unknown',
      status: 400,
    });
  });

  it('the message is "<label>: <status> <type>: <provider message>"', () => {
    expect(classifyApiError(anthropicStatus(429, 'rate_limit_error', 'slow down'), ctx).message).toBe(
      'p/m: 429 rate_limit_error: slow down',
    );
  });
});

describe('classifyApiError: codes, then texts', () => {
  it('an error event without a status is classified by its type', () => {
    const inStream = new AnthropicAPIError(
      undefined,
      { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } },
      undefined,
      new Headers(),
      'overloaded_error',
    );
    expect(classifyApiError(inStream, ctx)).toEqual({ reason: 'overloaded', message: 'p/m: stream error overloaded_error: Overloaded' });
  });

  it('stream events raised by the runners are classified by code, then text', () => {
    expect(classifyApiError(new ApiStreamError('response.failed', 'x', 'rate_limit_exceeded'), ctx).reason).toBe('rate_limit');
    expect(classifyApiError(new ApiStreamError('error', 'The engine is currently overloaded'), ctx).reason).toBe('overloaded');
    expect(classifyApiError(new ApiStreamError('truncated', 'the stream ended early'), ctx).reason).toBe('server_error');
  });

  it.each([
    ['ECONNREFUSED', 'transport'],
    ['ENOTFOUND', 'transport'],
    ['ECONNRESET', 'transport'],
    ['EAI_AGAIN', 'transport'],
    ['ETIMEDOUT', 'timeout'],
    ['UND_ERR_CONNECT_TIMEOUT', 'timeout'],
    ['UND_ERR_SOCKET', 'transport'],
  ] as const)('a connection error caused by %s is %s', (code, reason) => {
    const errno = Object.assign(new Error(`connect ${code}`), { code });
    const error = new AnthropicConnectionError({ cause: new TypeError('fetch failed', { cause: errno }) });
    expect(classifyApiError(error, ctx)).toEqual({ reason, message: `p/m: connection failed (${code})` });
  });

  it('a connection error without a known code is transport', () => {
    expect(classifyApiError(new AnthropicConnectionError({ message: 'Connection error.' }), ctx).reason).toBe('transport');
  });

  it("the SDK's connection timeout is timeout and its user abort is aborted", () => {
    expect(classifyApiError(new APIConnectionTimeoutError(), ctx).reason).toBe('timeout');
    expect(classifyApiError(new APIUserAbortError(), ctx).reason).toBe('aborted');
  });

  it('a JSON parse error is server_error (malformed response)', () => {
    let error: unknown;
    try {
      JSON.parse('{nope');
    } catch (caught) {
      error = caught;
    }
    expect(classifyApiError(error, ctx)).toMatchObject({ reason: 'server_error' });
  });

  it('an unrecognized error is unknown', () => {
    expect(classifyApiError(new Error('weird'), ctx)).toEqual({ reason: 'unknown', message: 'p/m: error: weird' });
  });
});

describe('classifyApiError: abort and deadline come first', () => {
  it("the caller's abort wins over everything, then our deadline", () => {
    const error = anthropicStatus(500, 'api_error', 'boom');
    expect(classifyApiError(error, { ...ctx, aborted: true, timedOut: true }).reason).toBe('aborted');
    expect(classifyApiError(error, { ...ctx, timedOut: true, timeoutMs: 250 })).toEqual({
      reason: 'timeout',
      message: 'p/m: no answer within 250 ms',
    });
  });
});

describe('Retry-After', () => {
  const headers = (values: Record<string, string>) => new Headers(values);

  it('retry-after-ms wins, then retry-after in seconds', () => {
    expect(retryAfterMsFromHeaders(headers({ 'retry-after-ms': '1500', 'retry-after': '9' }))).toBe(1500);
    expect(retryAfterMsFromHeaders(headers({ 'retry-after': '2.5' }))).toBe(2500);
  });

  it('an HTTP date is turned into the remaining milliseconds; a past date is ignored', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterMsFromHeaders(headers({ 'retry-after': 'Thu, 01 Jan 2026 00:00:30 GMT' }), now)).toBe(30_000);
    expect(retryAfterMsFromHeaders(headers({ 'retry-after': 'Wed, 31 Dec 2025 23:00:00 GMT' }), now)).toBeUndefined();
  });

  it('garbage and absent headers give undefined', () => {
    expect(retryAfterMsFromHeaders(headers({ 'retry-after': 'soon' }))).toBeUndefined();
    expect(retryAfterMsFromHeaders(headers({}))).toBeUndefined();
  });

  it('the header reaches the failure; without it a "try again in" text is used', () => {
    expect(classifyApiError(anthropicStatus(429, 'rate_limit_error', 'slow', { 'retry-after': '12' }), ctx).retryAfterMs).toBe(12_000);
    expect(classifyApiError(openaiStatus(429, { message: 'Please try again in 2.4s.' }), ctx).retryAfterMs).toBe(2400);
  });
});

describe('the API key never appears', () => {
  it('a key quoted by the provider is redacted from the message', () => {
    const key = 'sk-live-abcdefghijklmnop';
    const failure = classifyApiError(anthropicStatus(401, 'authentication_error', `invalid key ${key}`), { ...ctx, apiKey: key });
    expect(failure.message).toBe('p/m: 401 authentication_error: invalid key [redacted]');
  });

  it('toApiAttemptError keeps status, retryAfterMs and the SDK error as cause', () => {
    const sdkError = anthropicStatus(429, 'rate_limit_error', 'slow', { 'retry-after': '1' });
    const error = toApiAttemptError(sdkError, ctx);
    expect(error).toBeInstanceOf(AttemptError);
    expect(error).toMatchObject({ reason: 'rate_limit', status: 429, retryAfterMs: 1000, code: 'SAFETYNET_ATTEMPT_FAILED' });
    expect(error.cause).toBe(sdkError);
  });
});

it('both SDKs load on this Node version', () => {
  expect(typeof Anthropic).toBe('function');
  expect(typeof OpenAI).toBe('function');
});
