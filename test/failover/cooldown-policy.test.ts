import { describe, expect, it } from 'vitest';
import type { FailureReason } from '../../src/errors.js';
import {
  COOLDOWN_LADDERS,
  cooldownFor,
  cooldownKeyFor,
  cooldownKeys,
  isStaleCooldown,
  nextCooldownEntry,
  planCandidates,
  RETRY_AFTER_MAX_MS,
  RETRY_AFTER_MIN_MS,
  type CooldownFailure,
} from '../../src/failover/cooldown-policy.js';
import type { CooldownEntry } from '../../src/store/index.js';

const S = 1000;
const MIN = 60 * S;
const H = 60 * MIN;
const T0 = 1_700_000_000_000;

const opus = { ref: 'anthropic/claude-opus-4-6', provider: 'anthropic' };
const sonnet = { ref: 'anthropic/claude-sonnet-4-5', provider: 'anthropic' };
const gpt = { ref: 'openai/gpt-5', provider: 'openai' };
const codex = { ref: 'codex-cli/gpt-5.3-codex', provider: 'codex-cli' };

function entry(key: string, until: number, extra: Partial<CooldownEntry> = {}): CooldownEntry {
  return {
    key,
    scope: key.includes('/') ? 'model' : 'provider',
    reason: 'rate_limit',
    failures: 1,
    since: until - 30 * S,
    until,
    lastFailureAt: until - 30 * S,
    ...extra,
  };
}

function fail(reason: FailureReason, now: number, extra: Partial<CooldownFailure> = {}): CooldownFailure {
  return { ...opus, reason, now, ...extra };
}

/** Apply failures one after another, as the store does, and return every stored entry. */
function replay(failures: CooldownFailure[]): Array<CooldownEntry | undefined> {
  let stored: CooldownEntry | undefined;
  return failures.map((failure) => {
    stored = nextCooldownEntry(stored, failure) ?? stored;
    return stored;
  });
}

describe('cooldownFor: the ladder', () => {
  it.each(['rate_limit', 'overloaded', 'server_error', 'timeout', 'transport'] as const)(
    '%s cools the model for 30 s, 60 s, then 5 min',
    (reason) => {
      expect([1, 2, 3, 4, 9].map((n) => cooldownFor(reason, n))).toEqual(
        [30 * S, 60 * S, 5 * MIN, 5 * MIN, 5 * MIN].map((durationMs) => ({ scope: 'model', durationMs })),
      );
    },
  );

  it('model_not_found cools the model for 10 min at every step', () => {
    expect([1, 2, 5].map((n) => cooldownFor('model_not_found', n))).toEqual(
      [1, 2, 3].map(() => ({ scope: 'model', durationMs: 10 * MIN })),
    );
  });

  it('auth cools the whole provider for 10, 30, then 60 min', () => {
    expect([1, 2, 3, 4].map((n) => cooldownFor('auth', n))).toEqual(
      [10 * MIN, 30 * MIN, 60 * MIN, 60 * MIN].map((durationMs) => ({ scope: 'provider', durationMs })),
    );
  });

  it('billing cools the whole provider for 5 h, 10 h, then 24 h', () => {
    expect([1, 2, 3, 4].map((n) => cooldownFor('billing', n))).toEqual(
      [5 * H, 10 * H, 24 * H, 24 * H].map((durationMs) => ({ scope: 'provider', durationMs })),
    );
  });

  it.each(['config', 'session_expired', 'context_overflow', 'aborted', 'unknown'] as const)('%s never cools down', (reason) => {
    expect(cooldownFor(reason, 1)).toBeUndefined();
    expect(cooldownFor(reason, 3)).toBeUndefined();
  });

  it('a failure count below 1 or fractional counts as the first step', () => {
    expect(cooldownFor('rate_limit', 0)?.durationMs).toBe(30 * S);
    expect(cooldownFor('rate_limit', -4)?.durationMs).toBe(30 * S);
    expect(cooldownFor('rate_limit', Number.NaN)?.durationMs).toBe(30 * S);
    expect(cooldownFor('rate_limit', 2.7)?.durationMs).toBe(60 * S);
  });

  it('the exported ladders are the documented ones and frozen', () => {
    expect(COOLDOWN_LADDERS.transient.stepsMs).toEqual([30 * S, 60 * S, 5 * MIN]);
    expect(Object.isFrozen(COOLDOWN_LADDERS.billing.stepsMs)).toBe(true);
    expect(Object.isFrozen(COOLDOWN_LADDERS)).toBe(true);
  });
});

describe('cooldownFor: Retry-After', () => {
  it('Retry-After replaces the ladder step, shorter or longer', () => {
    expect(cooldownFor('rate_limit', 3, 7 * S)).toEqual({ scope: 'model', durationMs: 7 * S });
    expect(cooldownFor('overloaded', 1, 2 * MIN)).toEqual({ scope: 'model', durationMs: 2 * MIN });
    expect(cooldownFor('billing', 1, 20 * MIN)).toEqual({ scope: 'provider', durationMs: 20 * MIN });
  });

  it('Retry-After is clamped to at least 1 s and at most 1 h', () => {
    expect(cooldownFor('rate_limit', 1, 0)?.durationMs).toBe(RETRY_AFTER_MIN_MS);
    expect(cooldownFor('rate_limit', 1, 200)?.durationMs).toBe(1 * S);
    expect(cooldownFor('rate_limit', 1, 5 * H)?.durationMs).toBe(RETRY_AFTER_MAX_MS);
    expect(cooldownFor('rate_limit', 1, Number.POSITIVE_INFINITY)?.durationMs).toBe(1 * H);
  });

  it('a negative or NaN Retry-After is ignored and the ladder applies', () => {
    expect(cooldownFor('rate_limit', 2, -5)?.durationMs).toBe(60 * S);
    expect(cooldownFor('rate_limit', 2, Number.NaN)?.durationMs).toBe(60 * S);
  });

  it('unknown with a Retry-After cools the model for that long, since the provider said when', () => {
    expect(cooldownFor('unknown', 1, 45 * S)).toEqual({ scope: 'model', durationMs: 45 * S });
  });

  it('Retry-After does not make config, context overflow, session or abort failures cool down', () => {
    for (const reason of ['config', 'context_overflow', 'session_expired', 'aborted'] as const)
      expect(cooldownFor(reason, 1, 10 * S)).toBeUndefined();
  });
});

describe('nextCooldownEntry: counting, window, no runaway', () => {
  it('the first failure starts the first step on the model key', () => {
    expect(nextCooldownEntry(undefined, fail('rate_limit', T0))).toEqual({
      key: opus.ref,
      scope: 'model',
      reason: 'rate_limit',
      failures: 1,
      since: T0,
      until: T0 + 30 * S,
      lastFailureAt: T0,
    });
  });

  it('auth and billing failures cool the provider key', () => {
    expect(nextCooldownEntry(undefined, fail('billing', T0))).toMatchObject({ key: 'anthropic', scope: 'provider', until: T0 + 5 * H });
    expect(cooldownKeyFor({ ...opus, reason: 'auth' })).toBe('anthropic');
    expect(cooldownKeyFor({ ...opus, reason: 'timeout' })).toBe(opus.ref);
    expect(cooldownKeyFor({ ...opus, reason: 'config' })).toBeUndefined();
  });

  it('a reason that does not cool down stores nothing', () => {
    expect(nextCooldownEntry(undefined, fail('context_overflow', T0))).toBeUndefined();
    expect(nextCooldownEntry(entry(opus.ref, T0 + 10 * S), fail('config', T0))).toBeUndefined();
  });

  it('consecutive failures after each cooldown ended step the ladder', () => {
    const first = nextCooldownEntry(undefined, fail('rate_limit', T0));
    const second = nextCooldownEntry(first, fail('overloaded', T0 + 31 * S));
    const third = nextCooldownEntry(second, fail('timeout', T0 + 31 * S + 61 * S));
    expect([first, second, third].map((e) => [e?.failures, (e?.until ?? 0) - (e?.lastFailureAt ?? 0), e?.reason])).toEqual([
      [1, 30 * S, 'rate_limit'],
      [2, 60 * S, 'overloaded'],
      [3, 5 * MIN, 'timeout'],
    ]);
    expect(third?.since).toBe(T0 + 92 * S);
  });

  it('the counter restarts once the previous cooldown ended more than the reset window ago', () => {
    const previous = entry(opus.ref, T0, { failures: 3 });
    expect(nextCooldownEntry(previous, fail('rate_limit', T0 + 10 * MIN))).toMatchObject({ failures: 4, until: T0 + 10 * MIN + 5 * MIN });
    expect(nextCooldownEntry(previous, fail('rate_limit', T0 + 10 * MIN + 1))).toMatchObject({
      failures: 1,
      until: T0 + 10 * MIN + 1 + 30 * S,
    });
  });

  it('billing keeps counting within 24 h after the cooldown ended', () => {
    const previous = entry('anthropic', T0, { reason: 'billing', scope: 'provider', failures: 1 });
    expect(nextCooldownEntry(previous, fail('billing', T0 + 23 * H))).toMatchObject({ failures: 2, until: T0 + 23 * H + 10 * H });
    expect(nextCooldownEntry(previous, fail('billing', T0 + 25 * H))).toMatchObject({ failures: 1 });
  });

  it('a failure of another ladder on the same key starts at its first step', () => {
    const authCooled = entry('anthropic', T0, { reason: 'auth', scope: 'provider', failures: 3 });
    expect(nextCooldownEntry(authCooled, fail('billing', T0 + 1))).toMatchObject({ reason: 'billing', failures: 1, until: T0 + 1 + 5 * H });
  });

  it('failures during an active cooldown (concurrent requests) do not step the ladder', () => {
    const stored = replay(Array.from({ length: 20 }, (_, i) => fail('rate_limit', T0 + i * 100)));
    const last = stored.at(-1);
    expect(last).toMatchObject({ failures: 1, since: T0, lastFailureAt: T0 + 1900 });
    // never further than one step from the latest failure
    expect(last?.until).toBe(T0 + 1900 + 30 * S);
  });

  it('a failure during an active cooldown never shortens it', () => {
    // a first failure whose Retry-After said 5 min
    const long = entry(opus.ref, T0 + 5 * MIN, { failures: 1, since: T0, retryAfterMs: 5 * MIN });
    expect(nextCooldownEntry(long, fail('rate_limit', T0 + 10 * S))?.until).toBe(T0 + 5 * MIN);
    expect(nextCooldownEntry(long, fail('rate_limit', T0 + 10 * S, { retryAfterMs: 2 * S }))).toMatchObject({
      until: T0 + 5 * MIN,
      retryAfterMs: 2 * S,
      failures: 1,
    });
    const billing = entry('anthropic', T0 + 5 * H, { reason: 'billing', scope: 'provider' });
    expect(nextCooldownEntry(billing, fail('auth', T0))?.until).toBe(T0 + 5 * H);
  });

  it('a failure during an active cooldown extends it to at most the current step from now', () => {
    const third = entry(opus.ref, T0 + 5 * MIN, { failures: 3, since: T0 });
    expect(nextCooldownEntry(third, fail('rate_limit', T0 + 10 * S))).toMatchObject({
      failures: 3,
      since: T0,
      until: T0 + 10 * S + 5 * MIN,
    });
  });

  it('Retry-After during an active cooldown may extend it to what the provider said, no further', () => {
    const active = entry(opus.ref, T0 + 30 * S, { since: T0 });
    expect(nextCooldownEntry(active, fail('rate_limit', T0 + 10 * S, { retryAfterMs: 2 * MIN }))).toMatchObject({
      until: T0 + 10 * S + 2 * MIN,
      failures: 1,
    });
  });

  it('Retry-After replaces the step of the next consecutive failure and is remembered', () => {
    const first = nextCooldownEntry(undefined, fail('rate_limit', T0));
    const second = nextCooldownEntry(first, fail('rate_limit', T0 + 40 * S, { retryAfterMs: 3 * S }));
    expect(second).toMatchObject({ failures: 2, until: T0 + 43 * S, retryAfterMs: 3 * S });
    expect(nextCooldownEntry(second, fail('rate_limit', T0 + 50 * S))).toMatchObject({ failures: 3, until: T0 + 50 * S + 5 * MIN });
    expect(nextCooldownEntry(second, fail('rate_limit', T0 + 50 * S))).not.toHaveProperty('retryAfterMs');
  });

  it('an entry that ended more than its reset window ago is stale', () => {
    expect(isStaleCooldown(entry(opus.ref, T0), T0 + 10 * MIN)).toBe(false);
    expect(isStaleCooldown(entry(opus.ref, T0), T0 + 10 * MIN + 1)).toBe(true);
    expect(isStaleCooldown(entry('anthropic', T0, { reason: 'billing' }), T0 + 23 * H)).toBe(false);
    expect(isStaleCooldown(entry(opus.ref, T0, { reason: 'unknown', retryAfterMs: 5 * S }), T0 + MIN)).toBe(false);
    expect(isStaleCooldown(entry(opus.ref, T0 + H, { reason: 'config' }), T0)).toBe(true);
  });
});

describe('planCandidates', () => {
  const chain = [opus, sonnet, gpt, codex];
  const plan = (cooldowns: CooldownEntry[], now = T0) => planCandidates(chain, new Map(cooldowns.map((c) => [c.key, c])), now);
  const skipped = (planned: ReturnType<typeof plan>) => planned.map((c) => c.cooldown?.key ?? null);

  it('no cooldowns: every candidate is tried, nothing marked', () => {
    expect(plan([])).toEqual(chain);
  });

  it('a cooling model is skipped until its cooldown ends, and tried again after', () => {
    const cooled = [entry(opus.ref, T0 + 30 * S)];
    expect(plan(cooled, T0)[0]?.cooldown).toEqual({ key: opus.ref, reason: 'rate_limit', until: T0 + 30 * S });
    expect(plan(cooled, T0 + 30 * S)[0]).toEqual(opus);
  });

  it('a provider-scope cooldown skips every model of that provider but not other providers', () => {
    expect(skipped(plan([entry('anthropic', T0 + H, { reason: 'auth' })]))).toEqual(['anthropic', 'anthropic', null, null]);
  });

  it('a model-scope cooldown skips only that model, not its provider siblings', () => {
    expect(skipped(plan([entry(opus.ref, T0 + MIN)]))).toEqual([opus.ref, null, null, null]);
  });

  it('model and provider both cooling: the mark is the one ending later', () => {
    const planned = plan([entry(opus.ref, T0 + 2 * H), entry('anthropic', T0 + H, { reason: 'auth' })]);
    expect(planned.map((c) => c.cooldown?.until)).toEqual([T0 + 2 * H, T0 + H, undefined, undefined]);
    expect(planned[0]?.cooldown?.key).toBe(opus.ref);
  });

  it('when every candidate cools down, the one ending first is tried', () => {
    const planned = plan([entry('anthropic', T0 + H, { reason: 'billing' }), entry(gpt.ref, T0 + 5 * MIN), entry(codex.ref, T0 + 30 * S)]);
    expect(skipped(planned)).toEqual(['anthropic', 'anthropic', gpt.ref, null]);
    expect(planned[3]).toEqual({ ...codex, probe: { key: codex.ref, reason: 'rate_limit', until: T0 + 30 * S } });
  });

  it('when every candidate cools down and two end at the same time, the earlier candidate is tried', () => {
    const planned = plan([
      entry(opus.ref, T0 + MIN),
      entry(sonnet.ref, T0 + 2 * MIN),
      entry(gpt.ref, T0 + MIN),
      entry(codex.ref, T0 + MIN),
    ]);
    expect(planned.map((c) => (c.probe === undefined ? 'skip' : 'try'))).toEqual(['try', 'skip', 'skip', 'skip']);
  });

  it('a single cooling candidate is still tried', () => {
    const planned = planCandidates([opus], new Map([['anthropic', entry('anthropic', T0 + 5 * H, { reason: 'billing' })]]), T0);
    expect(planned).toEqual([{ ...opus, probe: { key: 'anthropic', reason: 'billing', until: T0 + 5 * H } }]);
  });

  it('expired entries do not mark, and an empty chain plans nothing', () => {
    expect(plan([entry(opus.ref, T0 - 1), entry('openai', T0)])).toEqual(chain);
    expect(planCandidates([], new Map(), T0)).toEqual([]);
  });

  it('extra candidate fields are kept', () => {
    const planned = planCandidates([{ ...opus, backend: 'api' as const }], new Map(), T0);
    expect(planned[0]?.backend).toBe('api');
  });
});

describe('cooldownKeys', () => {
  it('lists each ref and provider once, in candidate order', () => {
    expect(cooldownKeys([opus, sonnet, gpt, opus])).toEqual([opus.ref, 'anthropic', sonnet.ref, gpt.ref, 'openai']);
    expect(cooldownKeys([])).toEqual([]);
  });
});
