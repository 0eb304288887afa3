/**
 * What to do about each failure reason: one short line shown next to a failed attempt on stderr
 * and in `RequestError` messages.
 */
import type { FailureReason, RequestAttempt } from '../errors.js';

const ADVICE: Record<FailureReason, string> = {
  auth: 'check the API key, or log the CLI in (claude: run `claude` then /login; codex: `codex login`)',
  billing: 'the account is out of credits or quota: top it up or use another provider',
  rate_limit: 'rate-limited: retry later',
  overloaded: 'the provider is overloaded: retry in a moment',
  server_error: 'the provider failed: retry later',
  timeout: 'no answer in time: retry, or raise agents.defaults.timeoutSeconds',
  transport: 'the endpoint could not be reached: check the network and the base URL',
  model_not_found: "unknown model: check the model ref or the backend's modelAliases",
  context_overflow: "the prompt does not fit the model's context window: shorten it or reset the session",
  session_expired: 'the stored CLI session was not found: run `safetynet sessions reset <key>`',
  config: 'fix the configuration as the detail says',
  aborted: 'the request was aborted',
  unknown: 'see the detail; run with --json for the full attempt log',
};

/** The advice line for a failure reason (with the provider's Retry-After, when it gave one). */
export function adviceFor(reason: FailureReason, retryAfterMs?: number): string {
  if (retryAfterMs !== undefined && (reason === 'rate_limit' || reason === 'overloaded'))
    return `${ADVICE[reason].split(':')[0]}: retry after ${Math.ceil(retryAfterMs / 1000)} s`;
  return ADVICE[reason];
}

/**
 * One line per attempt: `- claude-cli/opus-4.6: rate_limit after 812 ms: <detail> → <advice>`.
 * Skipped candidates say why they were skipped.
 */
export function formatAttempts(attempts: readonly RequestAttempt[]): string {
  return attempts
    .map((attempt) => {
      if (attempt.ok) return `- ${attempt.model}: answered in ${attempt.durationMs} ms`;
      const reason = attempt.reason ?? 'unknown';
      const what = attempt.skipped ? 'skipped' : `${reason} after ${attempt.durationMs} ms`;
      const detail = attempt.detail ? `: ${attempt.detail}` : '';
      return `- ${attempt.model}: ${what}${detail} → ${adviceFor(reason, attempt.retryAfterMs)}`;
    })
    .join('\n');
}
