/**
 * Stored CLI sessions: per (session key, backend id) the CLI's own session id, the cwd it was
 * created in, and timestamps, in the `sessions` sublevel of the shared LevelDB state folder.
 *
 * There is deliberately no generic `put`: the only write is {@link SessionStore.recordSuccess},
 * which callers invoke after a successful turn, so a failed turn can never overwrite a stored id.
 */
import { bindingKey, sessionKeyRange } from './binding-key.js';
import { requireNow, requireText } from './arguments.js';
import { stateHandle } from './state-folder.js';
import { KeyedMutex } from './keyed-mutex.js';
import type { LevelHandle, JsonSublevel, LevelHandleOptions } from './level/handle.js';

/** The stored CLI session of one (session key, backend) pair. */
export interface SessionBinding {
  /** The caller's conversation key (`--session`). */
  sessionKey: string;
  /** The CLI backend id, e.g. `claude-cli`. */
  backendId: string;
  /** The CLI's own session id (Claude `session_id`, Codex `thread_id`). */
  cliSessionId: string;
  /** Working directory the session was created in (Claude and Gemini resume only from there). */
  cwd: string;
  /** Epoch ms when the binding was created. */
  createdAt: number;
  /** Epoch ms of the last successful turn. */
  updatedAt: number;
  /** Successful turns on this binding. */
  turns: number;
  /** The model ref of the last successful turn. */
  model?: string;
  /**
   * The `seq` of the last transcript turn this CLI session has seen (its own answer). Absent on
   * bindings stored before transcripts existed. See `docs/conversations.md#continuation`.
   */
  seenSeq?: number;
  /** The chain digest of that turn (`conversation/digest.ts`): the session matches a conversation whose turn `seenSeq` has this digest. */
  seenDigest?: string;
}

/** Name of the sublevel holding session bindings (keys are prefixed `!sessions!`). */
export const SESSIONS_SUBLEVEL = 'sessions';

/** Options of {@link SessionStore}. */
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
}

/** Input of {@link SessionStore.recordSuccess}. */
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

/** Serializes read-modify-write per (folder, session key) across every store of this process. */
const writes = new KeyedMutex();

/** A stored value as a {@link SessionBinding}, or `undefined` when it does not have that shape. */
function toBinding(value: unknown): SessionBinding | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const texts = [v['sessionKey'], v['backendId'], v['cliSessionId'], v['cwd']];
  const numbers = [v['createdAt'], v['updatedAt'], v['turns']];
  if (!texts.every((t) => typeof t === 'string') || !numbers.every((n) => typeof n === 'number' && Number.isFinite(n))) return undefined;
  if (v['model'] !== undefined && typeof v['model'] !== 'string') return undefined;
  const binding: SessionBinding = {
    sessionKey: v['sessionKey'] as string,
    backendId: v['backendId'] as string,
    cliSessionId: v['cliSessionId'] as string,
    cwd: v['cwd'] as string,
    createdAt: v['createdAt'] as number,
    updatedAt: v['updatedAt'] as number,
    turns: v['turns'] as number,
  };
  if (typeof v['model'] === 'string') binding.model = v['model'];
  return binding;
}

function compareBindings(a: SessionBinding, b: SessionBinding): number {
  if (a.sessionKey !== b.sessionKey) return a.sessionKey < b.sessionKey ? -1 : 1;
  if (a.backendId !== b.backendId) return a.backendId < b.backendId ? -1 : 1;
  return 0;
}

/**
 * Session bindings in LevelDB. Every call opens the shared folder on demand and releases it
 * afterwards (see {@link LevelHandle}), so several `safetynet` processes can use one folder in turn.
 *
 * Errors: argument problems throw `TypeError` naming the argument; storage problems throw
 * `StoreError` (`SAFETYNET_STORE_LOCKED` after the lock retry budget, `SAFETYNET_STORE_FAILED`
 * otherwise). Stored values that are not bindings are treated as absent.
 *
 * @example
 * const store = new SessionStore();
 * const binding = await store.get('chat-42', 'claude-cli');
 * // … run the turn; only when it succeeded:
 * await store.recordSuccess({ sessionKey: 'chat-42', backendId: 'claude-cli', cliSessionId, cwd });
 */
export class SessionStore {
  /** The absolute LevelDB folder. */
  readonly location: string;
  readonly #handle: LevelHandle;

  /** @throws {TypeError} when `location` is empty or a handle option is out of range. */
  constructor(options: SessionStoreOptions = {}) {
    this.#handle = stateHandle(options);
    this.location = this.#handle.location;
  }

  /** The stored binding of (`sessionKey`, `backendId`), or `undefined`. */
  async get(sessionKey: string, backendId: string): Promise<SessionBinding | undefined> {
    const key = bindingKey(requireText('sessionKey', sessionKey), requireText('backendId', backendId));
    return this.#sessions(async (sessions) => toBinding(await sessions.get(key)));
  }

  /**
   * Every binding, or every backend's binding of `sessionKey` (a range scan of that key only),
   * sorted by session key, then backend id (UTF-16 code unit order).
   */
  async list(sessionKey?: string): Promise<SessionBinding[]> {
    const range = sessionKey === undefined ? {} : sessionKeyRange(requireText('sessionKey', sessionKey));
    const values = await this.#sessions((sessions) => sessions.values(range).all());
    return values.flatMap((value) => toBinding(value) ?? []).sort(compareBindings);
  }

  /**
   * Record a successful turn. Call it only after the turn succeeded.
   *
   * - Nothing stored, a different `cliSessionId` (e.g. the stored id was rejected and a new CLI
   *   session started), or `replace: true`: stores a new binding with `createdAt = updatedAt = now`,
   *   `turns = 1`, and this `cwd`.
   * - Same `cliSessionId`: keeps `createdAt` and the original `cwd`, sets `updatedAt = now`,
   *   increments `turns`, and updates `model` when given.
   *
   * Concurrent calls for one session key in this process are applied one after another.
   *
   * @returns the stored binding.
   * @throws {TypeError} when `sessionKey`, `backendId`, `cliSessionId` or `cwd` is not a non-empty
   *   string, `model` is not a string, or `now` is not a finite number.
   */
  async recordSuccess(input: RecordSessionSuccessInput): Promise<SessionBinding> {
    const sessionKey = requireText('sessionKey', input.sessionKey);
    const backendId = requireText('backendId', input.backendId);
    const cliSessionId = requireText('cliSessionId', input.cliSessionId);
    const cwd = requireText('cwd', input.cwd);
    const { model, replace = false, now = Date.now() } = input;
    if (model !== undefined && typeof model !== 'string')
      throw new TypeError(`Expected the \`model\` argument to be a string, got \`${String(model)}\` (${typeof model})`);
    requireNow(now);
    const key = bindingKey(sessionKey, backendId);
    return this.#exclusive(sessionKey, () =>
      this.#sessions(async (sessions) => {
        const previous = toBinding(await sessions.get(key));
        const binding: SessionBinding =
          previous !== undefined && !replace && previous.cliSessionId === cliSessionId
            ? { ...previous, updatedAt: now, turns: previous.turns + 1 }
            : { sessionKey, backendId, cliSessionId, cwd, createdAt: now, updatedAt: now, turns: 1 };
        if (model !== undefined) binding.model = model;
        await sessions.put(key, binding);
        return binding;
      }),
    );
  }

  /**
   * Remove the binding of (`sessionKey`, `backendId`), or every backend's binding of `sessionKey`
   * when `backendId` is omitted. The next turn then starts a new CLI session.
   *
   * @returns how many bindings were removed.
   */
  async reset(sessionKey: string, backendId?: string): Promise<number> {
    requireText('sessionKey', sessionKey);
    if (backendId !== undefined) requireText('backendId', backendId);
    return this.#exclusive(sessionKey, () =>
      this.#sessions(async (sessions) => {
        const keys = backendId === undefined ? await sessions.keys(sessionKeyRange(sessionKey)).all() : [bindingKey(sessionKey, backendId)];
        const present =
          backendId === undefined
            ? keys
            : (await sessions.getMany(keys)).flatMap((value, i) => (value === undefined ? [] : [keys[i] as string]));
        if (present.length > 0) await sessions.batch(present.map((key) => ({ type: 'del' as const, key })));
        return present.length;
      }),
    );
  }

  /** Release the folder now (or when running calls end); later calls reopen it. Never rejects. */
  async close(): Promise<void> {
    await this.#handle.close();
  }

  #sessions<T>(fn: (sessions: JsonSublevel<unknown>) => Promise<T>): Promise<T> {
    return this.#handle.useSublevel<unknown, T>(SESSIONS_SUBLEVEL, fn);
  }

  #exclusive<T>(sessionKey: string, task: () => Promise<T>): Promise<T> {
    return writes.run(`${this.location}${'\u0000'}${sessionKey}`, task);
  }
}
