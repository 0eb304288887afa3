/**
 * The half-open probe rules (src/failover/half-open.ts): which cooldowns are probed, when the next
 * probe may start, what a claim writes, and when a skipped candidate may be tried again.
 */
import { describe, expect, it } from 'vitest';
import { type CooldownEntry, nextCooldownEntry } from '../../src/failover/cooldown-policy.js';
import { DEFAULT_PROBE_INTERVAL_MS, claimedProbe, dueProbeKey, isProbeable, nextProbeAt, returnsAt } from '../../src/failover/half-open.js';
import type { FailureReason } from '../../src/errors.js';

const S = 1000;
const T0 = 1_700_000_000_000;
const I = 5 * S;
const opus = { ref: 'anthropic/claude-opus-4-6', provider: 'anthropic' };

function failed(previous: CooldownEntry | undefined, reason: FailureReason, now: number, retryAfterMs?: number): CooldownEntry {
  const entry = nextCooldownEntry(previous, { ...opus, reason, now, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });
  if (entry === undefined) throw new Error(`${reason} does not cool down`);
  return entry;
}

const map = (...entries: CooldownEntry[]) => new Map(entries.map((entry) => [entry.key, entry]));

describe('which cooldowns are probed', () => {
  it('the documented default interval is 5 000 ms', () => {
    expect(DEFAULT_PROBE_INTERVAL_MS).toBe(5_000);
  });

  it('transient-reason cooldowns are probed; auth, billing and model_not_found ones are not', () => {
    for (const reason of ['rate_limit', 'overloaded', 'server_error', 'timeout', 'transport'] as const) {
      expect(isProbeable(failed(undefined, reason, T0))).toBe(true);
    }
    for (const reason of ['auth', 'billing', 'model_not_found'] as const) expect(isProbeable(failed(undefined, reason, T0))).toBe(false);
  });

  it('a cooldown set by a Retry-After is not probed: the provider said when to come back', () => {
    expect(isProbeable(failed(undefined, 'rate_limit', T0, 20 * S))).toBe(false);
    expect(isProbeable(failed(undefined, 'unknown', T0, 20 * S))).toBe(false);
    expect(nextProbeAt(failed(undefined, 'rate_limit', T0, 20 * S), I)).toBeUndefined();
  });

  it('an interval of 0 turns probes off', () => {
    const entry = failed(undefined, 'overloaded', T0);
    expect(nextProbeAt(entry, 0)).toBeUndefined();
    expect(claimedProbe(entry, T0 + 10 * S, 0)).toBeUndefined();
  });
});

describe('when the next probe may start', () => {
  it('one interval after the latest failure', () => {
    const entry = failed(undefined, 'overloaded', T0);
    expect(nextProbeAt(entry, I)).toBe(T0 + I);
    expect(claimedProbe(entry, T0 + I - 1, I)).toBeUndefined();
    expect(claimedProbe(entry, T0 + I, I)).toEqual({ ...entry, probeAt: T0 + 2 * I });
  });

  it('a claim holds the probe for one interval: a second claim before it ends gets nothing', () => {
    const claimed = claimedProbe(failed(undefined, 'overloaded', T0), T0 + I, I);
    expect(claimed).toBeDefined();
    expect(claimedProbe(claimed, T0 + I + 1, I)).toBeUndefined();
    expect(claimedProbe(claimed, T0 + 2 * I, I)?.probeAt).toBe(T0 + 3 * I);
  });

  it('a failed probe keeps the ladder step and pushes the next probe one interval after it', () => {
    const claimed = claimedProbe(failed(undefined, 'overloaded', T0), T0 + I, I) as CooldownEntry;
    const afterProbe = failed(claimed, 'overloaded', T0 + I + 2 * S);
    expect(afterProbe).toMatchObject({ failures: 1, since: T0, probeAt: T0 + 2 * I, lastFailureAt: T0 + I + 2 * S });
    expect(nextProbeAt(afterProbe, I)).toBe(T0 + 2 * I + 2 * S);
  });

  it('a new episode drops the lease of the previous one', () => {
    const claimed = claimedProbe(failed(undefined, 'overloaded', T0), T0 + I, I) as CooldownEntry;
    const next = failed(claimed, 'overloaded', T0 + 31 * S);
    expect(next.failures).toBe(2);
    expect(next.probeAt).toBeUndefined();
  });

  it('nothing is claimed once the cooldown ended (everyone may try it) or without an entry', () => {
    const entry = failed(undefined, 'overloaded', T0);
    expect(claimedProbe(entry, entry.until, I)).toBeUndefined();
    expect(claimedProbe(undefined, T0, I)).toBeUndefined();
  });
});

describe('the probe of a candidate', () => {
  it('is the key of its ref when the ref cools on a transient reason and its probe is due', () => {
    const entry = failed(undefined, 'overloaded', T0);
    expect(dueProbeKey(opus, map(entry), T0 + I, I)).toBe(opus.ref);
    expect(dueProbeKey(opus, map(entry), T0 + I - 1, I)).toBeUndefined();
  });

  it('is never claimed while its provider cools down too (auth, billing)', () => {
    const auth = nextCooldownEntry(undefined, { ...opus, reason: 'auth', now: T0 }) as CooldownEntry;
    expect(dueProbeKey(opus, map(failed(undefined, 'overloaded', T0), auth), T0 + I, I)).toBeUndefined();
  });
});

describe('when a skipped candidate may be tried again', () => {
  it('at its next probe when that comes before the end of its cooldown', () => {
    expect(returnsAt(opus, map(failed(undefined, 'overloaded', T0)), T0 + S, I)).toBe(T0 + I);
  });

  it('at the end of its cooldown when it is not probed', () => {
    const auth = nextCooldownEntry(undefined, { ...opus, reason: 'auth', now: T0 }) as CooldownEntry;
    expect(returnsAt(opus, map(auth), T0 + S, I)).toBe(auth.until);
    expect(returnsAt(opus, map(failed(undefined, 'overloaded', T0, 20 * S)), T0 + S, I)).toBe(T0 + 20 * S);
  });

  it('at the later of its model and provider returns, and never when it does not cool down', () => {
    const auth = nextCooldownEntry(undefined, { ...opus, reason: 'auth', now: T0 }) as CooldownEntry;
    expect(returnsAt(opus, map(failed(undefined, 'overloaded', T0), auth), T0 + S, I)).toBe(auth.until);
    expect(returnsAt(opus, map(failed(undefined, 'overloaded', T0)), T0 + 30 * S, I)).toBeUndefined();
  });
});
