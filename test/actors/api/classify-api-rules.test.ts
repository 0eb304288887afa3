/**
 * The edges of the API failure classifier (src/actors/api/classify-api.ts): how each kind of SDK
 * error is recognised, which fields are read and in which order, the exact message of each kind,
 * the bounds of the searches, and every form of Retry-After. classify-api.test.ts shows the main
 * rules on real SDK errors; this file pins the rest.
 */
import { APIError as AnthropicAPIError, APIConnectionError as AnthropicConnectionError } from '@anthropic-ai/sdk';
import { APIConnectionTimeoutError, APIError as OpenAIAPIError, APIUserAbortError } from 'openai';
import { describe, expect, it } from 'vitest';
import { ApiStreamError, classifyApiError, retryAfterMsFromHeaders, toApiAttemptError } from '../../../src/actors/api/classify-api.js';
import { AttemptError } from '../../../src/errors.js';

const ctx = { label: 'p/m' };

/** A header lookup that returns exactly the given values (no `Headers` normalisation). */
const lookup = (values: Record<string, string>) => ({ get: (name: string) => values[name] ?? null });

/** An errno-like error with a `code` and an optional `cause`. */
const errno = (code: string, cause?: unknown) => Object.assign(new Error(`errno ${code}`), { code }, cause === undefined ? {} : { cause });

describe('the messages of each kind of failure', () => {
  it('a thrown value String cannot print (no prototype, a throwing toString) is still classified, as unknown', () => {
    const bare = Object.create(null) as object;
    const hostile = {
      toString: () => {
        throw new Error('no');
      },
    };
    for (const value of [bare, hostile]) expect(classifyApiError(value, ctx)).toMatchObject({ reason: 'unknown' });
  });

  it('a deadline without a known length says "?"', () => {
    expect(classifyApiError(new Error('x'), { ...ctx, timedOut: true })).toEqual({
      reason: 'timeout',
      message: 'p/m: no answer within ? ms',
    });
  });

  it("the caller's abort names the caller", () => {
    expect(classifyApiError(new Error('x'), { ...ctx, aborted: true })).toEqual({
      reason: 'aborted',
      message: 'p/m: aborted by the caller',
    });
  });

  it("the SDK's abort and connection timeout have their own lines", () => {
    expect(classifyApiError(new APIUserAbortError(), ctx)).toEqual({ reason: 'aborted', message: 'p/m: request aborted' });
    expect(classifyApiError(new APIConnectionTimeoutError(), ctx)).toEqual({
      reason: 'timeout',
      message: 'p/m: the request timed out (no response headers)',
    });
  });

  it('a stream event is "<event> <code>: <text>", and a truncated stream is a server error', () => {
    expect(classifyApiError(new ApiStreamError('response.failed', 'slow down', 'rate_limit_exceeded'), ctx)).toEqual({
      reason: 'rate_limit',
      message: 'p/m: response.failed rate_limit_exceeded: slow down',
    });
    expect(classifyApiError(new ApiStreamError('truncated', 'the stream ended early'), ctx)).toEqual({
      reason: 'server_error',
      message: 'p/m: truncated: the stream ended early',
    });
    expect(classifyApiError(new ApiStreamError('error', 'something odd'), ctx)).toEqual({
      reason: 'unknown',
      message: 'p/m: error: something odd',
    });
  });

  it('a stream error carries its event and code, and names itself', () => {
    const error = new ApiStreamError('response.incomplete', 'cut', 'max_output_tokens');
    expect(error).toMatchObject({ event: 'response.incomplete', code: 'max_output_tokens', message: 'cut', name: 'ApiStreamError' });
    expect(new ApiStreamError('error', 'x').code).toBeUndefined();
  });

  it('a connection error without a code says only that the connection failed', () => {
    expect(classifyApiError(new AnthropicConnectionError({ message: 'Connection error.' }), ctx)).toEqual({
      reason: 'transport',
      message: 'p/m: connection failed',
    });
  });

  it('a malformed body quotes the parser', () => {
    expect(classifyApiError(new SyntaxError('Unexpected token n in JSON'), ctx)).toEqual({
      reason: 'server_error',
      message: 'p/m: malformed response: Unexpected token n in JSON',
    });
  });

  it("undici's bare 'terminated' is a dropped connection (transport); another plain error is unknown", () => {
    expect(classifyApiError(new TypeError('terminated'), ctx)).toEqual({ reason: 'transport', message: 'p/m: error: terminated' });
    expect(classifyApiError(new TypeError('terminated early'), ctx).reason).toBe('unknown');
  });

  it('a stream cut off, unreadable or past the answer cap is server_error (the provider broke the stream)', () => {
    for (const event of ['truncated', 'malformed', 'too_large']) {
      expect(classifyApiError(new ApiStreamError(event, 'x'), ctx)).toEqual({ reason: 'server_error', message: `p/m: ${event}: x` });
    }
  });

  it('a plain error with an errno on its cause chain is classified by it', () => {
    expect(classifyApiError(new TypeError('fetch failed', { cause: errno('ECONNRESET') }), ctx)).toEqual({
      reason: 'transport',
      message: 'p/m: error (ECONNRESET): fetch failed',
    });
  });

  it('anything thrown that is not an Error is quoted as a string', () => {
    expect(classifyApiError('boom', ctx)).toEqual({ reason: 'unknown', message: 'p/m: error: boom' });
    expect(classifyApiError(null, ctx)).toEqual({ reason: 'unknown', message: 'p/m: error: null' });
    expect(classifyApiError(undefined, ctx)).toEqual({ reason: 'unknown', message: 'p/m: error: undefined' });
    expect(classifyApiError(42, ctx)).toEqual({ reason: 'unknown', message: 'p/m: error: 42' });
  });
});

describe('SDK errors are recognised by their class names, at most 8 classes deep', () => {
  it('a subclass of an SDK class is recognised like it', () => {
    class WrappedAbort extends APIUserAbortError {}
    expect(classifyApiError(new WrappedAbort(), ctx).reason).toBe('aborted');
  });

  it('a class named APIError 8 levels up is read; 9 levels up is out of reach', () => {
    class APIError extends Error {
      status = 429;
    }
    let deep: typeof APIError = APIError;
    for (let i = 0; i < 7; i += 1) deep = class extends deep {};
    expect(classifyApiError(new deep('x'), ctx).reason).toBe('rate_limit');
    const deeper = class extends deep {};
    expect(classifyApiError(new deeper('x'), ctx).reason).toBe('unknown');
  });
});

describe('which fields of an APIError are read', () => {
  it("Anthropic's details.error_code comes before the error type", () => {
    const error = AnthropicAPIError.generate(
      400,
      { type: 'error', error: { type: 'invalid_request_error', message: 'no', details: { error_code: 'billing_error' } } },
      undefined,
      new Headers(),
    );
    expect(classifyApiError(error, ctx)).toMatchObject({ reason: 'billing', message: 'p/m: 400 billing_error: no' });
  });

  it("OpenAI's code comes before its type, and both are read after the status", () => {
    const error = OpenAIAPIError.generate(
      400,
      { error: { message: 'too long', type: 'rate_limit_error', code: 'context_length_exceeded', param: null } },
      undefined,
      new Headers(),
    );
    expect(classifyApiError(error, ctx)).toMatchObject({
      reason: 'context_overflow',
      message: 'p/m: 400 context_length_exceeded: too long',
    });
  });

  it('the type "error" of an Anthropic envelope is no code', () => {
    const error = new AnthropicAPIError(
      undefined,
      { type: 'error', error: { type: 'error', message: 'Overloaded' } },
      undefined,
      new Headers(),
    );
    expect(classifyApiError(error, ctx)).toEqual({ reason: 'overloaded', message: 'p/m: stream error: Overloaded' });
  });

  it('without a provider message the SDK message is quoted; a blank provider message counts as none', () => {
    const bare = new AnthropicAPIError(503, undefined, 'upstream down', new Headers());
    expect(classifyApiError(bare, ctx)).toEqual({ reason: 'overloaded', message: 'p/m: 503: 503 upstream down', status: 503 });
    const blank = OpenAIAPIError.generate(500, { error: { message: '   ', type: 'server_error' } }, undefined, new Headers());
    expect(classifyApiError(blank, ctx).message).toBe(`p/m: 500 server_error: ${blank.message.trim()}`);
  });

  it('a status outside 100–599 or not a number is no status', () => {
    const odd = Object.assign(new AnthropicAPIError(undefined, undefined, 'Overloaded', new Headers()), { status: 1000 });
    expect(classifyApiError(odd, ctx)).toEqual({ reason: 'overloaded', message: 'p/m: stream error: Overloaded' });
    const text = Object.assign(new AnthropicAPIError(undefined, undefined, 'x', new Headers()), { status: '429' });
    expect(classifyApiError(text, ctx)).toEqual({ reason: 'unknown', message: 'p/m: stream error: x' });
  });

  it('headers that are not a lookup are ignored', () => {
    const error = Object.assign(new AnthropicAPIError(429, undefined, 'slow', new Headers()), { headers: { 'retry-after': '5' } });
    expect(classifyApiError(error, ctx)).toEqual({ reason: 'rate_limit', message: 'p/m: 429: 429 slow', status: 429 });
    expect(retryAfterMsFromHeaders({} as never)).toBeUndefined();
    expect(retryAfterMsFromHeaders(undefined)).toBeUndefined();
  });
});

describe('the errno on the cause chain', () => {
  const connection = (cause: unknown) => new AnthropicConnectionError({ message: 'Connection error.', cause: cause as Error });

  it('a lower-case or mixed code is not an errno; the search goes on down the chain', () => {
    const error = connection(Object.assign(new Error('a'), { code: 'fetch_failed', cause: errno('ECONNREFUSED') }));
    expect(classifyApiError(error, ctx).message).toBe('p/m: connection failed (ECONNREFUSED)');
    expect(classifyApiError(connection(errno('Econnrefused')), ctx).message).toBe('p/m: connection failed');
    expect(classifyApiError(connection(errno('xECONNREFUSED')), ctx).message).toBe('p/m: connection failed');
    expect(classifyApiError(connection(errno('ECONNREFUSEDx')), ctx).message).toBe('p/m: connection failed');
  });

  it("an AggregateError's first coded member counts (Node tries every address)", () => {
    const aggregate = Object.assign(
      new AggregateError(['not an error', { message: 'no code' }, { code: 'ECONNREFUSED' }, { code: 'EHOSTUNREACH' }]),
      {},
    );
    expect(classifyApiError(connection(aggregate), ctx)).toEqual({ reason: 'transport', message: 'p/m: connection failed (ECONNREFUSED)' });
  });

  it('the chain is searched 6 links deep: the error itself and 5 causes', () => {
    let chain: unknown = errno('ETIMEDOUT');
    for (let i = 0; i < 4; i += 1) chain = new Error(`link ${i}`, { cause: chain });
    // connection error → 4 plain links → the errno: 6 links
    expect(classifyApiError(connection(chain), ctx).reason).toBe('timeout');
    expect(classifyApiError(connection(new Error('one more', { cause: chain })), ctx)).toEqual({
      reason: 'transport',
      message: 'p/m: connection failed',
    });
  });
});

describe('the API key is redacted when it is at least 4 characters long', () => {
  it('a 4-character key is redacted; a shorter one is not (it would blank ordinary words)', () => {
    const say = (apiKey: string) => classifyApiError(new Error('key abcd is wrong'), { ...ctx, apiKey }).message;
    expect(say('abcd')).toBe('p/m: error: key [redacted] is wrong');
    expect(say('abc')).toBe('p/m: error: key abcd is wrong');
  });
});

describe('Retry-After headers, every form', () => {
  it('retry-after-ms is rounded; zero or garbage falls back to retry-after', () => {
    expect(retryAfterMsFromHeaders(lookup({ 'retry-after-ms': '1500.6' }))).toBe(1501);
    expect(retryAfterMsFromHeaders(lookup({ 'retry-after-ms': '0', 'retry-after': '3' }))).toBe(3000);
    expect(retryAfterMsFromHeaders(lookup({ 'retry-after-ms': 'soon', 'retry-after': '3' }))).toBe(3000);
  });

  it('retry-after seconds are trimmed; zero seconds is no wait', () => {
    expect(retryAfterMsFromHeaders(lookup({ 'retry-after': ' 4 ' }))).toBe(4000);
    expect(retryAfterMsFromHeaders(lookup({ 'retry-after': '0' }))).toBeUndefined();
    expect(retryAfterMsFromHeaders(lookup({ 'retry-after': '' }))).toBeUndefined();
    expect(retryAfterMsFromHeaders(lookup({ 'retry-after': '0.0004' }))).toBe(0);
  });

  it('a date that ends in digits is a date, not seconds; a date equal to now is no wait', () => {
    const value = '2030-01-01T00:00:30';
    const now = Date.parse(value) - 30_000;
    expect(retryAfterMsFromHeaders(lookup({ 'retry-after': value }), now)).toBe(30_000);
    expect(retryAfterMsFromHeaders(lookup({ 'retry-after': value }), Date.parse(value))).toBeUndefined();
  });
});

describe('toApiAttemptError', () => {
  it('an AttemptError passes through unchanged', () => {
    const error = new AttemptError('auth', 'already classified');
    expect(toApiAttemptError(error, ctx)).toBe(error);
  });
});
