/**
 * The Redis backend of the state stores (replicas): sessions, transcripts, cooldowns, traces and
 * session lane leases under one key prefix, on one connection. Rationale: `docs/replicas.md`.
 */
import type { OpenStateStoresOptions, StateStores } from '../ports.js';
import { RedisConnection } from './connection.js';
import { RedisCooldownStore } from './cooldown-store.js';
import { RedisLaneLocks } from './lane-locks.js';
import { RedisSessionStore } from './session-store.js';
import { RedisTraceStore } from './trace-store.js';

/**
 * The Redis state stores of `options.settings` (`url`, `keyPrefix`, `commandTimeoutMs`, `leaseMs`, `hostId`).
 * @throws {TypeError} when the URL is missing or not a redis:// URL.
 */
export function redisStores(options: OpenStateStoresOptions): StateStores {
  const { settings, bounds, traces, onWarning } = options;
  if (settings.url === undefined) throw new TypeError('safetynet.store.url is required when kind is "redis"');
  const connection = new RedisConnection({
    url: settings.url,
    keyPrefix: settings.keyPrefix,
    commandTimeoutMs: settings.commandTimeoutMs,
    onWarning,
  });
  const lanes = new RedisLaneLocks({ connection, leaseMs: settings.leaseMs, onWarning });
  return {
    kind: 'redis',
    location: connection.location,
    sessions: new RedisSessionStore({ connection, bounds, hostId: settings.hostId }),
    cooldowns: new RedisCooldownStore({ connection }),
    traces: new RedisTraceStore({ connection, ...traces }),
    lanes,
    health: () => connection.health(),
    async close(): Promise<void> {
      await lanes.close();
      await connection.close();
    },
  };
}
