/**
 * One retry of the same API candidate when it refused with a short Retry-After
 * (`safetynet.retry.sameCandidateMaxMs`, default 0 = off; `docs/failover-policy.md#same-candidate-retry`):
 * a `rate_limit` or `overloaded` failure whose Retry-After is at most the bound is waited out, then
 * the call is made once more before the request falls back. The wait is abortable and runs inside
 * the attempt's deadline, so the request machine sees one (longer) attempt.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { AttemptError } from '../../errors.js';
import type { CallApiOptions } from './call-api.js';
import type { ApiCallInput, ApiTurn } from './types.js';

/** Calls an API provider once (`callApi` of `./call-api.ts`). */
export type ApiCall = (input: ApiCallInput, signal: AbortSignal, options?: CallApiOptions) => Promise<ApiTurn>;

/**
 * How long to wait before retrying the same candidate after `error`, in ms, or `undefined` for no
 * retry: only an `AttemptError` of reason `rate_limit` or `overloaded` with a Retry-After in
 * [0, maxMs], and none once part of the answer reached the caller (`outputSent`).
 *
 * @param maxMs the bound (`safetynet.retry.sameCandidateMaxMs`); `0` turns the retry off.
 */
export function sameCandidateRetryMs(error: unknown, maxMs: number): number | undefined {
  if (!(maxMs > 0) || !(error instanceof AttemptError) || error.outputSent) return undefined;
  if (error.reason !== 'rate_limit' && error.reason !== 'overloaded') return undefined;
  const wait = error.retryAfterMs;
  return wait !== undefined && wait >= 0 && wait <= maxMs ? wait : undefined;
}

/**
 * `call(input, signal)`, retried once after the provider's short Retry-After (see
 * {@link sameCandidateRetryMs}). A second failure is thrown with its own fields and a message that
 * says the candidate was retried.
 *
 * @param maxMs the bound in ms; `0` calls once.
 * @param options passed to every call (the streaming hooks).
 * @throws AttemptError what `call` throws; `aborted` when `signal` aborts during the wait.
 */
export async function callWithSameCandidateRetry(
  call: ApiCall,
  input: ApiCallInput,
  signal: AbortSignal,
  maxMs: number,
  options: CallApiOptions = {},
): Promise<ApiTurn> {
  let wait: number | undefined;
  try {
    return await call(input, signal, options);
  } catch (error) {
    wait = sameCandidateRetryMs(error, maxMs);
    if (wait === undefined) throw error;
  }
  const label = `${input.provider.id}/${input.model}`;
  try {
    await sleep(wait, undefined, { signal });
  } catch {
    throw new AttemptError('aborted', `${label}: aborted by the caller while waiting ${wait} ms to retry`);
  }
  try {
    return await call(input, signal, options);
  } catch (error) {
    if (!(error instanceof AttemptError)) throw error;
    const { reason, exitCode, signal: killed, status, retryAfterMs, outputSent } = error;
    const message = `${error.message} (retried once, ${wait} ms after a Retry-After)`;
    throw new AttemptError(reason, message, { exitCode, signal: killed, status, retryAfterMs, outputSent, cause: error });
  }
}
