/**
 * The store factory: the sessions, cooldowns, traces and session lanes of one runtime, all on the
 * backend `safetynet.store.kind` names (LevelDB by default, Redis for replicas). Each backend's
 * module is loaded only when chosen, so a LevelDB user never loads ioredis.
 * Rationale: `docs/replicas.md`.
 */
import type { StoreSettings } from '../config/store-defaults.js';
import type { TranscriptBounds } from './commit-input.js';
import type { StateStores } from './ports.js';
import type { TraceBounds } from './trace-store.js';

/** Options of {@link openStateStores}. */
export interface OpenStateStoresOptions {
  /** The resolved `safetynet.store` settings. */
  settings: StoreSettings;
  /** The LevelDB folder (`kind: 'level'`; its lane lock files go to `<location>.lanes`). */
  location: string;
  /** How long (ms) the LevelDB folder stays open after its last use. */
  idleCloseMs: number;
  /** Transcript bounds (`safetynet.sessions.maxTurns` / `maxChars`). */
  bounds: TranscriptBounds;
  /** Trace bounds (`safetynet.traces`). */
  traces: Required<TraceBounds>;
  /** Receives warnings: lost lane locks, Redis outages and recoveries. */
  onWarning?: ((message: string) => void) | undefined;
}

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
