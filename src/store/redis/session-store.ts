/**
 * CLI session bindings and conversation transcripts in Redis, shared by every replica using the
 * same server and key prefix. Same semantics as the LevelDB `SessionStore` (`../session-store.ts`),
 * proven by the same compliance suite; the commit is planned by the same pure code
 * (`../transcript-commit.ts`) and applied by one Lua script (`session-scripts.ts`, which documents
 * the key layout).
 *
 * Concurrency: a write reads what it builds on, plans in JavaScript, and its script applies the
 * plan only when those values are still stored (else it re-reads and re-plans, at most
 * {@link MAX_WRITE_ATTEMPTS} times; an append whose stored last seq moved is a conflict, as in
 * LevelDB). Writes of one session key in this process are also serialized, so they never race
 * each other. When this process holds the session lane (`connection.fences`), a commit whose
 * lane fence moved (the lease was lost to another turn) is refused and writes nothing.
 */
import { DEFAULT_SESSION_BOUNDS } from '../../config/session-defaults.js';
import type { ChainableCommander, Redis } from 'ioredis';
import type { Transcript } from '../../conversation/types.js';
import { StoreError } from '../../errors.js';
import { requireNow, requireText } from '../arguments.js';
import { decodeKeyPart, encodeKeyPart } from '../binding-key.js';
import { checkCommitInput, requireBounds, type CommitTurnInput, type CommitTurnResult, type TranscriptBounds } from '../commit-input.js';
import { KeyedMutex } from '../keyed-mutex.js';
import type { SessionStorage } from '../ports.js';
import { compareBindings, nextBinding, toBinding, withHost, type SessionBinding } from '../session-binding.js';
import type { RecordSessionSuccessInput, ResetResult } from '../session-store-options.js';
import { planTurnCommit, transcriptAfter } from '../transcript-commit.js';
import { TranscriptCache } from '../transcript-cache.js';
import { metaOf, summaryOf, toMeta, type ConversationSummary } from '../transcript-meta.js';
import { readTranscript } from '../transcript-record.js';
import type { RedisConnection } from './connection.js';
import { indexKey, sessionKeys, sessionScripts, type SessionKeys } from './session-scripts.js';

/** Reads and plans of one write, at most, when other replicas keep changing what it builds on. */
export const MAX_WRITE_ATTEMPTS = 8;

/** Options of {@link RedisSessionStore}. */
export interface RedisSessionStoreOptions {
  /** The shared connection (not closed by this store: its owner, the `StateStores`, closes it). */
  connection: RedisConnection;
  /** Transcript bounds, as for the LevelDB store. @default DEFAULT_SESSION_BOUNDS — 200 turns, 400 000 characters */
  bounds?: TranscriptBounds | undefined;
  /** This host's id, stamped as `host` on NEW bindings (see `SessionStoreOptions.hostId`). */
  hostId?: string | undefined;
}

/** Serializes writes per (server, prefix, session key) across every Redis session store of this process. */
const writes = new KeyedMutex();

function parse(raw: string | null | undefined): unknown {
  if (raw === null || raw === undefined) return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

/** The replies of a MULTI block, in order; a failed command throws its error. */
async function replies(block: ChainableCommander): Promise<unknown[]> {
  const results = (await block.exec()) ?? [];
  return results.map(([error, reply]) => {
    if (error) throw error;
    return reply;
  });
}

/** Turn values of a turns hash, oldest first (fields are decimal seqs). */
function orderedTurns(hash: Record<string, string>): unknown[] {
  return Object.entries(hash)
    .map(([seq, raw]) => [Number(seq), raw] as const)
    .sort((a, b) => a[0] - b[0])
    .map(([, raw]) => parse(raw));
}

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
    return metas
      .flatMap((raw) => {
        const meta = toMeta(parse(raw));
        return meta === undefined ? [] : [summaryOf(meta)];
      })
      .sort((a, b) => (a.sessionKey < b.sessionKey ? -1 : a.sessionKey > b.sessionKey ? 1 : 0));
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
    const { sessionKey } = commit;
    const keys = this.#keys(sessionKey);
    const field = commit.binding === undefined ? '' : encodeKeyPart(commit.binding.backendId);
    return this.#exclusive(sessionKey, async () => {
      for (let attempt = 1; attempt <= MAX_WRITE_ATTEMPTS; attempt++) {
        const read = await this.#run('read a transcript before a commit', async (c) => {
          const [metaRaw, bindingRaw] = (await replies(c.multi().get(keys.meta).hget(keys.bindings, field))) as [
            string | null,
            string | null,
          ];
          const meta = toMeta(parse(metaRaw));
          // A missing (or unreadable) meta record is rebuilt from the turns, as LevelDB does.
          const turns = meta === undefined ? orderedTurns(await c.hgetall(keys.turns)) : undefined;
          return { metaRaw, bindingRaw, meta, turns };
        });
        const before = read.meta ?? metaOf(sessionKey, readTranscript(read.turns ?? []), commit.now);
        const previous = field === '' ? undefined : toBinding(parse(read.bindingRaw));
        const planned = planTurnCommit(commit, before, previous, this.#bounds, this.location);
        const { plan, binding } = planned;
        const args = [
          this.#fence(sessionKey),
          read.metaRaw ?? '',
          String(read.turns === undefined ? -1 : read.turns.length),
          field,
          field === '' ? '' : (read.bindingRaw ?? ''),
          plan.clear ? '1' : '0',
          JSON.stringify(plan.meta),
          binding === undefined ? '' : JSON.stringify(binding),
          keys.member,
          String(plan.deleteSeqs.length),
          ...plan.deleteSeqs.map(String),
          ...plan.puts.flatMap((turn) => [String(turn.seq), JSON.stringify(turn)]),
        ];
        const outcome = await this.#run('commit a transcript turn', (c) => sessionScripts(c).commit(keys, args));
        if (outcome === 'FENCED') throw this.#leaseLost(sessionKey);
        if (outcome === 'OK') {
          const cached = this.#transcripts.peek(sessionKey);
          const after = transcriptAfter(planned, cached?.version === before.version ? cached.transcript : undefined);
          if (after === undefined) this.#transcripts.delete(sessionKey);
          else this.#transcripts.set(sessionKey, plan.meta.version, after);
          return planned.result;
        }
      }
      throw this.#busy(sessionKey);
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
    const sessionKey = requireText('sessionKey', input.sessionKey);
    const backendId = requireText('backendId', input.backendId);
    const cliSessionId = requireText('cliSessionId', input.cliSessionId);
    const cwd = requireText('cwd', input.cwd);
    const { model, replace = false, now = Date.now() } = input;
    if (model !== undefined && typeof model !== 'string')
      throw new TypeError(`Expected the \`model\` argument to be a string, got \`${String(model)}\` (${typeof model})`);
    if (input.host !== undefined) requireText('host', input.host);
    requireNow(now);
    const keys = this.#keys(sessionKey);
    const field = encodeKeyPart(backendId);
    const success = withHost({ sessionKey, backendId, cliSessionId, cwd, model, replace, host: input.host }, this.#hostId);
    return this.#exclusive(sessionKey, async () => {
      for (let attempt = 1; attempt <= MAX_WRITE_ATTEMPTS; attempt++) {
        const raw = await this.#run('read a session binding', (c) => c.hget(keys.bindings, field));
        const binding = nextBinding(toBinding(parse(raw)), success, now);
        const args = [this.#fence(sessionKey), field, raw ?? '', JSON.stringify(binding), keys.member];
        const outcome = await this.#run('record a session binding', (c) => sessionScripts(c).putBinding(keys, args));
        if (outcome === 'FENCED') throw this.#leaseLost(sessionKey);
        if (outcome === 'OK') return binding;
      }
      throw this.#busy(sessionKey);
    });
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

  /** The fence token this process holds for `sessionKey`'s lane, as the script compares it ('' = none). */
  #fence(sessionKey: string): string {
    const token = this.#connection.fences.get(sessionKey);
    return token === undefined ? '' : String(token);
  }

  #run<T>(what: string, fn: (client: Redis) => Promise<T>): Promise<T> {
    return this.#connection.run(what, fn);
  }

  #leaseLost(sessionKey: string): StoreError {
    return new StoreError(
      'SAFETYNET_TRANSCRIPT_CONFLICT',
      `the session lane lease of session key ${JSON.stringify(sessionKey)} was lost to another turn (its fence moved), ` +
        'so this turn was not stored, and nothing was written',
      { location: this.location },
    );
  }

  #busy(sessionKey: string): StoreError {
    return new StoreError(
      'SAFETYNET_TRANSCRIPT_CONFLICT',
      `session key ${JSON.stringify(sessionKey)} kept changing while this write was retried ${MAX_WRITE_ATTEMPTS} times ` +
        '(other replicas write it at the same time), and nothing was written',
      { location: this.location },
    );
  }

  #exclusive<T>(sessionKey: string, task: () => Promise<T>): Promise<T> {
    return writes.run(`${this.location}\u0000${this.#connection.prefix}\u0000${sessionKey}`, task);
  }
}
