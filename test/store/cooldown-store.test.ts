import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AttemptFailure, FailureReason } from '../../src/errors.js';
import { COOLDOWNS_SUBLEVEL, CooldownStore, LevelHandle, SessionStore, type CooldownEntry } from '../../src/store/index.js';
import { cleanup, REPO, startNode, tempFolder } from './support.js';

/** One cooldown operation through the compiled store in a child process (see the fixture's header). */
const COOLDOWN_OP = path.join(REPO, 'test/fixtures/bin/store-cooldown-op.mjs');

// The fixture imports the compiled store: test/global-setup.ts rebuilds dist/ when src/ is newer.

afterEach(cleanup);

const S = 1000;
const MIN = 60 * S;
const H = 60 * MIN;
const T0 = 1_700_000_000_000;
const opus = { ref: 'anthropic/claude-opus-4-6', provider: 'anthropic' };
const sonnet = { ref: 'anthropic/claude-sonnet-4-5', provider: 'anthropic' };

async function newStore(): Promise<CooldownStore> {
  return new CooldownStore({ location: path.join(await tempFolder(), 'state') });
}

function failure(reason: FailureReason, retryAfterMs?: number): AttemptFailure {
  return { reason, message: `${reason} in a test`, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
}

async function op(location: string, args: string[]): Promise<unknown> {
  const result = await startNode(COOLDOWN_OP, [location, ...args]);
  expect(result, result.stdout + result.stderr).toMatchObject({ exitCode: 0 });
  return JSON.parse(result.stdout) as unknown;
}

describe('CooldownStore', () => {
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

  it('cooldowns survive closing and reopening', async () => {
    const store = await newStore();
    const entry = await store.recordFailure({ ...opus, failure: failure('billing'), now: T0 });
    await store.close();
    const reopened = new CooldownStore({ location: store.location });
    expect((await reopened.read(['anthropic'], T0 + H)).get('anthropic')).toEqual(entry);
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
  });

  it('a stored value that is not an entry reads as absent and is replaced by the next failure', async () => {
    const store = await newStore();
    await new LevelHandle(store.location).useSublevel<unknown, void>(COOLDOWNS_SUBLEVEL, (sub) => sub.put(opus.ref, { until: 'soon' }));
    expect((await store.read([opus.ref], T0)).size).toBe(0);
    expect((await store.recordFailure({ ...opus, failure: failure('rate_limit'), now: T0 }))?.failures).toBe(1);
  });

  it('shares one folder and handle with the session store without collisions', async () => {
    const handle = new LevelHandle(path.join(await tempFolder(), 'state'));
    const cooldowns = new CooldownStore({ handle });
    const sessions = new SessionStore({ handle });
    await sessions.recordSuccess({ sessionKey: opus.ref, backendId: 'x', cliSessionId: 'id', cwd: '/w', now: T0 });
    await cooldowns.recordFailure({ ...opus, failure: failure('rate_limit'), now: T0 });
    expect(await cooldowns.list(T0)).toHaveLength(1);
    expect(await sessions.list()).toHaveLength(1);
  });

  it('bad arguments are rejected with a TypeError naming the argument', async () => {
    const store = await newStore();
    await expect(store.recordFailure({ ...opus, ref: '', failure: failure('rate_limit') })).rejects.toThrow(/`ref`/);
    await expect(store.recordFailure({ ...opus, provider: '', failure: failure('rate_limit') })).rejects.toThrow(/`provider`/);
    await expect(store.recordFailure({ ...opus, failure: { reason: 'nope' as FailureReason, message: '' } })).rejects.toThrow(/`failure`/);
    await expect(store.recordFailure({ ...opus, failure: failure('rate_limit'), now: Number.NaN })).rejects.toThrow(/`now`/);
    await expect(store.recordSuccess({ ...opus, ref: '' })).rejects.toThrow(TypeError);
    await expect(store.read([''])).rejects.toThrow(/`keys\[0\]`/);
    await expect(store.clear('')).rejects.toThrow(/`key`/);
  });
});

describe('CooldownStore across processes', () => {
  it('an entry written by one store instance is seen by another process', async () => {
    const location = path.join(await tempFolder(), 'state');
    const written = await new CooldownStore({ location }).recordFailure({ ...opus, failure: failure('overloaded', 12 * S), now: T0 });
    expect(await op(location, ['read', String(T0), opus.ref, 'anthropic'])).toEqual({ [opus.ref]: written });

    const fromChild = await op(location, ['record', sonnet.ref, sonnet.provider, 'auth', String(T0)]);
    expect((await new CooldownStore({ location }).read(['anthropic'], T0)).get('anthropic')).toEqual(fromChild);
  });

  it('a success in another process clears the cooldown here', async () => {
    const location = path.join(await tempFolder(), 'state');
    const store = new CooldownStore({ location });
    await store.recordFailure({ ...opus, failure: failure('billing'), now: T0 });
    await op(location, ['success', opus.ref, opus.provider]);
    expect((await store.read(['anthropic'], T0)).size).toBe(0);
  });

  it('processes failing at once during one outage step the ladder only once', async () => {
    const location = path.join(await tempFolder(), 'state');
    await Promise.all([1, 2, 3].map(() => op(location, ['record', opus.ref, opus.provider, 'rate_limit', String(T0), '-', '10'])));
    expect((await new CooldownStore({ location }).read([opus.ref], T0)).get(opus.ref)).toMatchObject({ failures: 1, until: T0 + 30 * S });
  });
});

describe('CooldownStore half-open probe claims', () => {
  const I = 5 * S;

  it('a cooled key admits exactly one probe claim per interval among concurrent claims', async () => {
    const store = await newStore();
    await store.recordFailure({ ...opus, failure: failure('overloaded'), now: T0 });
    const claims = await Promise.all(Array.from({ length: 8 }, () => store.claimProbe({ key: opus.ref, now: T0 + I, probeIntervalMs: I })));
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

  it('across processes sharing the folder, exactly one of simultaneous claims wins', async () => {
    const location = path.join(await tempFolder(), 'state');
    const store = new CooldownStore({ location });
    await store.recordFailure({ ...opus, failure: failure('overloaded'), now: T0 });
    await store.close();
    const results = await Promise.all([1, 2, 3, 4].map(() => op(location, ['claim', opus.ref, String(T0 + I), String(I)])));
    expect(results.filter((result) => (result as { claimed: boolean }).claimed)).toHaveLength(1);
  });
});
