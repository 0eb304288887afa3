/**
 * The option and argument shapes of `SessionStore` (`session-store.ts`), apart so that the store
 * itself stays one concept.
 */
import type { TranscriptBounds } from './commit-input.js';
import type { LevelHandle, LevelHandleOptions } from './level/handle.js';
import type { BindingSuccess } from './session-binding.js';

/** Options of `SessionStore`. */
export interface SessionStoreOptions extends LevelHandleOptions {
  /**
   * The LevelDB folder.
   * @default defaultStoreLocation() — `<SAFETYNET_HOME>/state`, `SAFETYNET_HOME` defaulting to `~/.safetynet`
   */
  location?: string;
  /**
   * Use this handle (and its folder and options) instead of creating one, e.g. to share one set of
   * handle options with other stores of the same folder. `location` and the handle options are then
   * ignored.
   */
  handle?: LevelHandle;
  /**
   * Transcript bounds (`safetynet.sessions.maxTurns` / `maxChars`): a commit drops the oldest turns
   * beyond them. `maxTurns` an integer ≥ 2, `maxChars` an integer ≥ 1 (characters of turn text).
   * @default DEFAULT_SESSION_BOUNDS — 200 turns, 400 000 characters
   */
  bounds?: TranscriptBounds;
  /**
   * This host's id (e.g. its hostname), stamped as `host` on every NEW binding this store writes
   * (a continued binding keeps the host that created it): only that host can resume the CLI
   * session. Unset: bindings carry no host. A non-empty string.
   */
  hostId?: string | undefined;
}

/** What `SessionStore.resetAll` removed. */
export interface ResetResult {
  /** Bindings removed (one per backend). */
  bindings: number;
  /** Transcript turns removed. */
  turns: number;
}

/** Input of `SessionStore.recordSuccess`: the binding fields, and the turn's time. */
export interface RecordSessionSuccessInput extends BindingSuccess {
  /** The turn's time, epoch ms. @default Date.now() */
  now?: number | undefined;
}
