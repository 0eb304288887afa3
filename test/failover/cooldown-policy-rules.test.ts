/**
 * The edges of the cooldown policy (src/failover/cooldown-policy.ts) that cooldown-policy.test.ts
 * does not reach: an entry of another key, ties between a model and its provider, the Retry-After
 * kept on an entry, and the documented constants.
 */
import { describe, expect, it } from 'vitest';
import {
  COOLDOWN_LADDERS,
  type CooldownEntry,
  cooldownFor,
  cooldownStaleAfter,
  isStaleCooldown,
  nextCooldownEntry,
  planCandidates,
  RETRY_AFTER_MAX_MS,
  RETRY_AFTER_MIN_MS,
} from '../../src/failover/cooldown-policy.js';

const S = 1000;
const MIN = 60 * S;
const H = 60 * MIN;
const T0 = 1_700_000_000_000;
const opus = { ref: 'anthropic/claude-opus-4-6', provider: 'anthropic' };

function entry(key: string, until: number, extra: Partial<CooldownEntry> = {}): CooldownEntry {
  const scope = key.includes('/') ? 'model' : 'provider';
  return { key, scope, reason: 'rate_limit', failures: 1, since: until - 30 * S, until, lastFailureAt: until - 30 * S, ...extra };
}

describe('the documented ladders and bounds', () => {
  it('each ladder has its scope, steps and reset window', () => {
    expect(COOLDOWN_LADDERS).toEqual({
      transient: { scope: 'model', stepsMs: [30 * S, 60 * S, 5 * MIN], resetWindowMs: 10 * MIN },
      modelNotFound: { scope: 'model', stepsMs: [10 * MIN], resetWindowMs: 10 * MIN },
      auth: { scope: 'provider', stepsMs: [10 * MIN, 30 * MIN, 60 * MIN], resetWindowMs: 24 * H },
      billing: { scope: 'provider', stepsMs: [5 * H, 10 * H, 24 * H], resetWindowMs: 24 * H },
    });
    for (const ladder of Object.values(COOLDOWN_LADDERS)) {
      expect(Object.isFrozen(ladder)).toBe(true);
      expect(Object.isFrozen(ladder.stepsMs)).toBe(true);
    }
    expect([RETRY_AFTER_MIN_MS, RETRY_AFTER_MAX_MS]).toEqual([S, H]);
  });

  it('a Retry-After between the bounds is kept as given', () => {
    expect(cooldownFor('timeout', 1, 1500)).toEqual({ scope: 'model', durationMs: 1500 });
    expect(cooldownFor('timeout', 1, S)).toEqual({ scope: 'model', durationMs: S });
    expect(cooldownFor('timeout', 1, H)).toEqual({ scope: 'model', durationMs: H });
  });

  it('a negative or NaN Retry-After does not make an unknown failure cool down', () => {
    expect(cooldownFor('unknown', 1, -1)).toBeUndefined();
    expect(cooldownFor('unknown', 1, Number.NaN)).toBeUndefined();
    expect(cooldownFor('unknown', 1, 0)).toEqual({ scope: 'model', durationMs: S });
  });
});

describe('nextCooldownEntry', () => {
  it('an entry stored under another key is not this key’s history', () => {
    // the provider is cooling for auth; a rate limit of one model starts the model's own first step
    const providerEntry = entry('anthropic', T0 + H, { reason: 'auth', failures: 3 });
    expect(nextCooldownEntry(providerEntry, { ...opus, reason: 'rate_limit', now: T0 })).toEqual({
      key: opus.ref,
      scope: 'model',
      reason: 'rate_limit',
      failures: 1,
      since: T0,
      until: T0 + 30 * S,
      lastFailureAt: T0,
    });
  });

  it('an unknown failure with a Retry-After cools the model and keeps the clamped Retry-After', () => {
    expect(nextCooldownEntry(undefined, { ...opus, reason: 'unknown', retryAfterMs: 200, now: T0 })).toEqual({
      key: opus.ref,
      scope: 'model',
      reason: 'unknown',
      failures: 1,
      since: T0,
      until: T0 + S,
      lastFailureAt: T0,
      retryAfterMs: S,
    });
    expect(nextCooldownEntry(undefined, { ...opus, reason: 'unknown', now: T0 })).toBeUndefined();
  });

  it('a stored unknown entry counts with the transient ladder', () => {
    const previous = entry(opus.ref, T0, { reason: 'unknown', retryAfterMs: 5 * S, failures: 1 });
    expect(nextCooldownEntry(previous, { ...opus, reason: 'rate_limit', now: T0 + MIN })).toMatchObject({
      failures: 2,
      until: T0 + 2 * MIN,
    });
  });

  it('an active entry of the same ladder keeps its scope, start and count', () => {
    const active = entry('anthropic', T0 + 10 * MIN, { reason: 'auth', failures: 2, since: T0 - MIN });
    expect(nextCooldownEntry(active, { ...opus, reason: 'auth', now: T0 })).toEqual({
      key: 'anthropic',
      scope: 'provider',
      reason: 'auth',
      failures: 2,
      since: T0 - MIN,
      until: T0 + 30 * MIN,
      lastFailureAt: T0,
    });
  });
});

describe('isStaleCooldown', () => {
  it('an auth or billing entry stays for 24 h after it ended, a model entry 10 min', () => {
    expect(isStaleCooldown(entry('anthropic', T0, { reason: 'auth' }), T0 + 24 * H)).toBe(false);
    expect(isStaleCooldown(entry('anthropic', T0, { reason: 'auth' }), T0 + 24 * H + 1)).toBe(true);
    expect(isStaleCooldown(entry(opus.ref, T0, { reason: 'model_not_found' }), T0 + 10 * MIN + 1)).toBe(true);
    expect(isStaleCooldown(entry(opus.ref, T0, { reason: 'unknown' }), T0 + 10 * MIN + 1)).toBe(true);
  });

  it('an entry is stale exactly after cooldownStaleAfter (its end plus its reset window); one without a ladder always', () => {
    expect(cooldownStaleAfter(entry('anthropic', T0, { reason: 'billing' }))).toBe(T0 + 24 * H);
    expect(cooldownStaleAfter(entry(opus.ref, T0, { reason: 'timeout' }))).toBe(T0 + 10 * MIN);
    expect(cooldownStaleAfter(entry(opus.ref, T0, { reason: 'config' }))).toBe(Number.NEGATIVE_INFINITY);
  });
});

describe('planCandidates', () => {
  it('a model and its provider cooling until the same time: the mark is the model’s', () => {
    const cooldowns = new Map([
      [opus.ref, entry(opus.ref, T0 + MIN, { reason: 'timeout' })],
      ['anthropic', entry('anthropic', T0 + MIN, { reason: 'auth' })],
    ]);
    const other = { ref: 'openai/gpt-5', provider: 'openai' };
    expect(planCandidates([opus, other], cooldowns, T0)[0]?.cooldown).toEqual({ key: opus.ref, reason: 'timeout', until: T0 + MIN });
  });

  it('a provider cooling longer than the model gives the provider’s mark', () => {
    const cooldowns = new Map([
      [opus.ref, entry(opus.ref, T0 + MIN, { reason: 'timeout' })],
      ['anthropic', entry('anthropic', T0 + H, { reason: 'auth' })],
    ]);
    expect(planCandidates([opus], cooldowns, T0)[0]?.probe).toEqual({ key: 'anthropic', reason: 'auth', until: T0 + H });
  });

  it('the planned candidates are copies: the caller’s objects are not changed', () => {
    const candidate = { ...opus };
    const planned = planCandidates([candidate], new Map([[opus.ref, entry(opus.ref, T0 + MIN)]]), T0);
    expect(planned[0]).not.toBe(candidate);
    expect(candidate).toEqual(opus);
    expect(planCandidates([candidate], new Map(), T0)[0]).not.toBe(candidate);
  });
});
