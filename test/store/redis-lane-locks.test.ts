/**
 * Redis lane leases beyond the compliance suite: lanes of three replicas (three connections), the
 * fencing token a replica keeps after its lease expired, renewal warnings, an unreachable Redis.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SessionBusyError } from '../../src/errors.js';
import { SessionLanes } from '../../src/runtime/session-lane.js';
import { RedisLaneLocks } from '../../src/store/redis/lane-locks.js';
import { useRedis } from '../support/redis-rig.js';

/** A fresh key prefix per test (`prefix()`): the tests share one server. */
const { redis, connect, freshPrefix: prefix } = useRedis('rl');

/** Lane locks opened by a test, closed after it (before the rig closes their connections). */
const opened: RedisLaneLocks[] = [];
afterEach(async () => {
  for (const locks of opened.splice(0)) await locks.close();
});

/** One replica's connection and lane locks. */
function replica(keyPrefix: string, options: { leaseMs?: number; onWarning?: (message: string) => void; url?: string } = {}) {
  const connection = connect(keyPrefix, { url: options.url, commandTimeoutMs: 300 });
  const locks = new RedisLaneLocks({ connection, leaseMs: options.leaseMs ?? 1000, onWarning: options.onWarning });
  opened.push(locks);
  return { connection, locks };
}

/** Resolve once `warnings` holds a message matching `pattern`, polling every 20 ms for at most `boundMs`. */
async function warned(warnings: string[], pattern: RegExp, boundMs = 10_000): Promise<string | undefined> {
  for (let waited = 0; waited <= boundMs; waited += 20) {
    const found = warnings.find((warning) => pattern.test(warning));
    if (found !== undefined) return found;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return undefined;
}

/** Block this process's event loop for `ms` (no timer, no renewal runs), as a long GC pause or a stall does. */
function stallEventLoop(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy: nothing else runs
  }
}

describe('Redis lane leases', () => {
  it('30 turns of one key on three replicas never overlap, and all 30 run', async () => {
    const keyPrefix = prefix();
    const lanes = [1, 2, 3].map(() => new SessionLanes({ locks: replica(keyPrefix).locks }));
    let running = 0;
    let most = 0;
    let ran = 0;
    const turn = async (): Promise<void> => {
      running++;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, 5));
      ran++;
      running--;
    };

    await Promise.all(Array.from({ length: 30 }, (_, i) => lanes[i % 3]?.run('demo', turn, { waitMs: 60_000 })));

    expect(ran).toBe(30);
    expect(most).toBe(1);
  });

  it('the acquire takes the lease and the token under the connection prefix, and sets the fence of the key', async () => {
    const { connection, locks } = replica(prefix());
    const held = await locks.tryAcquire('demo');

    expect(held?.token).toBe(1);
    expect(connection.fences.get('demo')).toBe(1);
    expect(await (await connection.ready()).get(connection.key('lane', 'demo'))).toBe('1');
    expect(await (await connection.ready()).get(connection.key('fence', 'demo'))).toBe('1');
    expect(await (await connection.ready()).pttl(connection.key('lane', 'demo'))).toBeGreaterThan(0);

    await held?.release();
    expect(connection.fences.has('demo')).toBe(false);
    expect(await (await connection.ready()).exists(connection.key('lane', 'demo'))).toBe(0);
  });

  it('a holder renews its lease: it outlives many lease periods while held', async () => {
    const keyPrefix = prefix();
    const { locks } = replica(keyPrefix, { leaseMs: 300 });
    const other = replica(keyPrefix, { leaseMs: 300 }).locks;
    const held = await locks.tryAcquire('demo');

    for (let i = 0; i < 10; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await other.tryAcquire('demo')).toBeUndefined();
    }
    await held?.release();
  });

  it('a stale fence: after its lease expired and another replica took over, the old holder keeps an older token than the fence key', async () => {
    const keyPrefix = prefix();
    const warnings: string[] = [];
    const old = replica(keyPrefix, { leaseMs: 300, onWarning: (message) => warnings.push(message) });
    const next = replica(keyPrefix, { leaseMs: 300 });
    const stale = await old.locks.tryAcquire('demo');
    expect(stale?.token).toBeDefined();

    stallEventLoop(900); // no renewal runs: the lease expires in Redis
    const taken = await next.locks.tryAcquire('demo');

    expect(taken).toBeDefined();
    const fenceKey = Number(await (await next.connection.ready()).get(next.connection.key('fence', 'demo')));
    expect(old.connection.fences.get('demo')).toBe(stale?.token);
    expect(old.connection.fences.get('demo')).toBeLessThan(fenceKey);
    expect(taken?.token).toBe(fenceKey);
    expect(await warned(warnings, /"demo" was lost/)).toBeDefined();

    // The old holder's release leaves the new lease alone.
    await stale?.release();
    expect(old.connection.fences.has('demo')).toBe(false);
    expect(await (await next.connection.ready()).get(next.connection.key('lane', 'demo'))).toBe(String(taken?.token));
    expect(await old.locks.tryAcquire('demo')).toBeUndefined();
    await taken?.release();
  });

  it('a busy lane names the Redis location (without password) in SAFETYNET_SESSION_BUSY', async () => {
    const keyPrefix = prefix();
    const held = await replica(keyPrefix).locks.tryAcquire('demo');
    const lanes = new SessionLanes({ locks: replica(keyPrefix).locks });

    const error = await lanes.run('demo', async () => 'ran', { waitMs: 100 }).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(SessionBusyError);
    expect((error as Error).message).toContain(`redis://127.0.0.1:${redis().port}`);
    await held?.release();
  });

  it('an unreachable Redis fails tryAcquire with SAFETYNET_STORE_UNAVAILABLE within the command timeout', async () => {
    const { locks } = replica(prefix(), { url: 'redis://127.0.0.1:1/0' });

    await expect(locks.tryAcquire('demo')).rejects.toMatchObject({ code: 'SAFETYNET_STORE_UNAVAILABLE' });
  });

  it('a renewal that cannot reach Redis warns once, and the turn goes on', async () => {
    const warnings: string[] = [];
    const { locks } = replica(prefix(), { leaseMs: 300, onWarning: (message) => warnings.push(message) });
    const held = await locks.tryAcquire('demo');

    await redis().pause();
    try {
      expect(await warned(warnings, /renewing the lane lease of session "demo" failed/)).toContain('unavailable');
    } finally {
      await redis().resume();
    }
    await held?.release(); // never rejects, even though the lease is gone with the restarted server
    expect(warnings.filter((warning) => warning.includes('renewing')).length).toBe(1);
  });
});
