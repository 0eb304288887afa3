/**
 * The `SessionStorage` compliance suite on every backend: LevelDB (a temp folder per test) and
 * Redis (one real redis-server for this file, a fresh key prefix per test).
 */
import path from 'node:path';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { RedisSessionStore, SessionStore } from '../../src/store/index.js';
import { RedisConnection } from '../../src/store/redis/connection.js';
import { startRedis, type TestRedis } from '../support/redis-server.js';
import { sessionStorageSuite } from './compliance/session-storage.js';
import { cleanup, tempFolder } from './support.js';

afterEach(cleanup);

sessionStorageSuite('LevelDB', async (options = {}) => {
  const location = path.join(await tempFolder(), 'state');
  const store = new SessionStore({ ...options, location });
  return {
    store,
    reopen: async (again = {}) => new SessionStore({ ...again, location }),
    cleanup: () => store.close(),
  };
});

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

let prefixes = 0;
sessionStorageSuite('Redis', async (options = {}) => {
  const keyPrefix = `compliance-${++prefixes}:`;
  const connections = [new RedisConnection({ url: redis.url, keyPrefix })];
  const store = new RedisSessionStore({ ...options, connection: connections[0] as RedisConnection });
  return {
    store,
    reopen: async (again = {}) => {
      const connection = new RedisConnection({ url: redis.url, keyPrefix });
      connections.push(connection);
      return new RedisSessionStore({ ...again, connection });
    },
    cleanup: async () => {
      await Promise.all(connections.map((connection) => connection.close()));
    },
  };
});
