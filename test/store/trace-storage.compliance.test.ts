/**
 * The TraceStorage compliance suite on LevelDB (a temp folder) and on Redis (one real
 * redis-server for the file, a fresh key prefix per test), then the Redis-only rules: replicas
 * writing at once share one count bound, the keys expire by themselves, values that are not traces
 * are skipped, and an outage is a `SAFETYNET_STORE_UNAVAILABLE`.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RedisTraceStore, TraceStore, traceKey } from '../../src/store/index.js';
import { useRedis } from '../support/redis-rig.js';
import { DAY, T0, trace, traceStorageSuite } from './compliance/trace-storage.js';
import { cleanup, tempFolder } from './support.js';

const { redis, connect, freshPrefix } = useRedis('traces-test');
afterEach(cleanup);

traceStorageSuite('LevelDB', async (bounds) => {
  const store = new TraceStore({ location: path.join(await tempFolder(), 'state'), ...bounds });
  return { store, cleanup: () => store.close() };
});

traceStorageSuite('Redis', async (bounds) => {
  const connection = connect();
  try {
    return { store: new RedisTraceStore({ connection, ...bounds }), cleanup: () => connection.close() };
  } catch (error) {
    await connection.close();
    throw error;
  }
});

describe('RedisTraceStore across replicas', () => {
  it('traces written by two replicas at once respect one maxCount', async () => {
    const prefix = freshPrefix();
    const a = new RedisTraceStore({ connection: connect(prefix), maxCount: 5 });
    const b = new RedisTraceStore({ connection: connect(prefix), maxCount: 5 });
    await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? a : b).write(trace(`r${i}`, T0 + i), T0 + i)));
    expect(await a.count()).toBe(5);
    expect((await b.list(10)).map((t) => t.requestId)).toEqual(['r39', 'r38', 'r37', 'r36', 'r35']);
    const connection = connect(prefix);
    expect(await (await connection.ready()).hlen(connection.key('traces', 'data'))).toBe(5); // pruned values are gone too
  });

  it('a trace written by one replica is found by the other', async () => {
    const prefix = freshPrefix();
    await new RedisTraceStore({ connection: connect(prefix) }).write(trace('from-a', T0), T0);
    expect((await new RedisTraceStore({ connection: connect(prefix) }).find('from')).map((t) => t.requestId)).toEqual(['from-a']);
  });

  it('the stored traces carry a TTL that ends when the newest is older than maxAgeMs', async () => {
    const connection = connect();
    const store = new RedisTraceStore({ connection, maxAgeMs: DAY });
    const now = Date.now();
    await store.write(trace('x', now), now);
    for (const key of [connection.key('traces', 'index'), connection.key('traces', 'data')]) {
      const ttl = await (await connection.ready()).pttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(DAY + 1);
    }
  });

  it('values that are not traces are skipped', async () => {
    const connection = connect();
    const store = new RedisTraceStore({ connection });
    await store.write(trace('good', T0), T0);
    const junk = traceKey({ endedAt: 9_999_999_999_999, requestId: 'junk' });
    await (await connection.ready()).zadd(connection.key('traces', 'index'), 9_999_999_999_999, junk);
    await (await connection.ready()).hset(connection.key('traces', 'data'), junk, '{"not":"a trace"}');
    expect((await store.last())?.requestId).toBe('good'); // the newest value is junk: skipped
    expect((await store.list()).map((t) => t.requestId)).toEqual(['good']);
  });

  it('Redis down: write and list reject with SAFETYNET_STORE_UNAVAILABLE', async () => {
    const store = new RedisTraceStore({ connection: connect(undefined, { commandTimeoutMs: 300 }) });
    await store.write(trace('x', T0), T0);
    await redis().pause();
    try {
      await expect(store.write(trace('y', T0), T0)).rejects.toMatchObject({ code: 'SAFETYNET_STORE_UNAVAILABLE' });
      await expect(store.list()).rejects.toMatchObject({ code: 'SAFETYNET_STORE_UNAVAILABLE' });
    } finally {
      await redis().resume();
    }
  });
});
