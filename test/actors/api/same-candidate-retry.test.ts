/**
 * The same-candidate retry (src/actors/api/same-candidate-retry.ts): which failures are retried,
 * that the retry happens once, and that an abort during the wait ends the attempt as `aborted`.
 */
import { describe, expect, it } from 'vitest';
import { callWithSameCandidateRetry, sameCandidateRetryMs } from '../../../src/actors/api/same-candidate-retry.js';
import type { ApiCallInput, ApiTurn } from '../../../src/actors/api/types.js';
import { AttemptError } from '../../../src/errors.js';

const input = { provider: { id: 'stub' }, model: 'm' } as unknown as ApiCallInput;
const answer: ApiTurn = { text: 'hi', usage: undefined } as ApiTurn;
const limited = (retryAfterMs?: number) => new AttemptError('rate_limit', 'stub/m: 429', { status: 429, retryAfterMs });

/** A call that fails with `failures` in order, then answers; counts its calls. */
function scripted(...failures: Error[]) {
  const calls = { count: 0 };
  const call = async () => {
    const failure = failures[calls.count++];
    if (failure !== undefined) throw failure;
    return answer;
  };
  return { call, calls };
}

describe('which failures retry the same candidate', () => {
  it('rate_limit and overloaded with a Retry-After within the bound; nothing when the bound is 0', () => {
    expect(sameCandidateRetryMs(limited(20), 50)).toBe(20);
    expect(sameCandidateRetryMs(new AttemptError('overloaded', 'x', { retryAfterMs: 50 }), 50)).toBe(50);
    expect(sameCandidateRetryMs(limited(20), 0)).toBeUndefined();
  });

  it('not without a Retry-After, above the bound, for other reasons, or once output reached the caller', () => {
    expect(sameCandidateRetryMs(limited(), 50)).toBeUndefined();
    expect(sameCandidateRetryMs(limited(51), 50)).toBeUndefined();
    expect(sameCandidateRetryMs(new AttemptError('server_error', 'x', { retryAfterMs: 1 }), 50)).toBeUndefined();
    expect(sameCandidateRetryMs(new AttemptError('rate_limit', 'x', { retryAfterMs: 1, outputSent: true }), 50)).toBeUndefined();
    expect(sameCandidateRetryMs(new Error('plain'), 50)).toBeUndefined();
  });
});

describe('callWithSameCandidateRetry', () => {
  it('a short Retry-After is waited out and the same candidate answers on its retry', async () => {
    const { call, calls } = scripted(limited(10));
    await expect(callWithSameCandidateRetry(call, input, new AbortController().signal, 100)).resolves.toBe(answer);
    expect(calls.count).toBe(2);
  });

  it('the candidate is retried once only: a second refusal is thrown, saying it was retried', async () => {
    const { call, calls } = scripted(limited(10), limited(10));
    const error = (await callWithSameCandidateRetry(call, input, new AbortController().signal, 100).catch(
      (e: unknown) => e,
    )) as AttemptError;
    expect(error).toMatchObject({ reason: 'rate_limit', status: 429, retryAfterMs: 10 });
    expect(error.message).toMatch(/retried once/);
    expect(calls.count).toBe(2);
  });

  it('with the retry off (0) or a long Retry-After the failure is thrown at once', async () => {
    for (const [bound, retryAfter] of [
      [0, 10],
      [100, 5_000],
    ] as const) {
      const refusal = limited(retryAfter);
      const { call, calls } = scripted(refusal);
      await expect(callWithSameCandidateRetry(call, input, new AbortController().signal, bound)).rejects.toBe(refusal);
      expect(calls.count).toBe(1);
    }
  });

  it('an abort during the wait ends the attempt as aborted, without a second call', async () => {
    const { call, calls } = scripted(limited(60_000));
    const controller = new AbortController();
    const running = callWithSameCandidateRetry(call, input, controller.signal, 60_000);
    setTimeout(() => controller.abort(), 10);
    await expect(running).rejects.toMatchObject({ reason: 'aborted' });
    expect(calls.count).toBe(1);
  });
});
