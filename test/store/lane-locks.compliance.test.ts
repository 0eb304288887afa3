/**
 * The `LaneLocks` compliance suite on both backends: lock files in a temp folder, and Redis leases
 * on a real `redis-server` (each test under its own key prefix).
 */
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { FileLaneLocks } from '../../src/store/lanes/file-lane-locks.js';
import { RedisConnection } from '../../src/store/redis/connection.js';
import { RedisLaneLocks } from '../../src/store/redis/lane-locks.js';
import { startRedis, type TestRedis } from '../support/redis-server.js';
import { laneLocksSuite } from './compliance/lane-locks.js';
import { tempFolder } from './support.js';

/** proper-lockfile's smallest stale window. */
const STALE_MS = 2000;
/** A short lease, so the takeover tests stay short (renewed every 200 ms). */
const LEASE_MS = 600;

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

laneLocksSuite('lock files', async () => {
  const folder = path.join(await tempFolder(), 'state.lanes'); // removed by the suite's cleanup()
  return {
    locks: () => new FileLaneLocks({ folder, staleMs: STALE_MS }),
    holderArgs: (sessionKey) => ['file', folder, sessionKey, String(STALE_MS)],
    expiryMs: STALE_MS,
    close: async () => {},
  };
});

let places = 0;
laneLocksSuite('Redis leases', async () => {
  const keyPrefix = `lanes${++places}:`;
  const connections: RedisConnection[] = [];
  return {
    locks: () => {
      const connection = new RedisConnection({ url: redis.url, keyPrefix });
      connections.push(connection);
      return new RedisLaneLocks({ connection, leaseMs: LEASE_MS });
    },
    holderArgs: (sessionKey) => ['redis', redis.url, sessionKey, String(LEASE_MS), keyPrefix],
    expiryMs: LEASE_MS,
    close: async () => {
      await Promise.all(connections.map((connection) => connection.close()));
    },
  };
});
