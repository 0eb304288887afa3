/**
 * What to do about each failure reason: one short line shown next to a failed attempt on stderr
 * and in `RequestError` messages. The lines themselves are {@link REASON_FACTS} (`./reasons.ts`).
 */
import type { FailureReason, RequestAttempt } from '../errors.js';
import { REASON_FACTS } from './reasons.js';

/** The deadline setting a `timeout` advice names unless told otherwise. */
export const DEFAULT_TIMEOUT_NAME = 'agents.defaults.timeoutSeconds';

/**
 * The advice line for a failure reason (with the provider's Retry-After, when it gave one).
 *
 * @param timeoutName The deadline setting a `timeout` advice tells to raise (`--timeout` when the
 *   flag set it). @default {@link DEFAULT_TIMEOUT_NAME}
 */
export function adviceFor(reason: FailureReason, retryAfterMs?: number, timeoutName: string = DEFAULT_TIMEOUT_NAME): string {
  const { advice, waitFor } = REASON_FACTS[reason];
  if (retryAfterMs !== undefined && waitFor !== undefined) return `${waitFor}: retry after ${Math.ceil(retryAfterMs / 1000)} s`;
  // The timeout advice names the default setting; a request whose deadline came from elsewhere names that.
  return reason === 'timeout' ? advice.replace(DEFAULT_TIMEOUT_NAME, timeoutName) : advice;
}

/**
 * One line per attempt: `- claude-cli/opus-4.6: rate_limit after 812 ms: <detail> → <advice>`.
 * Skipped candidates say why they were skipped.
 */
export function formatAttempts(attempts: readonly RequestAttempt[], timeoutName?: string): string {
  return attempts
    .map((attempt) => {
      if (attempt.ok) return `- ${attempt.model}: answered in ${attempt.durationMs} ms`;
      const reason = attempt.reason ?? 'unknown';
      const what = attempt.skipped ? 'skipped' : `${reason} after ${attempt.durationMs} ms`;
      const detail = attempt.detail ? `: ${attempt.detail}` : '';
      return `- ${attempt.model}: ${what}${detail} → ${adviceFor(reason, attempt.retryAfterMs, timeoutName)}`;
    })
    .join('\n');
}
