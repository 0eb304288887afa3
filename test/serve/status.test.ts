/**
 * The status table of failed requests (`src/serve/status.ts`): by error code, and for "every
 * candidate failed" by the reasons of the attempts that count.
 */
import { describe, expect, it } from 'vitest';
import { RequestError, SessionBusyError, UsageError, type RequestAttempt } from '../../src/errors.js';
import { allFailedProblem, DEFAULT_RETRY_AFTER_SECONDS, problemFor } from '../../src/serve/status.js';

const failed = (reason: string, extra: Partial<RequestAttempt> = {}): RequestAttempt =>
  ({ model: `p/${reason}`, backend: 'api', ok: false, reason, durationMs: 1, ...extra }) as RequestAttempt;

describe('serve status table', () => {
  it('bad usage is 400, a model outside the allowlist 404, a busy session 409, anything unknown 500', () => {
    expect(problemFor(new UsageError('request.messages: bad')).status).toBe(400);
    expect(problemFor(new UsageError('not allowed', { code: 'SAFETYNET_MODEL_NOT_ALLOWED' }))).toMatchObject({
      status: 404,
      code: 'model_not_found',
    });
    expect(problemFor(new SessionBusyError('busy', { sessionKey: 'k', waitedMs: 5 })).status).toBe(409);
    expect(problemFor(new Error('boom'))).toMatchObject({ status: 500, kind: 'internal' });
  });

  it('all rate-limited or queue-full is 429 with the smallest Retry-After given, rounded up to seconds', () => {
    expect(
      allFailedProblem([failed('rate_limit', { retryAfterMs: 2500 }), failed('queue_full', { retryAfterMs: 9000 })], 'm'),
    ).toMatchObject({
      status: 429,
      retryAfterSeconds: 3,
    });
  });

  it('cooling-down candidates count as rate-limited; with no Retry-After the documented default is sent', () => {
    const problem = allFailedProblem([failed('overloaded', { skipped: true }), failed('rate_limit')], 'm');
    expect(problem).toMatchObject({ status: 429, retryAfterSeconds: DEFAULT_RETRY_AFTER_SECONDS });
  });

  it('all timeouts is 504; all busy (overloaded among them) is 503; any other mix is 502', () => {
    expect(allFailedProblem([failed('timeout'), failed('timeout')], 'm').status).toBe(504);
    expect(allFailedProblem([failed('overloaded'), failed('rate_limit')], 'm').status).toBe(503);
    expect(allFailedProblem([failed('timeout'), failed('auth')], 'm').status).toBe(502);
    expect(allFailedProblem([], 'm').status).toBe(502);
  });

  it('candidates left out by the allowlist do not change the status', () => {
    expect(allFailedProblem([failed('config', { skipped: true }), failed('timeout')], 'm').status).toBe(504);
  });

  it('an interrupted stream is 502; an aborted request 503', () => {
    const details = { attempts: [], requestId: 'r' };
    expect(problemFor(new RequestError('SAFETYNET_STREAM_INTERRUPTED', 'cut', details)).status).toBe(502);
    expect(problemFor(new RequestError('SAFETYNET_ABORTED', 'aborted', details)).status).toBe(503);
  });
});
