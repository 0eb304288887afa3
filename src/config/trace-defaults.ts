/**
 * The bounds of the stored request traces (`safetynet.traces` in the config file; the trace store's
 * defaults): one home for both, so the config and the store never disagree.
 */

/** One day, in ms (`maxAgeDays` → `maxAgeMs`). */
export const DAY_MS = 86_400_000;

/** Default `safetynet.traces.maxCount`: the 500 newest request traces are kept. */
export const DEFAULT_TRACE_MAX_COUNT = 500;

/** Default `safetynet.traces.maxAgeDays`: traces older than 7 days are removed. */
export const DEFAULT_TRACE_MAX_AGE_DAYS = 7;

/** {@link DEFAULT_TRACE_MAX_AGE_DAYS} in ms: 604 800 000. */
export const DEFAULT_TRACE_MAX_AGE_MS = DEFAULT_TRACE_MAX_AGE_DAYS * DAY_MS;
