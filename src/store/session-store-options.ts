/**
 * The option and argument shapes of `SessionStore` (`session-store.ts`), apart so that the store
 * itself stays one concept.
 */
import type { TranscriptBounds } from './commit-input.js';
import type { LevelHandle, LevelHandleOptions } from './level/handle.js';

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
}

/** What `SessionStore.resetAll` removed. */
export interface ResetResult {
  /** Bindings removed (one per backend). */
  bindings: number;
  /** Transcript turns removed. */
  turns: number;
}

/** Input of `SessionStore.recordSuccess`. */
export interface RecordSessionSuccessInput {
  /** The caller's conversation key (`--session`); any non-empty string. */
  sessionKey: string;
  /** The CLI backend id, e.g. `claude-cli`; any non-empty string. */
  backendId: string;
  /** The CLI's session id reported by (or sent to) the successful turn. */
  cliSessionId: string;
  /** The working directory the turn ran in; stored only when the binding is created. */
  cwd: string;
  /** The model ref of this turn; when omitted, a continued binding keeps its previous model. */
  model?: string | undefined;
  /** Start a new binding (`createdAt = now`, `turns = 1`) even when the id is unchanged. @default false */
  replace?: boolean | undefined;
  /** The turn's time, epoch ms. @default Date.now() */
  now?: number | undefined;
}
