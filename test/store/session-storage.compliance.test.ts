/**
 * The `SessionStorage` compliance suite on every backend: LevelDB (a temp folder per test) and
 * Redis (one real redis-server for this file, a fresh key prefix per test).
 */
import path from 'node:path';
import { afterEach } from 'vitest';
import { RedisSessionStore, SessionStore } from '../../src/store/index.js';
import { useRedis } from '../support/redis-rig.js';
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

const { connect, freshPrefix } = useRedis('compliance');
sessionStorageSuite('Redis', async (options = {}) => {
  const keyPrefix = freshPrefix();
  return {
    store: new RedisSessionStore({ ...options, connection: connect(keyPrefix) }),
    reopen: async (again = {}) => new RedisSessionStore({ ...again, connection: connect(keyPrefix) }),
    cleanup: async () => {}, // the rig closes the connections after each test
  };
});
