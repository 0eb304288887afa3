/**
 * The one rule for an attempt deadline, wherever it is given: the config keys
 * `agents.defaults.timeoutSeconds` and `models.providers.<id>.timeoutSeconds`, the
 * `safetynet agent --timeout <seconds>` flag and the library's `RunRequest.timeoutMs`. A deadline is
 * a positive duration that Node's `setTimeout` can hold (2^31 − 1 ms, about 24.8 days): a longer one
 * would fire at once (after a `TimeoutOverflowWarning`), so a huge deadline would time out in ms.
 * Dependency-free, so the schema, the CLI and the runtime all check it the same way.
 */

/** setTimeout's upper bound in ms (2^31 − 1); larger delays fire at once. */
export const MAX_TIMER_MS = 2_147_483_647;

/** The longest deadline in seconds (2147483.647). */
export const MAX_TIMEOUT_SECONDS = MAX_TIMER_MS / 1000;

/** What a deadline in seconds must be, as problems say it. */
export const TIMEOUT_SECONDS_EXPECTED = `a positive number of seconds (at most ${Math.floor(MAX_TIMEOUT_SECONDS)})`;

/** What a deadline in ms must be, as problems say it. */
export const TIMEOUT_MS_EXPECTED = `a positive number of milliseconds (at most ${MAX_TIMER_MS})`;

/** True for a deadline in seconds: a finite number > 0 and ≤ {@link MAX_TIMEOUT_SECONDS}. */
export function isTimeoutSeconds(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 && value <= MAX_TIMEOUT_SECONDS;
}

/** True for a deadline in ms: a finite number > 0 and ≤ {@link MAX_TIMER_MS}. */
export function isTimeoutMs(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 && value <= MAX_TIMER_MS;
}

/** A valid deadline in seconds (see {@link isTimeoutSeconds}) as whole ms, at least 1. */
export function timeoutSecondsToMs(seconds: number): number {
  return Math.min(MAX_TIMER_MS, Math.max(1, Math.round(seconds * 1000)));
}
