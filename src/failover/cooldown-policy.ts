/**
 * Cooldown policy: how long a failed candidate is skipped, at which scope, and which candidates a
 * request tries. Pure functions, no I/O; the entries live in a `CooldownStorage` (LevelDB
 * `CooldownStore`, or `RedisCooldownStore` shared by replicas).
 *
 * Rules (rationale: `docs/failover-policy.md#cooldown-ladders`, `#episodes` and `#shared-cooldowns`,
 * after the reference gateway's cooldown ladder and the failures of other gateways):
 *
 * - Transient reasons (`rate_limit`, `overloaded`, `server_error`, `timeout`, `transport`) cool the
 *   `provider/model` key for 30 s, 60 s, then 5 min by consecutive failures.
 * - `model_not_found` cools the model key for 10 min (the catalogue rarely changes faster).
 * - `auth` (10, 30, 60 min) and `billing` (5 h, 10 h, 24 h) cool the whole provider: every model of
 *   it shares the credentials and the account. Other providers are never touched.
 * - `config`, `session_expired`, `context_overflow`, `aborted`, `unknown`: no cooldown. A config
 *   failure needs a fix, not time (and fails fast every time anyway); `session_expired` is retried
 *   as a new session by the turn itself; a context overflow is the prompt's fault, not the
 *   provider's; `aborted` is the caller's decision; and `unknown` must not block a provider on a
 *   hunch (any non-zero CLI exit is `unknown`). Exception: `unknown` with a Retry-After cools the
 *   model key for that long, because then the provider itself said when to come back.
 * - Retry-After, when given, replaces the ladder step: `min(max(retryAfterMs, 1 s), 1 h)`.
 * - The consecutive-failure counter restarts at 1 once the previous cooldown ended more than the
 *   ladder's reset window ago (10 min for model-scope ladders, 24 h for auth and billing, like the
 *   reference's failure window), or when the previous entry belongs to another ladder.
 * - No runaway extension: a failure while the key is still cooling down (concurrent requests of
 *   one outage, or the forced try of {@link planCandidates}) is the same episode. It does not step
 *   the ladder; `until` becomes `max(until, now + the current step)`, so it never shortens and never
 *   reaches further than one step (or the new Retry-After) from now. A failed half-open probe
 *   (`half-open.ts`) is such a failure too: it keeps the step, and keeps the probe lease.
 */
import type { FailureReason } from '../errors.js';
import { type CooldownLadderName, REASON_FACTS } from './reasons.js';

/** One stored cooldown. Times are epoch ms, durations ms. */
export interface CooldownEntry {
  /** The cooled key: a ref (`anthropic/claude-opus-4-6`, scope `model`) or a provider (`anthropic`, scope `provider`). */
  key: string;
  scope: 'model' | 'provider';
  /** The reason of the latest failure. */
  reason: FailureReason;
  /** Consecutive failures of this episode's ladder (1 = first step). */
  failures: number;
  /** When the current cooldown started (first failure of this step). */
  since: number;
  /** When the cooldown ends; the key cools down while `now < until`. */
  until: number;
  /** Time of the latest failure. */
  lastFailureAt: number;
  /** The latest failure's Retry-After, when it had one, clamped to [1 s, 1 h] (the duration it set). */
  retryAfterMs?: number;
  /**
   * End of the lease of the latest half-open probe claim, epoch ms: no other probe of the key starts
   * before it (`half-open.ts`). Kept by failures of the same episode; a new episode drops it.
   */
  probeAt?: number;
}

/** What a cooldown blocks: one `provider/model` ref, or every model of a provider. */
export type CooldownScope = 'model' | 'provider';

/** One ladder: its scope, its steps (ms, by consecutive failure) and its counter reset window (ms). */
export interface CooldownLadder {
  readonly scope: CooldownScope;
  /** Duration of the 1st, 2nd, … failure, in ms; the last step repeats. */
  readonly stepsMs: readonly number[];
  /** The counter restarts when the previous cooldown ended more than this long ago, in ms. */
  readonly resetWindowMs: number;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** The ladders, by name. Frozen. */
export const COOLDOWN_LADDERS = Object.freeze({
  /** rate_limit, overloaded, server_error, timeout, transport: 30 s, 60 s, 5 min; window 10 min. */
  transient: Object.freeze({ scope: 'model', stepsMs: Object.freeze([30 * SECOND, 60 * SECOND, 5 * MINUTE]), resetWindowMs: 10 * MINUTE }),
  /** model_not_found: 10 min; window 10 min. */
  modelNotFound: Object.freeze({ scope: 'model', stepsMs: Object.freeze([10 * MINUTE]), resetWindowMs: 10 * MINUTE }),
  /** auth: 10 min, 30 min, 60 min for the whole provider; window 24 h. */
  auth: Object.freeze({ scope: 'provider', stepsMs: Object.freeze([10 * MINUTE, 30 * MINUTE, 60 * MINUTE]), resetWindowMs: 24 * HOUR }),
  /** billing: 5 h, 10 h, 24 h for the whole provider; window 24 h. */
  billing: Object.freeze({ scope: 'provider', stepsMs: Object.freeze([5 * HOUR, 10 * HOUR, 24 * HOUR]), resetWindowMs: 24 * HOUR }),
} satisfies Record<CooldownLadderName, CooldownLadder>);

export type { CooldownLadderName } from './reasons.js';

/** Shortest cooldown set by a Retry-After, in ms (1 s). */
export const RETRY_AFTER_MIN_MS = SECOND;
/** Longest cooldown set by a Retry-After, in ms (1 h). */
export const RETRY_AFTER_MAX_MS = HOUR;

/**
 * The Retry-After a failure applies, in ms: a usable one (a number ≥ 0, not NaN) clamped to
 * [{@link RETRY_AFTER_MIN_MS}, {@link RETRY_AFTER_MAX_MS}], the cooldown it sets; otherwise
 * `undefined`. Attempts report this value (so traces and serve's `Retry-After` say what was
 * applied, never a provider's `Retry-After: 999999999`).
 */
export function clampRetryAfter(retryAfterMs: number | undefined): number | undefined {
  if (typeof retryAfterMs !== 'number' || Number.isNaN(retryAfterMs) || retryAfterMs < 0) return undefined;
  return Math.min(Math.max(retryAfterMs, RETRY_AFTER_MIN_MS), RETRY_AFTER_MAX_MS);
}

/** The ladder of `reason`; `unknown` uses the transient ladder only with a Retry-After. */
function ladderName(reason: FailureReason, retryAfterMs: number | undefined): CooldownLadderName | undefined {
  if (reason === 'unknown') return clampRetryAfter(retryAfterMs) === undefined ? undefined : 'transient';
  return REASON_FACTS[reason].ladder;
}

/**
 * The cooldown of one failure.
 *
 * @param reason the attempt's failure reason.
 * @param failures consecutive failures of the key including this one (values below 1 count as 1;
 *   beyond the ladder the last step repeats).
 * @param retryAfterMs the provider's Retry-After in ms; when a number ≥ 0 it replaces the ladder
 *   step, clamped to [{@link RETRY_AFTER_MIN_MS}, {@link RETRY_AFTER_MAX_MS}]. NaN and negative
 *   values are ignored.
 * @returns the scope and duration (ms), or `undefined` when `reason` does not cool down.
 */
export function cooldownFor(
  reason: FailureReason,
  failures: number,
  retryAfterMs?: number,
): { scope: CooldownScope; durationMs: number } | undefined {
  const name = ladderName(reason, retryAfterMs);
  if (name === undefined) return undefined;
  const ladder: CooldownLadder = COOLDOWN_LADDERS[name];
  const step = Math.min(Math.max(Math.floor(failures) || 1, 1), ladder.stepsMs.length) - 1;
  return { scope: ladder.scope, durationMs: clampRetryAfter(retryAfterMs) ?? (ladder.stepsMs[step] as number) };
}

/** Input of {@link nextCooldownEntry}: one failed attempt. */
export interface CooldownFailure {
  /** The model ref, e.g. `anthropic/claude-opus-4-6`. */
  ref: string;
  /** The provider of `ref`, e.g. `anthropic`. */
  provider: string;
  reason: FailureReason;
  /** Retry-After of the failure, ms. */
  retryAfterMs?: number | undefined;
  /** The failure's time, epoch ms. */
  now: number;
}

/** The key a failure of `reason` cools: `ref` (model scope) or `provider`; `undefined` when it does not cool down. */
export function cooldownKeyFor(failure: Pick<CooldownFailure, 'ref' | 'provider' | 'reason' | 'retryAfterMs'>): string | undefined {
  const plan = cooldownFor(failure.reason, 1, failure.retryAfterMs);
  if (plan === undefined) return undefined;
  return plan.scope === 'provider' ? failure.provider : failure.ref;
}

/** The ladder a stored entry belongs to (a stored `unknown` entry always came with a Retry-After). */
function entryLadder(entry: CooldownEntry): CooldownLadderName | undefined {
  return ladderName(entry.reason, entry.reason === 'unknown' ? RETRY_AFTER_MIN_MS : undefined);
}

/**
 * The last moment `entry` still matters, epoch ms: its end plus its ladder's reset window. After it
 * the entry is stale ({@link isStaleCooldown}); a store may forget it then (the Redis store sets
 * its TTL from it). `-Infinity` for entries of reasons without a ladder (always stale).
 */
export function cooldownStaleAfter(entry: CooldownEntry): number {
  const name = entryLadder(entry);
  return name === undefined ? Number.NEGATIVE_INFINITY : entry.until + COOLDOWN_LADDERS[name].resetWindowMs;
}

/**
 * True when `entry` no longer matters: it ended more than its ladder's reset window before `now`
 * (`now > cooldownStaleAfter(entry)`), so it neither cools nor counts. Entries of reasons without
 * a ladder are stale.
 */
export function isStaleCooldown(entry: CooldownEntry, now: number): boolean {
  return now > cooldownStaleAfter(entry);
}

/**
 * The entry to store after a failure, given the key's `previous` entry (see the module doc for the
 * counter, window and no-runaway rules).
 *
 * @returns the new entry, or `undefined` when the reason does not cool down (store nothing).
 */
export function nextCooldownEntry(previous: CooldownEntry | undefined, failure: CooldownFailure): CooldownEntry | undefined {
  const { reason, retryAfterMs, now } = failure;
  const name = ladderName(reason, retryAfterMs);
  const first = cooldownFor(reason, 1, retryAfterMs);
  if (name === undefined || first === undefined) return undefined;
  const key = first.scope === 'provider' ? failure.provider : failure.ref;
  const prev = previous !== undefined && previous.key === key ? previous : undefined;
  const sameLadder = prev !== undefined && entryLadder(prev) === name;
  const active = prev !== undefined && now < prev.until;
  const clamped = clampRetryAfter(retryAfterMs);
  const retry = clamped === undefined ? {} : { retryAfterMs: clamped };

  if (prev !== undefined && sameLadder && active) {
    const step = cooldownFor(reason, prev.failures, retryAfterMs) ?? first;
    const until = Math.max(prev.until, now + step.durationMs);
    const lease = prev.probeAt === undefined ? {} : { probeAt: prev.probeAt };
    return { key, scope: prev.scope, reason, failures: prev.failures, since: prev.since, until, lastFailureAt: now, ...retry, ...lease };
  }
  const counts = prev !== undefined && sameLadder && now - prev.until <= COOLDOWN_LADDERS[name].resetWindowMs;
  const failures = counts ? prev.failures + 1 : 1;
  const step = cooldownFor(reason, failures, retryAfterMs) ?? first;
  const until = Math.max(now + step.durationMs, active ? prev.until : 0);
  return { key, scope: first.scope, reason, failures, since: now, until, lastFailureAt: now, ...retry };
}

/** Why a candidate is skipped (or, for a forced try, what it is tried through). */
export interface CandidateCooldown {
  /** The cooling key: the candidate's ref or its provider. */
  key: string;
  reason: FailureReason;
  /** End of the cooldown, epoch ms. */
  until: number;
}

/** A candidate with its cooldown decision (see {@link planCandidates}). */
export type PlannedCandidate<C> = C & {
  /** Set when the candidate is skipped: the later-ending of its model and provider cooldowns. */
  cooldown?: CandidateCooldown;
  /** Set on the one candidate tried although cooling down, because every candidate cools down. */
  probe?: CandidateCooldown;
};

/** The model and provider keys to read for `candidates`, in candidate order, deduplicated. */
export function cooldownKeys(candidates: ReadonlyArray<{ ref: string; provider: string }>): string[] {
  return [...new Set(candidates.flatMap((candidate) => [candidate.ref, candidate.provider]))];
}

/** The active cooldown of a candidate: the later-ending of its model and provider entries (tie: model). */
function activeCooldown(
  candidate: { ref: string; provider: string },
  cooldowns: ReadonlyMap<string, CooldownEntry>,
  now: number,
): CandidateCooldown | undefined {
  let best: CandidateCooldown | undefined;
  for (const key of [candidate.ref, candidate.provider]) {
    const entry = cooldowns.get(key);
    if (entry === undefined || !(entry.until > now)) continue;
    if (best === undefined || entry.until > best.until) best = { key, reason: entry.reason, until: entry.until };
  }
  return best;
}

/**
 * Mark the candidates that are cooling down (an entry of their ref or provider with `until > now`;
 * expired entries are ignored). When every candidate is cooling down, the one whose cooldown ends
 * first is not marked but gets `probe` instead, so a request never fails without trying; ties go
 * to the earlier candidate. Extra candidate fields are kept.
 *
 * @param cooldowns entries by key, e.g. from `CooldownStore.read(cooldownKeys(candidates))`.
 * @param now epoch ms.
 */
export function planCandidates<C extends { ref: string; provider: string }>(
  candidates: readonly C[],
  cooldowns: ReadonlyMap<string, CooldownEntry>,
  now: number,
): Array<PlannedCandidate<C>> {
  const marks = candidates.map((candidate) => activeCooldown(candidate, cooldowns, now));
  let forced = -1;
  if (marks.length > 0 && marks.every((mark) => mark !== undefined)) {
    marks.forEach((mark, index) => {
      if (forced === -1 || mark.until < (marks[forced] as CandidateCooldown).until) forced = index;
    });
  }
  return candidates.map((candidate, index) => {
    const mark = marks[index];
    if (mark === undefined) return { ...candidate };
    return index === forced ? { ...candidate, probe: mark } : { ...candidate, cooldown: mark };
  });
}
