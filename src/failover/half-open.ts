/**
 * Half-open probes: while a transient cooldown runs, one request per probe interval may try the
 * cooled candidate, so a provider that recovers is served again within about one interval instead
 * of at the end of its cooldown step. Pure functions, no I/O; the claim of a probe is stored by
 * `CooldownStore.claimProbe` (compare-and-set under the store's write path).
 *
 * Rules (rationale: `docs/failover-policy.md#half-open-probes`):
 *
 * - Only entries of the transient ladder without a Retry-After are probed (`rate_limit`,
 *   `overloaded`, `server_error`, `timeout`, `transport`). `auth` and `billing` need a human to fix
 *   keys or the account, `model_not_found` a catalogue change; and a provider that sent a
 *   Retry-After said when to come back, so an earlier probe would only earn another refusal.
 * - The next probe may start at `max(probeAt, lastFailureAt + interval)`: one interval after the
 *   latest failure (a failed probe pushes the next one an interval later), and not before the lease
 *   of the previous claim (`probeAt`) ends.
 * - A probe that fails is a failure of the running episode (the cooldown policy's "no runaway
 *   extension" rule): the ladder keeps its step.
 * - An interval of 0 turns probes off.
 */
import type { CooldownEntry } from './cooldown-policy.js';
import { REASON_FACTS } from './reasons.js';

/** Default probe interval, in ms (`safetynet.cooldowns.probeIntervalSeconds`, default 5). */
export const DEFAULT_PROBE_INTERVAL_MS = 5_000;

/** True when a cooldown `entry` admits half-open probes: model scope, transient ladder, no Retry-After. */
export function isProbeable(entry: CooldownEntry): boolean {
  return entry.scope === 'model' && REASON_FACTS[entry.reason].ladder === 'transient' && entry.retryAfterMs === undefined;
}

/**
 * When the next probe of `entry` may start, epoch ms: `max(probeAt, lastFailureAt + intervalMs)`.
 *
 * @param intervalMs the probe interval in ms; `0` (or less) turns probes off.
 * @returns `undefined` when the entry is never probed ({@link isProbeable}) or probes are off.
 */
export function nextProbeAt(entry: CooldownEntry, intervalMs: number): number | undefined {
  if (!(intervalMs > 0) || !isProbeable(entry)) return undefined;
  return Math.max(entry.probeAt ?? Number.NEGATIVE_INFINITY, entry.lastFailureAt + intervalMs);
}

/**
 * The entry to store when a request claims the probe of a cooling key at `now`: `probeAt` becomes
 * `now + intervalMs`, so no other request (of any process) probes before then.
 *
 * @returns the claimed entry, or `undefined` when there is nothing to claim: no entry, the cooldown
 *   ended (everyone may try it), the entry is not probed, or its next probe is later than `now`.
 */
export function claimedProbe(entry: CooldownEntry | undefined, now: number, intervalMs: number): CooldownEntry | undefined {
  if (entry === undefined || !(entry.until > now)) return undefined;
  const at = nextProbeAt(entry, intervalMs);
  if (at === undefined || at > now) return undefined;
  return { ...entry, probeAt: now + intervalMs };
}

/** The active (`until > now`) entries of a candidate's ref and provider. */
function activeEntries(
  candidate: { ref: string; provider: string },
  cooldowns: ReadonlyMap<string, CooldownEntry>,
  now: number,
): CooldownEntry[] {
  return [candidate.ref, candidate.provider].flatMap((key) => {
    const entry = cooldowns.get(key);
    return entry !== undefined && entry.until > now ? [entry] : [];
  });
}

/**
 * The key whose probe a request may claim for a cooling candidate at `now`: its ref, when the ref
 * cools down, its probe is due, and no provider cooldown (auth, billing) blocks it too.
 *
 * @returns the key to pass to `CooldownStore.claimProbe`, or `undefined`.
 */
export function dueProbeKey(
  candidate: { ref: string; provider: string },
  cooldowns: ReadonlyMap<string, CooldownEntry>,
  now: number,
  intervalMs: number,
): string | undefined {
  const active = activeEntries(candidate, cooldowns, now);
  const [entry] = active;
  if (active.length !== 1 || entry === undefined) return undefined;
  return claimedProbe(entry, now, intervalMs) === undefined ? undefined : entry.key;
}

/**
 * When a cooling candidate may be tried again, epoch ms: per active entry of its ref and provider
 * the earlier of its end and its next probe, and the latest of those. A caller can answer with it
 * as a Retry-After.
 *
 * @returns `undefined` when the candidate does not cool down at `now`.
 */
export function returnsAt(
  candidate: { ref: string; provider: string },
  cooldowns: ReadonlyMap<string, CooldownEntry>,
  now: number,
  intervalMs: number,
): number | undefined {
  const times = activeEntries(candidate, cooldowns, now).map((entry) =>
    Math.min(entry.until, nextProbeAt(entry, intervalMs) ?? entry.until),
  );
  return times.length === 0 ? undefined : Math.max(...times);
}
