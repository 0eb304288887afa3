/**
 * The per-reason facts (src/failover/reasons.ts): one table that the CLI watch, the cooldown policy
 * and the advice lines all read, so the three can never disagree about a reason.
 */
import { describe, expect, it } from 'vitest';
import { FAILURE_REASONS, type FailureReason } from '../../src/errors.js';
import { adviceFor } from '../../src/failover/advice.js';
import { cooldownFor, nextCooldownEntry } from '../../src/failover/cooldown-policy.js';
import { isTransientReason, REASON_FACTS } from '../../src/failover/reasons.js';

describe('the per-reason facts', () => {
  it('every failure reason has its facts, and nothing else has', () => {
    expect(Object.keys(REASON_FACTS).sort()).toEqual([...FAILURE_REASONS].sort());
  });

  it('transient reasons are the ones a retry can heal', () => {
    const transient = FAILURE_REASONS.filter(isTransientReason);
    expect(transient).toEqual(['rate_limit', 'overloaded', 'server_error', 'timeout', 'transport', 'queue_full', 'unknown']);
  });

  it('a reason that heals by retrying never cools the whole provider', () => {
    for (const reason of FAILURE_REASONS.filter(isTransientReason)) {
      expect(cooldownFor(reason, 1, 30_000)?.scope ?? 'model').toBe('model');
    }
  });

  it('a reason cools down exactly when its facts name a ladder (unknown only with a Retry-After)', () => {
    for (const reason of FAILURE_REASONS) {
      expect(cooldownFor(reason, 1) !== undefined).toBe(REASON_FACTS[reason].ladder !== undefined);
    }
    expect(cooldownFor('unknown', 1, 5_000)).toEqual({ scope: 'model', durationMs: 5_000 });
  });

  it('only reasons whose fix is to wait quote the Retry-After in their advice', () => {
    const quoting = FAILURE_REASONS.filter((reason: FailureReason) => adviceFor(reason, 30_000) !== adviceFor(reason));
    expect(quoting).toEqual(['rate_limit', 'overloaded']);
    expect(adviceFor('rate_limit', 29_500)).toBe('rate-limited: retry after 30 s');
  });

  it("a full CLI queue is our own load, not the provider's health: it never cools the candidate, even with its Retry-After", () => {
    expect(REASON_FACTS.queue_full.ladder).toBeUndefined();
    expect(cooldownFor('queue_full', 1, 1_000)).toBeUndefined();
    expect(
      nextCooldownEntry(undefined, { ref: 'my-cli/m', provider: 'my-cli', reason: 'queue_full', retryAfterMs: 1_000, now: 0 }),
    ).toBeUndefined();
  });
});
