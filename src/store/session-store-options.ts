/**
 * The option and argument shapes of `SessionStore` (`session-store.ts`), apart so that the store
 * itself stays one concept, and the argument check of `recordSuccess` every session backend uses.
 */
import { requireNow, requireText } from './arguments.js';
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

/** A checked {@link RecordSessionSuccessInput}: the binding success (`replace` defaulted) and the turn's time. */
export interface CheckedRecordSuccess {
  success: BindingSuccess & { replace: boolean };
  /** Epoch ms. */
  now: number;
}

/**
 * Check the argument of `recordSuccess` (every session backend's) before anything is read or
 * written; `now` defaults to `Date.now()`, `replace` to false. `host` is kept as given (the store
 * fills it from its `hostId` with `withHost`).
 *
 * @throws {TypeError} when `sessionKey`, `backendId`, `cliSessionId`, `cwd` or `host` is not a
 *   non-empty string, `model` is not a string, or `now` is not a finite number.
 */
export function checkRecordSuccess(input: RecordSessionSuccessInput): CheckedRecordSuccess {
  const sessionKey = requireText('sessionKey', input.sessionKey);
  const backendId = requireText('backendId', input.backendId);
  const cliSessionId = requireText('cliSessionId', input.cliSessionId);
  const cwd = requireText('cwd', input.cwd);
  const { model, replace = false, now = Date.now() } = input;
  if (input.host !== undefined) requireText('host', input.host);
  if (model !== undefined && typeof model !== 'string')
    throw new TypeError(`Expected the \`model\` argument to be a string, got \`${String(model)}\` (${typeof model})`);
  requireNow(now);
  return { success: { sessionKey, backendId, cliSessionId, cwd, model, replace, host: input.host }, now };
}
