/**
 * Stored conversations: per (session key, backend id) the CLI's own session id (a binding, in the
 * `sessions` sublevel), and per session key the transcript of the conversation (`transcripts` and
 * `transcript-meta` sublevels), all in the shared LevelDB state folder.
 *
 * There is deliberately no generic `put`: the writes are {@link SessionStore.commitTurn} (the
 * exchange, its transcript bounds and the binding in one batch) and the older
 * {@link SessionStore.recordSuccess} (a binding alone), which callers invoke after a successful
 * turn, so a failed turn can never change what is stored.
 */
import { DEFAULT_SESSION_BOUNDS } from '../config/session-defaults.js';
import type { Transcript } from '../conversation/types.js';
import { bindingKey, sessionKeyRange } from './binding-key.js';
import { requireText } from './arguments.js';
import { checkCommitInput, requireBounds, type CommitTurnInput, type CommitTurnResult, type TranscriptBounds } from './commit-input.js';
import { stateHandle } from './state-folder.js';
import { KeyedMutex } from './keyed-mutex.js';
import type { LevelHandle, JsonSublevel } from './level/handle.js';
import { checkRecordSuccess, type RecordSessionSuccessInput, type ResetResult, type SessionStoreOptions } from './session-store-options.js';
import { compareBindings, nextBinding, toBinding, withHost, type SessionBinding } from './session-binding.js';
import { writeCommit } from './level/transcript-batch.js';
import { cacheCommitted } from './transcript-commit.js';
import { TranscriptCache } from './transcript-cache.js';
import { TRANSCRIPT_META_SUBLEVEL, TRANSCRIPTS_SUBLEVEL, transcriptMetaKey, transcriptRange } from './transcript-key.js';
import { sortedSummaries, toMeta, type ConversationSummary } from './transcript-meta.js';
import { readTranscript } from './transcript-record.js';

export type { SessionBinding } from './session-binding.js';
export type { RecordSessionSuccessInput, ResetResult, SessionStoreOptions } from './session-store-options.js';

/** Name of the sublevel holding session bindings (keys are prefixed `!sessions!`). */
export const SESSIONS_SUBLEVEL = 'sessions';

/** The sublevels a commit or a full reset writes in one batch, in this order. */
const CONVERSATION_SUBLEVELS = [SESSIONS_SUBLEVEL, TRANSCRIPTS_SUBLEVEL, TRANSCRIPT_META_SUBLEVEL] as const;

/** Serializes read-modify-write per (folder, session key) across every store of this process. */
const writes = new KeyedMutex();
/** Transcripts last read or committed per (folder, session key) in this process, checked against the stored meta version. */
const transcripts = new TranscriptCache();

/**
 * Session bindings and transcripts in LevelDB. Every call opens the shared folder on demand and
 * releases it afterwards (see {@link LevelHandle}), so several `safetynet` processes can use one
 * folder in turn.
 *
 * Errors: argument problems throw `TypeError` naming the argument; storage problems throw
 * `StoreError` (`SAFETYNET_STORE_LOCKED` after the lock retry budget, `SAFETYNET_STORE_FAILED`
 * otherwise). Stored values that are not bindings or turns are treated as absent.
 *
 * @example
 * const store = new SessionStore();
 * const { turns } = await store.transcript('chat-42');
 * // … run the turn; only when it succeeded:
 * await store.commitTurn({ sessionKey: 'chat-42', write: { mode: 'append', storedSeq: turns.at(-1)?.seq ?? 0 }, turns: exchange });
 */
export class SessionStore {
  /** The absolute LevelDB folder. */
  readonly location: string;
  readonly #handle: LevelHandle;
  readonly #bounds: TranscriptBounds;
  readonly #hostId: string | undefined;

  /** @throws {TypeError} when `location` is empty, a handle option is out of range, `bounds` is invalid or `hostId` is empty. */
  constructor(options: SessionStoreOptions = {}) {
    const { bounds = DEFAULT_SESSION_BOUNDS, hostId, ...handleOptions } = options;
    this.#bounds = requireBounds(bounds);
    this.#hostId = hostId === undefined ? undefined : requireText('hostId', hostId);
    this.#handle = stateHandle(handleOptions);
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
   * The stored transcript of `sessionKey`: the kept turns, oldest first, and how many older ones
   * the bounds dropped; `{ turns: [], dropped: 0 }` when there is none. One `get` of the meta
   * record, plus one range read unless this process already holds that version of the transcript.
   * The turn objects are frozen (shared with that cache); the `turns` array is the caller's.
   */
  async transcript(sessionKey: string): Promise<Transcript> {
    const range = transcriptRange(requireText('sessionKey', sessionKey));
    const cacheKey = this.#key(sessionKey);
    return this.#handle.useSublevels([TRANSCRIPTS_SUBLEVEL, TRANSCRIPT_META_SUBLEVEL], async ([turns, metas]) => {
      const meta = toMeta(await metas.get(transcriptMetaKey(sessionKey)));
      const cached = meta === undefined ? undefined : transcripts.get(cacheKey, meta.version);
      if (cached !== undefined) return cached;
      const transcript = readTranscript(await turns.values(range).all());
      if (meta !== undefined) transcripts.set(cacheKey, meta.version, transcript);
      return transcript;
    });
  }

  /** Every stored transcript's counts (for `safetynet sessions list`), sorted by session key (UTF-16 code unit order). */
  async conversations(): Promise<ConversationSummary[]> {
    const values = await this.#handle.useSublevel<unknown, unknown[]>(TRANSCRIPT_META_SUBLEVEL, (metas) => metas.values().all());
    return sortedSummaries(values);
  }

  /**
   * Commit a successful exchange: its turns, the deletes of the turns the bounds drop (oldest
   * first, never the commit's last two), the transcript's meta record and, when `input.binding` is
   * given, the CLI binding (the rule of {@link recordSuccess}, plus `seenSeq`/`seenDigest` = the last
   * committed turn), all in ONE LevelDB batch: when anything fails, nothing is written. `replace`
   * deletes the stored turns in the same batch. Turns whose `at` is 0 get `now`. Concurrent calls
   * for one session key in this process are applied one after another.
   *
   * @throws {StoreError} `SAFETYNET_TRANSCRIPT_CONFLICT` when appending and the stored transcript no
   *   longer ends at `write.storedSeq` (another writer got in between); nothing is written.
   * @throws {TypeError} naming the bad argument (`turns[1].seq`, `binding.cwd`, …), including a
   *   first appended turn whose digest does not chain to the stored last turn.
   */
  async commitTurn(input: CommitTurnInput): Promise<CommitTurnResult> {
    const checked = checkCommitInput(input);
    const commit = { ...checked, binding: withHost(checked.binding, this.#hostId) };
    const cacheKey = this.#key(commit.sessionKey);
    return this.#exclusive(commit.sessionKey, () =>
      this.#handle.useSublevels(CONVERSATION_SUBLEVELS, async ([sessions, turns, metas], db) => {
        const written = await writeCommit({ db, sessions, turns, metas }, commit, this.#bounds, this.location);
        cacheCommitted(transcripts, cacheKey, written);
        return written.result;
      }),
    );
  }

  /**
   * Record a successful turn's binding alone, outside any transcript. Call it only after the turn
   * succeeded. The binding rule is that of `nextBinding` (`session-binding.ts`): a new binding when
   * nothing is stored, the id differs or `replace` is set; otherwise `turns + 1`, `updatedAt = now`,
   * `createdAt`, `cwd` and `host` kept, `model` updated when given. A new binding gets `host` (or
   * the store's `hostId`). The turn is not in the transcript, so
   * the binding's `seenSeq`/`seenDigest` are removed (its position is unknown).
   *
   * Concurrent calls for one session key in this process are applied one after another.
   *
   * @returns the stored binding.
   * @throws {TypeError} when `sessionKey`, `backendId`, `cliSessionId`, `cwd` or `host` is not a
   *   non-empty string, `model` is not a string, or `now` is not a finite number.
   */
  async recordSuccess(input: RecordSessionSuccessInput): Promise<SessionBinding> {
    const checked = checkRecordSuccess(input);
    const success = withHost(checked.success, this.#hostId);
    const key = bindingKey(success.sessionKey, success.backendId);
    return this.#exclusive(success.sessionKey, () =>
      this.#sessions(async (sessions) => {
        const binding = nextBinding(toBinding(await sessions.get(key)), success, checked.now);
        await sessions.put(key, binding);
        return binding;
      }),
    );
  }

  /**
   * Remove the binding of (`sessionKey`, `backendId`); without `backendId`, everything of
   * `sessionKey` as {@link resetAll} does (every binding and the transcript). The next turn then
   * starts a new CLI session.
   *
   * @returns how many bindings were removed ({@link resetAll} also tells how many turns).
   */
  async reset(sessionKey: string, backendId?: string): Promise<number> {
    requireText('sessionKey', sessionKey);
    if (backendId === undefined) return (await this.resetAll(sessionKey)).bindings;
    const key = bindingKey(sessionKey, requireText('backendId', backendId));
    return this.#exclusive(sessionKey, () =>
      this.#sessions(async (sessions) => {
        if ((await sessions.get(key)) === undefined) return 0;
        await sessions.del(key);
        return 1;
      }),
    );
  }

  /**
   * Remove everything stored under `sessionKey`: every backend's binding, the transcript's turns
   * and its meta record, in one batch.
   *
   * @returns how many bindings and turns were removed (`{ bindings: 0, turns: 0 }` when none).
   */
  async resetAll(sessionKey: string): Promise<ResetResult> {
    const range = sessionKeyRange(requireText('sessionKey', sessionKey));
    const metaKey = transcriptMetaKey(sessionKey);
    return this.#exclusive(sessionKey, () =>
      this.#handle.useSublevels(CONVERSATION_SUBLEVELS, async ([sessions, turns, metas], db) => {
        const [bindingKeys, turnKeys, meta] = await Promise.all([sessions.keys(range).all(), turns.keys(range).all(), metas.get(metaKey)]);
        const ops = [
          ...bindingKeys.map((key) => ({ type: 'del' as const, sublevel: sessions, key })),
          ...turnKeys.map((key) => ({ type: 'del' as const, sublevel: turns, key })),
          ...(meta === undefined ? [] : [{ type: 'del' as const, sublevel: metas, key: metaKey }]),
        ];
        if (ops.length > 0) await db.batch(ops);
        transcripts.delete(this.#key(sessionKey));
        return { bindings: bindingKeys.length, turns: turnKeys.length };
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

  /** The key of `sessionKey` in this folder, for the process-wide mutex and cache. */
  #key(sessionKey: string): string {
    return `${this.location}\u0000${sessionKey}`;
  }

  #exclusive<T>(sessionKey: string, task: () => Promise<T>): Promise<T> {
    return writes.run(this.#key(sessionKey), task);
  }
}
