/**
 * CLI session bindings and conversation transcripts in Redis, shared by every replica using the
 * same server and key prefix. Same semantics as the LevelDB `SessionStore` (`../session-store.ts`),
 * proven by the same compliance suite; the commit is planned by the same pure code
 * (`../transcript-commit.ts`) and applied by one Lua script (`session-scripts.ts`, which documents
 * the key layout).
 *
 * Concurrency: a write reads what it builds on, plans in JavaScript, and its script applies the
 * plan only when those values are still stored (else it re-reads and re-plans, at most
 * `MAX_WRITE_ATTEMPTS` times, `session-writes.ts`; an append whose stored last seq moved is a conflict, as in
 * LevelDB). Writes of one session key through one connection are also serialized, so they never
 * race each other. When this process holds the session lane (`connection.fences`), a commit whose
 * lane fence moved (the lease was lost to another turn) is refused and writes nothing.
 */
import { DEFAULT_SESSION_BOUNDS } from '../../config/session-defaults.js';
import type { Redis } from 'ioredis';
import type { Transcript } from '../../conversation/types.js';
import { requireText } from '../arguments.js';
import { decodeKeyPart, encodeKeyPart } from '../binding-key.js';
import { checkCommitInput, requireBounds, type CommitTurnInput, type CommitTurnResult, type TranscriptBounds } from '../commit-input.js';
import { KeyedMutex } from '../keyed-mutex.js';
import type { SessionStorage } from '../ports.js';
import { compareBindings, toBinding, withHost, type SessionBinding } from '../session-binding.js';
import { checkRecordSuccess, type RecordSessionSuccessInput, type ResetResult } from '../session-store-options.js';
import { cacheCommitted } from '../transcript-commit.js';
import { TranscriptCache } from '../transcript-cache.js';
import { sortedSummaries, toMeta, type ConversationSummary } from '../transcript-meta.js';
import { readTranscript } from '../transcript-record.js';
import type { RedisConnection } from './connection.js';
import { indexKey, sessionKeys, sessionScripts, type SessionKeys } from './session-scripts.js';
import { orderedTurns, parse, replies, writeBinding, writeCommit } from './session-writes.js';

export { MAX_WRITE_ATTEMPTS } from './session-writes.js';

/** Options of {@link RedisSessionStore}. */
export interface RedisSessionStoreOptions {
  /** The shared connection (not closed by this store: its owner, the `StateStores`, closes it). */
  connection: RedisConnection;
  /** Transcript bounds, as for the LevelDB store. @default DEFAULT_SESSION_BOUNDS — 200 turns, 400 000 characters */
  bounds?: TranscriptBounds | undefined;
  /** This host's id, stamped as `host` on NEW bindings (see `SessionStoreOptions.hostId`). */
  hostId?: string | undefined;
}

/**
 * Serializes writes per session key across the Redis session stores sharing a connection (one
 * replica); stores on other connections are other replicas, kept consistent by the scripts' checks.
 */
const writesOf = new WeakMap<RedisConnection, KeyedMutex>();

/**
 * Session bindings and transcripts in Redis (implements `SessionStorage`).
 *
 * Errors: argument problems throw `TypeError` naming the argument; Redis problems throw
 * `StoreError` (`SAFETYNET_STORE_UNAVAILABLE` when the server cannot be reached within the
 * connection's command timeout, `SAFETYNET_STORE_FAILED` when it refuses a command). Stored values
 * that are not bindings or turns are treated as absent.
 */
export class RedisSessionStore implements SessionStorage {
  /** The Redis URL without its password. */
  readonly location: string;
  readonly #connection: RedisConnection;
  readonly #bounds: TranscriptBounds;
  readonly #hostId: string | undefined;
  readonly #transcripts = new TranscriptCache();

  /** @throws {TypeError} when `bounds` is invalid or `hostId` is empty. */
  constructor(options: RedisSessionStoreOptions) {
    this.#connection = options.connection;
    this.location = options.connection.location;
    this.#bounds = requireBounds(options.bounds ?? DEFAULT_SESSION_BOUNDS);
    this.#hostId = options.hostId === undefined ? undefined : requireText('hostId', options.hostId);
  }

  /** The stored binding of (`sessionKey`, `backendId`), or `undefined`. */
  async get(sessionKey: string, backendId: string): Promise<SessionBinding | undefined> {
    const keys = this.#keys(requireText('sessionKey', sessionKey));
    const field = encodeKeyPart(requireText('backendId', backendId));
    return toBinding(parse(await this.#run('read a session binding', (c) => c.hget(keys.bindings, field))));
  }

  /** Every binding, or every backend's binding of `sessionKey`, sorted by session key, then backend id (UTF-16 code unit order). */
  async list(sessionKey?: string): Promise<SessionBinding[]> {
    const members =
      sessionKey === undefined
        ? await this.#run('list session keys', (c) => c.smembers(indexKey(this.#connection)))
        : [encodeKeyPart(requireText('sessionKey', sessionKey))];
    const hashes = await this.#run('list session bindings', async (c) => {
      const pipeline = c.pipeline();
      for (const member of members) pipeline.hgetall(this.#keys(decodeKeyPart(member)).bindings);
      return (await pipeline.exec()) ?? [];
    });
    return hashes
      .flatMap(([error, hash]) => {
        if (error) throw this.#connection.error('list session bindings', error);
        return Object.values(hash as Record<string, string>).flatMap((raw) => toBinding(parse(raw)) ?? []);
      })
      .sort(compareBindings);
  }

  /**
   * The stored transcript of `sessionKey` (see the LevelDB store): one `GET` of the meta record
   * when this store already holds that version, else one atomic read of the meta and the turns.
   */
  async transcript(sessionKey: string): Promise<Transcript> {
    const keys = this.#keys(requireText('sessionKey', sessionKey));
    const cachedMeta = toMeta(parse(await this.#run('read a transcript', (c) => c.get(keys.meta))));
    const cached = cachedMeta === undefined ? undefined : this.#transcripts.get(sessionKey, cachedMeta.version);
    if (cached !== undefined) return cached;
    const { meta, turns } = await this.#readTranscript(keys);
    const transcript = readTranscript(turns);
    if (meta !== undefined) this.#transcripts.set(sessionKey, meta.version, transcript);
    return transcript;
  }

  /** Every stored transcript's counts, sorted by session key (UTF-16 code unit order). */
  async conversations(): Promise<ConversationSummary[]> {
    const metas = await this.#run('list conversations', async (c) => {
      const members = await c.smembers(indexKey(this.#connection));
      return members.length === 0 ? [] : c.mget(members.map((member) => this.#keys(decodeKeyPart(member)).meta));
    });
    return sortedSummaries(metas.map(parse));
  }

  /**
   * Commit a successful exchange (semantics of the LevelDB store's `commitTurn`): turns, drops,
   * meta and binding in ONE Lua script, so nothing is written when anything fails.
   *
   * @throws {StoreError} `SAFETYNET_TRANSCRIPT_CONFLICT` when appending and the stored transcript no
   *   longer ends at `write.storedSeq`, when this process's session lane lease was lost to another
   *   turn (its fence moved), or when other writers kept changing the session key for
   *   {@link MAX_WRITE_ATTEMPTS} attempts; nothing is written.
   * @throws {StoreError} `SAFETYNET_STORE_UNAVAILABLE` / `SAFETYNET_STORE_FAILED` when Redis cannot be used.
   * @throws {TypeError} naming the bad argument, as the LevelDB store does.
   */
  async commitTurn(input: CommitTurnInput): Promise<CommitTurnResult> {
    const checked = checkCommitInput(input);
    const commit = { ...checked, binding: withHost(checked.binding, this.#hostId) };
    return this.#exclusive(commit.sessionKey, async () => {
      const planned = await writeCommit(this.#connection, commit, this.#bounds);
      cacheCommitted(this.#transcripts, commit.sessionKey, planned);
      return planned.result;
    });
  }

  /**
   * Record a successful turn's binding alone (semantics of the LevelDB store's `recordSuccess`,
   * including `host`). Refused like a commit when this process's session lane lease was lost.
   *
   * @returns the stored binding.
   * @throws {TypeError} as the LevelDB store does.
   * @throws {StoreError} `SAFETYNET_TRANSCRIPT_CONFLICT` (lease lost, or too many concurrent writers), or a Redis failure.
   */
  async recordSuccess(input: RecordSessionSuccessInput): Promise<SessionBinding> {
    const checked = checkRecordSuccess(input);
    const success = withHost(checked.success, this.#hostId);
    return this.#exclusive(success.sessionKey, () => writeBinding(this.#connection, success, checked.now));
  }

  /** Remove one binding, or everything of `sessionKey` without `backendId` (see {@link resetAll}). @returns bindings removed. */
  async reset(sessionKey: string, backendId?: string): Promise<number> {
    requireText('sessionKey', sessionKey);
    if (backendId === undefined) return (await this.resetAll(sessionKey)).bindings;
    const field = encodeKeyPart(requireText('backendId', backendId));
    const keys = this.#keys(sessionKey);
    return this.#exclusive(sessionKey, () => this.#run('remove a session binding', (c) => sessionScripts(c).deleteBinding(keys, field)));
  }

  /** Remove every binding, the turns and the meta record of `sessionKey`, in one script. @returns what was removed. */
  async resetAll(sessionKey: string): Promise<ResetResult> {
    const keys = this.#keys(requireText('sessionKey', sessionKey));
    return this.#exclusive(sessionKey, async () => {
      const [bindings, turns] = await this.#run('remove a session', (c) => sessionScripts(c).deleteSession(keys));
      this.#transcripts.delete(sessionKey);
      return { bindings, turns };
    });
  }

  /** Forget this store's cached transcripts. Never rejects; does NOT close the shared connection (its owner does). */
  async close(): Promise<void> {
    this.#transcripts.clear();
  }

  async #readTranscript(keys: SessionKeys): Promise<{ meta: ReturnType<typeof toMeta>; turns: unknown[] }> {
    return this.#run('read a transcript', async (c) => {
      const [metaRaw, hash] = (await replies(c.multi().get(keys.meta).hgetall(keys.turns))) as [
        string | null,
        Record<string, string> | null,
      ];
      return { meta: toMeta(parse(metaRaw)), turns: orderedTurns(hash ?? {}) };
    });
  }

  #keys(sessionKey: string): SessionKeys {
    return sessionKeys(this.#connection, sessionKey);
  }

  #run<T>(what: string, fn: (client: Redis) => Promise<T>): Promise<T> {
    return this.#connection.run(what, fn);
  }

  #exclusive<T>(sessionKey: string, task: () => Promise<T>): Promise<T> {
    const writes = writesOf.get(this.#connection) ?? new KeyedMutex();
    writesOf.set(this.#connection, writes);
    return writes.run(sessionKey, task);
  }
}
