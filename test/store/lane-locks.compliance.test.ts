/**
 * The `LaneLocks` compliance suite on both backends: lock files in a temp folder, and Redis leases
 * on a real `redis-server` (each test under its own key prefix).
 */
import path from 'node:path';
import { FileLaneLocks } from '../../src/store/lanes/file-lane-locks.js';
import { RedisLaneLocks } from '../../src/store/redis/lane-locks.js';
import { useRedis } from '../support/redis-rig.js';
import { laneLocksSuite } from './compliance/lane-locks.js';
import { tempFolder } from './support.js';

/** proper-lockfile's smallest stale window. */
const STALE_MS = 2000;
/** A short lease, so the takeover tests stay short (renewed every 200 ms). */
const LEASE_MS = 600;

const { redis, connect, freshPrefix } = useRedis('lanes');

laneLocksSuite('lock files', async () => {
  const folder = path.join(await tempFolder(), 'state.lanes'); // removed by the suite's cleanup()
  return {
    locks: () => new FileLaneLocks({ folder, staleMs: STALE_MS }),
    holderArgs: (sessionKey) => ['file', folder, sessionKey, String(STALE_MS)],
    expiryMs: STALE_MS,
    close: async () => {},
  };
});

laneLocksSuite('Redis leases', async () => {
  const keyPrefix = freshPrefix();
  return {
    locks: () => new RedisLaneLocks({ connection: connect(keyPrefix), leaseMs: LEASE_MS }),
    holderArgs: (sessionKey) => ['redis', redis().url, sessionKey, String(LEASE_MS), keyPrefix],
    expiryMs: LEASE_MS,
    close: async () => {}, // the rig closes the connections after each test
  };
});
