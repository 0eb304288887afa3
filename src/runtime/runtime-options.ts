/**
 * The options of `createRuntime` (`./runtime.ts`), with the defaults the runtime applies.
 */
import type { SafetynetConfigFile } from '../config/types.js';
import type { InspectObserver } from '../inspection/fan-out.js';

/**
 * How long the store stays open after its last operation (ms). Requests arriving in a burst share
 * one open; another safetynet process waits at most about this long (its open retries on the lock).
 */
export const DEFAULT_STORE_IDLE_CLOSE_MS = 250;

/** Options of `createRuntime`. */
export interface RuntimeOptions {
  /** A config object of the spec's shape (`{ agents: { defaults: … } }`); wins over files. */
  config?: SafetynetConfigFile;
  /** A JSON5 config file. @default `$SAFETYNET_CONFIG`, else `$SAFETYNET_HOME/config.json5` if it exists */
  configFile?: string;
  /** Environment used for `SAFETYNET_HOME` / `SAFETYNET_CONFIG` lookup. @default process.env */
  env?: NodeJS.ProcessEnv;
  /**
   * LevelDB folder of sessions, cooldowns and traces; a relative path is resolved against the working
   * directory of `createRuntime`. @default `$SAFETYNET_HOME/state` (`~/.safetynet/state`)
   */
  storeLocation?: string;
  /**
   * How long (ms) the state folder stays open after its last use. Requests in a burst share one
   * open; another safetynet process on the same folder waits up to about this long for its lock.
   * An embedding gateway that owns the folder can raise it (an open costs 1–2 ms, and with the
   * folder open a cooldown read costs tens of µs).
   * @default 250
   */
  storeIdleCloseMs?: number;
  /**
   * Receives the xstate inspection events (`@xstate.actor`, `@xstate.event`, `@xstate.snapshot`,
   * `@xstate.microstep`, `@xstate.action`) of every request's actor; see also `RunRequest.inspect`.
   * Snapshots carry the prompt; API keys are non-enumerable and never serialized (use
   * `createSanitizer` before writing events anywhere). Exceptions it throws are ignored.
   */
  inspect?: InspectObserver;
  /**
   * Called with warnings that have no result to go into: a trace that could not be stored (traces
   * are written after `run()` settled, off the request's path).
   */
  onWarning?: (message: string) => void;
  /**
   * The clock of cooldowns and half-open probes, epoch ms (simulations and tests drive it; nothing
   * else of a request reads it).
   * @default Date.now
   */
  now?: () => number;
}
