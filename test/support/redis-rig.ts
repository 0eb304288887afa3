/**
 * The per-file Redis test rig: one real `redis-server` for the test file (started in `beforeAll`,
 * stopped in `afterAll`), a fresh key prefix per call, and connections that are closed after each
 * test. Call {@link useRedis} once at the top level of a test file; it registers the hooks itself.
 */
import { afterAll, afterEach, beforeAll } from 'vitest';
import { RedisConnection, type RedisConnectionOptions } from '../../src/store/redis/connection.js';
import { startRedis, type TestRedis } from './redis-server.js';

/** Options of {@link RedisRig.connect} (the key prefix is its own argument). */
export interface RigConnectOptions {
  /** @default the file's server */
  url?: string | undefined;
  commandTimeoutMs?: RedisConnectionOptions['commandTimeoutMs'];
  onWarning?: RedisConnectionOptions['onWarning'];
}

/** What {@link useRedis} hands a test file. */
export interface RedisRig {
  /** The file's server; throws when called before `beforeAll` started it. */
  redis(): TestRedis;
  /** A key prefix no other call of this file returned: `<label>-<n>:`. */
  freshPrefix(): string;
  /**
   * A connection to the file's server (or `options.url`) under `keyPrefix` (default: a fresh one),
   * closed after the test that opened it.
   */
  connect(keyPrefix?: string, options?: RigConnectOptions): RedisConnection;
}

/**
 * Register the hooks of a per-file Redis: start it before all tests, close the connections a test
 * opened after it, stop the server after all tests. `label` starts every fresh key prefix.
 */
export function useRedis(label = 'test'): RedisRig {
  let server: TestRedis | undefined;
  let prefixes = 0;
  const connections: RedisConnection[] = [];

  beforeAll(async () => {
    server = await startRedis();
  });
  afterEach(async () => {
    await Promise.all(connections.splice(0).map((connection) => connection.close()));
  });
  afterAll(async () => {
    await server?.stop();
  });

  const redis = (): TestRedis => {
    if (server === undefined) throw new Error('useRedis(): the test Redis is not started yet (use it inside a test or hook)');
    return server;
  };
  const freshPrefix = (): string => `${label}-${++prefixes}:`;
  return {
    redis,
    freshPrefix,
    connect: (keyPrefix = freshPrefix(), options = {}) => {
      const connection = new RedisConnection({ ...options, url: options.url ?? redis().url, keyPrefix });
      connections.push(connection);
      return connection;
    },
  };
}
