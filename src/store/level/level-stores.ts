/**
 * The LevelDB backend of the state stores (the embedded default): one folder holds the sessions,
 * transcripts, cooldowns and traces, with the session lane lock files beside it (`<folder>.lanes`).
 * The lane lock library is loaded on the first keyed request only.
 */
import { CooldownStore } from '../cooldown-store.js';
import type { HeldLaneLock, LaneLocks, OpenStateStoresOptions, StateStores, StoreHealth } from '../ports.js';
import { SessionStore } from '../session-store.js';
import { TraceStore } from '../trace-store.js';
import { LevelHandle } from './handle.js';

/** A key never written: reading it opens the folder and proves it readable. */
const HEALTH_PROBE_KEY = '\u0000health';

/** The LevelDB state stores of `options.location`. */
export function levelStores(options: OpenStateStoresOptions): StateStores {
  const { location, idleCloseMs, bounds, traces, settings, onWarning } = options;
  const handle = new LevelHandle(location, { idleCloseMs });
  const cooldowns = new CooldownStore({ handle });
  const lanes = lazyFileLaneLocks(`${handle.location}.lanes`, onWarning);
  return {
    kind: 'level',
    location: handle.location,
    sessions: new SessionStore({ handle, bounds, hostId: settings.hostId }),
    cooldowns,
    traces: new TraceStore({ handle, ...traces }),
    lanes,
    async health(): Promise<StoreHealth> {
      try {
        await cooldowns.read([HEALTH_PROBE_KEY]);
        return { kind: 'level', location: handle.location, ok: true };
      } catch (error) {
        return { kind: 'level', location: handle.location, ok: false, error: error instanceof Error ? error.message : String(error) };
      }
    },
    async close(): Promise<void> {
      await Promise.all([handle.close(), lanes.close()]);
    },
  };
}

/** The lane lock files of `folder`, with proper-lockfile loaded on the first `tryAcquire`. */
function lazyFileLaneLocks(folder: string, onWarning: ((message: string) => void) | undefined): LaneLocks {
  let locks: Promise<LaneLocks> | undefined;
  const load = (): Promise<LaneLocks> => {
    locks ??= import('../lanes/file-lane-locks.js').then(({ FileLaneLocks }) => new FileLaneLocks({ folder, onWarning }));
    return locks;
  };
  return {
    location: folder,
    tryAcquire: async (sessionKey: string): Promise<HeldLaneLock | undefined> => (await load()).tryAcquire(sessionKey),
    close: async () => {
      await (await locks)?.close();
    },
  };
}
