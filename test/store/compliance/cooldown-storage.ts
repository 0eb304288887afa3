/**
 * The backend-independent rules of a `CooldownStorage` (the semantics of the LevelDB
 * `CooldownStore`), run on every backend by `test/store/cooldown-storage.compliance.test.ts`.
 * Backend-only rules (folders and processes, replicas and TTLs) stay with their backend's tests.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { AttemptFailure, FailureReason } from '../../../src/errors.js';
import type { CooldownEntry } from '../../../src/failover/cooldown-policy.js';
import type { CooldownStorage } from '../../../src/store/ports.js';

/** A fresh, empty store of one backend, and what removes it. */
export interface OpenedCooldownStorage {
  store: CooldownStorage;
  cleanup(): Promise<void>;
}

export const S = 1000;
export const MIN = 60 * S;
export const H = 60 * MIN;
export const T0 = 1_700_000_000_000;
export const opus = { ref: 'anthropic/claude-opus-4-6', provider: 'anthropic' };
export const sonnet = { ref: 'anthropic/claude-sonnet-4-5', provider: 'anthropic' };

/** An AttemptFailure of `reason` (with a Retry-After when given). */
export function failure(reason: FailureReason, retryAfterMs?: number): AttemptFailure {
  return { reason, message: `${reason} in a test`, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
}

/** Registers the compliance tests of `name`; `open` gives a fresh, empty store per test. */
export function cooldownStorageSuite(name: string, open: () => Promise<OpenedCooldownStorage>): void {
  describe(name, () => suite(open));
}

function suite(open: () => Promise<OpenedCooldownStorage>): void {
  let opened: OpenedCooldownStorage[] = [];
  afterEach(async () => {
    await Promise.all(opened.map((o) => o.cleanup()));
    opened = [];
  });
  async function newStore(): Promise<CooldownStorage> {
    const o = await open();
    opened.push(o);
    return o.store;
  }

  describe('CooldownStorage', () => {
    it('a failure is stored under the model key for transient reasons and the provider key for auth and billing', async () => {
      const store = await newStore();
      const limited = await store.recordFailure({ ...opus, failure: failure('rate_limit'), now: T0 });
      const billed = await store.recordFailure({ ...sonnet, failure: failure('billing'), now: T0 });

      expect(limited).toEqual({
        key: opus.ref,
        scope: 'model',
        reason: 'rate_limit',
        failures: 1,
        since: T0,
        until: T0 + 30 * S,
        lastFailureAt: T0,
      });
      expect(billed).toMatchObject({ key: 'anthropic', scope: 'provider', until: T0 + 5 * H });
      expect(await store.read([opus.ref, 'anthropic', sonnet.ref], T0)).toEqual(
        new Map([
          [opus.ref, limited],
          ['anthropic', billed],
        ]),
      );
    });

    it('a reason that does not cool down writes nothing', async () => {
      const store = await newStore();
      for (const reason of ['config', 'context_overflow', 'session_expired', 'aborted', 'unknown'] as const) {
        expect(await store.recordFailure({ ...opus, failure: failure(reason), now: T0 })).toBeUndefined();
      }
      expect(await store.list(T0)).toEqual([]);
    });

    it('consecutive failures step the ladder', async () => {
      const store = await newStore();
      const durations: number[] = [];
      let now = T0;
      for (let i = 0; i < 4; i++) {
        const entry = await store.recordFailure({ ...opus, failure: failure('overloaded'), now });
        durations.push((entry?.until ?? 0) - now);
        now = (entry?.until ?? now) + 1; // the next failure comes right after the cooldown ended
      }
      expect(durations).toEqual([30 * S, 60 * S, 5 * MIN, 5 * MIN]);
      expect((await store.read([opus.ref], now))?.get(opus.ref)?.failures).toBe(4);
    });

    it('Retry-After replaces the step', async () => {
      const store = await newStore();
      await store.recordFailure({ ...opus, failure: failure('rate_limit'), now: T0 });
      const second = await store.recordFailure({ ...opus, failure: failure('rate_limit', 7 * S), now: T0 + 31 * S });
      expect(second).toMatchObject({ failures: 2, until: T0 + 38 * S, retryAfterMs: 7 * S });
      const huge = await store.recordFailure({ ...sonnet, failure: failure('rate_limit', Number.POSITIVE_INFINITY), now: T0 });
      expect(huge).toMatchObject({ until: T0 + H, retryAfterMs: H });
      expect((await store.read([sonnet.ref], T0)).get(sonnet.ref)).toEqual(huge);
    });

    it('failures while cooling down (concurrent requests) count once', async () => {
      const store = await newStore();
      const entries = await Promise.all(
        Array.from({ length: 50 }, () => store.recordFailure({ ...opus, failure: failure('rate_limit'), now: T0 })),
      );
      expect(entries.every((entry) => entry?.failures === 1 && entry.until === T0 + 30 * S)).toBe(true);
      expect((await store.read([opus.ref], T0)).get(opus.ref)).toMatchObject({ failures: 1, until: T0 + 30 * S });
    });

    it('a success clears the model and provider cooldown', async () => {
      const store = await newStore();
      await store.recordFailure({ ...opus, failure: failure('timeout'), now: T0 });
      await store.recordFailure({ ...sonnet, failure: failure('timeout'), now: T0 });
      await store.recordFailure({ ...opus, failure: failure('auth'), now: T0 });
      await store.recordFailure({ ref: 'openai/gpt-5', provider: 'openai', failure: failure('billing'), now: T0 });

      await store.recordSuccess(opus);
      expect([...(await store.read([opus.ref, 'anthropic', sonnet.ref, 'openai'], T0)).keys()]).toEqual([sonnet.ref, 'openai']);
      await store.recordSuccess(opus); // nothing left to clear: no error
      // the counter starts again after a success
      expect((await store.recordFailure({ ...opus, failure: failure('timeout'), now: T0 + 1 }))?.failures).toBe(1);
    });

    it('read returns expired entries but omits those past their reset window', async () => {
      const store = await newStore();
      const entry = await store.recordFailure({ ...opus, failure: failure('rate_limit'), now: T0 });
      expect((await store.read([opus.ref], T0 + 30 * S + 10 * MIN)).get(opus.ref)).toEqual(entry);
      expect((await store.read([opus.ref], T0 + 30 * S + 10 * MIN + 1)).size).toBe(0);
      expect(await store.list(T0 + H)).toEqual([]);
      expect(await store.read([], T0)).toEqual(new Map());
    });

    it('list sorts by key and clear removes one key or every key', async () => {
      const store = await newStore();
      await store.recordFailure({ ...sonnet, failure: failure('timeout'), now: T0 });
      await store.recordFailure({ ...opus, failure: failure('timeout'), now: T0 });
      await store.recordFailure({ ...opus, failure: failure('auth'), now: T0 });
      expect((await store.list(T0)).map((e: CooldownEntry) => e.key)).toEqual(['anthropic', opus.ref, sonnet.ref]);
      expect(await store.clear(opus.ref)).toBe(1);
      expect(await store.clear(opus.ref)).toBe(0);
      expect(await store.clear()).toBe(2);
      expect(await store.list(T0)).toEqual([]);
      expect(await store.clear()).toBe(0);
    });

    it('an ended cooldown is listed until its reset window ends, and clearing it restarts its ladder (safetynet cooldowns clear)', async () => {
      const store = await newStore();
      await store.recordFailure({ ...opus, failure: failure('timeout'), now: T0 }); // 30 s
      const ended = T0 + 31 * S;
      expect((await store.list(ended)).map((e: CooldownEntry) => [e.key, e.until > ended])).toEqual([[opus.ref, false]]);
      expect((await store.recordFailure({ ...opus, failure: failure('timeout'), now: ended }))?.failures).toBe(2); // climbs: 60 s
      expect(await store.clear(opus.ref)).toBe(1);
      const again = await store.recordFailure({ ...opus, failure: failure('timeout'), now: ended });
      expect(again).toMatchObject({ failures: 1, until: ended + 30 * S });
    });

    it('bad arguments are rejected with a TypeError naming the argument', async () => {
      const store = await newStore();
      await expect(store.recordFailure({ ...opus, ref: '', failure: failure('rate_limit') })).rejects.toThrow(/`ref`/);
      await expect(store.recordFailure({ ...opus, provider: '', failure: failure('rate_limit') })).rejects.toThrow(/`provider`/);
      await expect(store.recordFailure({ ...opus, failure: { reason: 'nope' as FailureReason, message: '' } })).rejects.toThrow(
        /`failure`/,
      );
      await expect(store.recordFailure({ ...opus, failure: failure('rate_limit'), now: Number.NaN })).rejects.toThrow(/`now`/);
      await expect(store.recordSuccess({ ...opus, ref: '' })).rejects.toThrow(TypeError);
      await expect(store.read([''])).rejects.toThrow(/`keys\[0\]`/);
      await expect(store.clear('')).rejects.toThrow(/`key`/);
    });
  });

  describe('CooldownStorage half-open probe claims', () => {
    const I = 5 * S;

    it('a cooled key admits exactly one probe claim per interval among concurrent claims', async () => {
      const store = await newStore();
      await store.recordFailure({ ...opus, failure: failure('overloaded'), now: T0 });
      const claims = await Promise.all(
        Array.from({ length: 8 }, () => store.claimProbe({ key: opus.ref, now: T0 + I, probeIntervalMs: I })),
      );
      expect(claims.filter(Boolean)).toHaveLength(1);
      expect((await store.read([opus.ref], T0 + I)).get(opus.ref)).toMatchObject({ probeAt: T0 + 2 * I, failures: 1 });
      expect(await store.claimProbe({ key: opus.ref, now: T0 + 2 * I - 1, probeIntervalMs: I })).toBe(false);
      expect(await store.claimProbe({ key: opus.ref, now: T0 + 2 * I, probeIntervalMs: I })).toBe(true);
      await store.close();
    });

    it('nothing is claimed for a key without an entry, with a Retry-After, or of an auth cooldown', async () => {
      const store = await newStore();
      await store.recordFailure({ ...sonnet, failure: failure('rate_limit', 20 * S), now: T0 });
      await store.recordFailure({ ref: 'openai/gpt-5', provider: 'openai', failure: failure('auth'), now: T0 });
      for (const key of [opus.ref, sonnet.ref, 'openai'])
        expect(await store.claimProbe({ key, now: T0 + I, probeIntervalMs: I })).toBe(false);
      await store.close();
    });

    it('rejects a probe interval that is not a positive number', async () => {
      const store = await newStore();
      await expect(store.claimProbe({ key: opus.ref, now: T0, probeIntervalMs: 0 })).rejects.toThrow(/`probeIntervalMs`/);
      await expect(store.claimProbe({ key: '', now: T0, probeIntervalMs: I })).rejects.toThrow(/`key`/);
    });
  });
}
