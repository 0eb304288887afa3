/**
 * The inputs of the cooldown stores' writes and their argument checks, shared by every backend
 * (`CooldownStore` on LevelDB, `RedisCooldownStore`): a bad argument throws the same `TypeError`
 * naming it, before anything is read or written.
 */
import { FAILURE_REASONS, type AttemptFailure } from '../errors.js';
import type { CooldownFailure } from '../failover/cooldown-policy.js';
import { requireNow, requireText } from './arguments.js';

/** Input of `recordFailure`. */
export interface RecordCooldownFailureInput {
  /** The failed candidate's ref, e.g. `anthropic/claude-opus-4-6`. */
  ref: string;
  /** Its provider, e.g. `anthropic`. */
  provider: string;
  /** The classified failure (`reason`, optional `retryAfterMs`). */
  failure: AttemptFailure;
  /** The failure's time, epoch ms. @default Date.now() */
  now?: number | undefined;
}

/** Input of `recordSuccess`. */
export interface RecordCooldownSuccessInput {
  /** The successful candidate's ref. */
  ref: string;
  /** Its provider. */
  provider: string;
}

/** Input of `claimProbe`. */
export interface ClaimProbeInput {
  /** The cooling key, a ref (`anthropic/claude-opus-4-6`; see `dueProbeKey` in the failover policy). */
  key: string;
  /** The probe interval in ms: the claim's lease. A positive number. */
  probeIntervalMs: number;
  /** The claim's time, epoch ms. @default Date.now() */
  now?: number | undefined;
}

/**
 * The policy's view of a `recordFailure` input (`now` defaulted to `Date.now()`).
 *
 * @throws {TypeError} when `ref` or `provider` is not a non-empty string, `failure` has no known
 *   reason, or `now` is not finite.
 */
export function failureRequest(input: RecordCooldownFailureInput): CooldownFailure {
  const ref = requireText('ref', input.ref);
  const provider = requireText('provider', input.provider);
  const now = requireNow(input.now ?? Date.now());
  const { failure } = input;
  if (typeof failure !== 'object' || failure === null || !FAILURE_REASONS.includes(failure.reason)) {
    throw new TypeError(
      `Expected the \`failure\` argument to be an AttemptFailure with a known reason, got \`${JSON.stringify(failure)}\``,
    );
  }
  return { ref, provider, reason: failure.reason, retryAfterMs: failure.retryAfterMs, now };
}

/**
 * A checked `claimProbe` input (`now` defaulted to `Date.now()`).
 *
 * @throws {TypeError} when `key` is not a non-empty string, `probeIntervalMs` is not a positive
 *   number, or `now` is not finite.
 */
export function probeClaim(input: ClaimProbeInput): { key: string; now: number; intervalMs: number } {
  const key = requireText('key', input.key);
  const now = requireNow(input.now ?? Date.now());
  const intervalMs = input.probeIntervalMs;
  if (typeof intervalMs !== 'number' || !Number.isFinite(intervalMs) || intervalMs <= 0) {
    throw new TypeError(`Expected the \`probeIntervalMs\` argument to be a positive number, got \`${String(intervalMs)}\``);
  }
  return { key, now, intervalMs };
}

/**
 * The keys a `recordSuccess` clears: the ref and the provider, deduplicated and sorted.
 *
 * @throws {TypeError} when `ref` or `provider` is not a non-empty string.
 */
export function successKeys(input: RecordCooldownSuccessInput): string[] {
  return [...new Set([requireText('ref', input.ref), requireText('provider', input.provider)])].sort();
}
