/**
 * The CooldownStorage compliance suite on LevelDB (a temp folder) and on Redis (one real
 * redis-server for the file, a fresh key prefix per test), then the Redis-only rules: two
 * connections are two replicas sharing the cooldowns, entries expire by themselves, and an outage
 * is a `SAFETYNET_STORE_UNAVAILABLE`.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cooldownStaleAfter } from '../../src/failover/cooldown-policy.js';
import { CooldownStore, RedisCooldownStore } from '../../src/store/index.js';
import { useRedis } from '../support/redis-rig.js';
import { cooldownStorageSuite, failure, opus, S, sonnet, T0 } from './compliance/cooldown-storage.js';
import { cleanup, tempFolder } from './support.js';

const { redis, connect, freshPrefix } = useRedis('cooldowns-test');
afterEach(cleanup);

cooldownStorageSuite('LevelDB', async () => {
  const store = new CooldownStore({ location: path.join(await tempFolder(), 'state') });
  return { store, cleanup: () => store.close() };
});

cooldownStorageSuite('Redis', async () => {
  const connection = connect();
  return {
    store: new RedisCooldownStore({ connection }),
    cleanup: async () => connection.close(),
  };
});

describe('RedisCooldownStore across replicas', () => {
  /** Two stores on two connections with one prefix: two replicas. */
  function replicas(): [RedisCooldownStore, RedisCooldownStore] {
    const prefix = freshPrefix();
    return [new RedisCooldownStore({ connection: connect(prefix) }), new RedisCooldownStore({ connection: connect(prefix) })];
  }

  it('a failure recorded by one replica is read by the other, and its success clears it for both', async () => {
    const [a, b] = replicas();
    const written = await a.recordFailure({ ...opus, failure: failure('overloaded', 12 * S), now: T0 });
    expect((await b.read([opus.ref, 'anthropic'], T0)).get(opus.ref)).toEqual(written);
    // the next failure on the other replica, after the cooldown ended, steps the same ladder
    expect((await b.recordFailure({ ...opus, failure: failure('overloaded'), now: T0 + 13 * S }))?.failures).toBe(2);
    await b.recordSuccess(opus);
    expect((await a.read([opus.ref], T0)).size).toBe(0);
    expect(await a.list(T0)).toEqual([]);
  });

  it('replicas failing at once during one outage step the ladder only once', async () => {
    const [a, b] = replicas();
    const entries = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).recordFailure({ ...opus, failure: failure('rate_limit'), now: T0 })),
    );
    expect(entries.every((entry) => entry?.failures === 1 && entry.until === T0 + 30 * S)).toBe(true);
    expect((await a.read([opus.ref], T0)).get(opus.ref)).toMatchObject({ failures: 1, until: T0 + 30 * S });
  });

  it('of 20 concurrent probe claims across two replicas exactly one wins', async () => {
    const [a, b] = replicas();
    const I = 5 * S;
    await a.recordFailure({ ...opus, failure: failure('overloaded'), now: T0 });
    const claims = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).claimProbe({ key: opus.ref, now: T0 + I, probeIntervalMs: I })),
    );
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect((await b.read([opus.ref], T0 + I)).get(opus.ref)).toMatchObject({ probeAt: T0 + 2 * I });
  });

  it('every entry carries a TTL that ends when it turns stale', async () => {
    const prefix = freshPrefix();
    const connection = connect(prefix);
    const store = new RedisCooldownStore({ connection });
    const now = Date.now();
    const entry = await store.recordFailure({ ...sonnet, failure: failure('billing'), now });
    await store.recordFailure({ ...opus, failure: failure('overloaded'), now });
    await store.claimProbe({ key: opus.ref, now: now + 5 * S, probeIntervalMs: 5 * S });
    for (const key of ['anthropic', opus.ref]) {
      const ttl = await (await connection.ready()).pttl(connection.key('cooldowns', 'entry', key));
      expect(ttl).toBeGreaterThan(0);
    }
    if (entry === undefined) throw new Error('billing cools down');
    const billing = await (await connection.ready()).pttl(connection.key('cooldowns', 'entry', 'anthropic'));
    expect(billing).toBeLessThanOrEqual(cooldownStaleAfter(entry) - now + 1);
  });

  it('an entry Redis forgot (its TTL ended) leaves the index on the next list', async () => {
    const connection = connect();
    const store = new RedisCooldownStore({ connection });
    await store.recordFailure({ ...opus, failure: failure('overloaded'), now: T0 });
    await store.recordFailure({ ...sonnet, failure: failure('overloaded'), now: T0 });
    await (await connection.ready()).del(connection.key('cooldowns', 'entry', opus.ref)); // as its expiry would
    expect((await store.list(T0)).map((e) => e.key)).toEqual([sonnet.ref]);
    expect(await (await connection.ready()).smembers(connection.key('cooldowns', 'index'))).toEqual([sonnet.ref]);
  });

  it('a stored value that is not an entry reads as absent and is replaced by the next failure', async () => {
    const connection = connect();
    const store = new RedisCooldownStore({ connection });
    await (await connection.ready()).set(connection.key('cooldowns', 'entry', opus.ref), '{"until":"soon"');
    expect((await store.read([opus.ref], T0)).size).toBe(0);
    expect((await store.recordFailure({ ...opus, failure: failure('rate_limit'), now: T0 }))?.failures).toBe(1);
    expect((await store.read([opus.ref], T0)).get(opus.ref)).toMatchObject({ failures: 1 });
  });

  it('Redis down: read and recordFailure reject with SAFETYNET_STORE_UNAVAILABLE', async () => {
    const store = new RedisCooldownStore({ connection: connect(undefined, { commandTimeoutMs: 300 }) });
    await store.recordFailure({ ...opus, failure: failure('overloaded'), now: T0 });
    await redis().pause();
    try {
      await expect(store.read([opus.ref], T0)).rejects.toMatchObject({ code: 'SAFETYNET_STORE_UNAVAILABLE' });
      await expect(store.recordFailure({ ...opus, failure: failure('overloaded'), now: T0 })).rejects.toMatchObject({
        code: 'SAFETYNET_STORE_UNAVAILABLE',
      });
    } finally {
      await redis().resume();
    }
  });
});
