/**
 * The failover settings of safetynet's own config section: `safetynet.cooldowns` (half-open probes
 * of cooling candidates) and `safetynet.retry` (one retry of the same candidate on a short
 * Retry-After). One home for their resolved shapes and defaults. Rationale:
 * `docs/failover-policy.md#half-open-probes` and `#same-candidate-retry`.
 */
import { DEFAULT_PROBE_INTERVAL_MS } from '../failover/half-open.js';

/** Default `safetynet.retry.sameCandidateMaxMs`: 0, no same-candidate retry. */
export const DEFAULT_SAME_CANDIDATE_MAX_MS = 0;

/** The resolved `safetynet.cooldowns`. */
export interface CooldownSettings {
  /** Half-open probe interval of a cooling candidate, in ms; `0` turns probes off. @default 5000 */
  probeIntervalMs: number;
}

/** The resolved `safetynet.retry`. */
export interface RetrySettings {
  /**
   * Longest Retry-After (ms) of a `rate_limit` / `overloaded` API failure that is waited out to
   * retry the same candidate once before falling back; `0` turns the retry off. @default 0
   */
  sameCandidateMaxMs: number;
}

/**
 * The resolved settings of `safetynet.cooldowns` and `safetynet.retry`, defaults filled in.
 *
 * @param section the validated `safetynet` section, or `undefined`.
 */
export function resolveFailoverSettings(
  section: { cooldowns?: { probeIntervalSeconds?: number }; retry?: { sameCandidateMaxMs?: number } } | undefined,
): { cooldowns: CooldownSettings; retry: RetrySettings } {
  const seconds = section?.cooldowns?.probeIntervalSeconds;
  return {
    cooldowns: { probeIntervalMs: seconds === undefined ? DEFAULT_PROBE_INTERVAL_MS : Math.round(seconds * 1000) },
    retry: { sameCandidateMaxMs: section?.retry?.sameCandidateMaxMs ?? DEFAULT_SAME_CANDIDATE_MAX_MS },
  };
}
