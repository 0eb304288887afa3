/**
 * Which fields of an `APIError`-like error the API classifier reads, each one alone (the SDKs set
 * several at once, so the real SDK errors of classify-api.test.ts cannot tell them apart), and the
 * optional fields of a failure being absent rather than undefined.
 */
import { describe, expect, it } from 'vitest';
import { classifyApiError } from '../../../src/actors/api/classify-api.js';

const ctx = { label: 'p/m' };

/** A stand-in recognised by its class name, as the SDK errors are. */
class APIError extends Error {}
const apiError = (fields: Record<string, unknown>) => Object.assign(new APIError('sdk message'), fields);

describe('the fields of an APIError, one at a time', () => {
  it('the code and type inside an Anthropic envelope are read', () => {
    const envelope = (inner: Record<string, unknown>) => apiError({ status: 400, error: { type: 'error', error: inner } });
    expect(classifyApiError(envelope({ code: 'context_length_exceeded', message: 'too long' }), ctx)).toEqual({
      reason: 'context_overflow',
      message: 'p/m: 400 context_length_exceeded: too long',
      status: 400,
    });
    expect(classifyApiError(envelope({ type: 'rate_limit_error', message: 'slow' }), ctx).reason).toBe('rate_limit');
  });

  it("the error's own code and type are read", () => {
    expect(classifyApiError(apiError({ status: 400, code: 'context_length_exceeded' }), ctx)).toMatchObject({
      reason: 'context_overflow',
      message: 'p/m: 400 context_length_exceeded: sdk message',
    });
    expect(classifyApiError(apiError({ status: 400, type: 'overloaded_error' }), ctx).reason).toBe('overloaded');
  });

  it("the provider's message (apiMessage) is quoted rather than the SDK's", () => {
    expect(classifyApiError(apiError({ status: 400, apiMessage: 'from the provider' }), ctx).message).toBe('p/m: 400: from the provider');
  });
});

describe('class names', () => {
  it('a prototype without a constructor is passed over', () => {
    const proto = Object.create(Error.prototype, { constructor: { value: undefined } });
    const error = Object.assign(Object.create(proto), { message: 'odd' });
    expect(classifyApiError(error, ctx)).toEqual({ reason: 'unknown', message: 'p/m: error: odd' });
  });
});

describe('optional fields are absent, not undefined', () => {
  it('a failure without status or Retry-After has only reason and message', () => {
    expect(Object.keys(classifyApiError(new Error('weird'), ctx)).sort()).toEqual(['message', 'reason']);
    expect(Object.keys(classifyApiError(apiError({ status: 500 }), ctx)).sort()).toEqual(['message', 'reason', 'status']);
  });
});
