/**
 * The store factory: the sessions, cooldowns, traces and session lanes of one runtime, all on the
 * backend `safetynet.store.kind` names (LevelDB by default, Redis for replicas). Each backend's
 * module is loaded only when chosen, so a LevelDB user never loads ioredis.
 * Rationale: `docs/replicas.md`.
 */
import type { OpenStateStoresOptions, StateStores } from './ports.js';

export type { OpenStateStoresOptions } from './ports.js';

/**
 * Open the state stores of `options.settings.kind`. Nothing is connected or opened yet: LevelDB
 * opens on the first call, Redis connects on the first command.
 *
 * @throws {TypeError} when `kind` is `redis` and the URL is missing or not a redis:// URL (the config
 *   loader reports these first, naming the key).
 */
export async function openStateStores(options: OpenStateStoresOptions): Promise<StateStores> {
  if (options.settings.kind === 'redis') return (await import('./redis/redis-stores.js')).redisStores(options);
  return (await import('./level/level-stores.js')).levelStores(options);
}
