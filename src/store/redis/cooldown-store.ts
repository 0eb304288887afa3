/**
 * Cooldowns of failed candidates in Redis, shared by every replica: the same semantics as the
 * LevelDB `CooldownStore` (and the same compliance suite), with read-modify-write made atomic
 * across replicas by an optimistic compare-and-set in Lua.
 *
 * Layout, under the connection's prefix:
 * - `cooldowns:entry:<key>`: the entry of one ref or provider, as JSON, with a TTL that ends when
 *   the entry turns stale (`cooldownStaleAfter` of the policy), so Redis forgets it by itself;
 * - `cooldowns:index`: a set of the keys with an entry, for `list` and `clear`. A member whose
 *   entry expired is removed lazily by the next `list` (atomically, so it never drops an entry
 *   another replica just wrote).
 *
 * Every write of an entry goes through one script that compares the raw stored JSON with the one
 * the new entry was computed from and only then sets it (and indexes it); on a mismatch it
 * answers the current JSON and the policy runs again, at most {@link MAX_CAS_ATTEMPTS} times.
 * Writes of one key through one connection are also serialized, so the retries only ever race
 * other replicas (other connections). No `WATCH`: it would watch for every user of the shared connection.
 */
import { StoreError } from '../../errors.js';
import { cooldownStaleAfter, nextCooldownEntry, type CooldownEntry } from '../../failover/cooldown-policy.js';
import { claimedProbe } from '../../failover/half-open.js';
import { requireNow, requireText } from '../arguments.js';
import { liveEntriesByKey, parseEntry, readFreshEntries } from '../cooldown-entry.js';
import {
  failureRequest,
  probeClaim,
  successKeys,
  type ClaimProbeInput,
  type RecordCooldownFailureInput,
  type RecordCooldownSuccessInput,
} from '../cooldown-input.js';
import { KeyedMutex } from '../keyed-mutex.js';
import type { CooldownStorage } from '../ports.js';
import type { RedisConnection } from './connection.js';
import { LuaScript } from './lua-script.js';

/** Compare-and-set attempts of one write before it gives up with `SAFETYNET_STORE_FAILED`. */
export const MAX_CAS_ATTEMPTS = 16;

/**
 * KEYS: the entry, the index. ARGV: the expected value (`''` = absent, `'=' .. json` = that JSON),
 * the new JSON, its TTL in ms, the index member. Replies `{1, ''}` when set, else `{0, seen}` with
 * the current value in the same encoding.
 */
const COMPARE_AND_SET = new LuaScript(`
local current = redis.call('GET', KEYS[1])
local seen = current and ('=' .. current) or ''
if seen ~= ARGV[1] then return {0, seen} end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
redis.call('SADD', KEYS[2], ARGV[4])
return {1, ''}
`);

/** KEYS: entries…, then the index. ARGV: their index members. Deletes them; replies how many existed. */
const DELETE = new LuaScript(`
local index = KEYS[#KEYS]
local removed = 0
for i = 1, #ARGV do
  removed = removed + redis.call('DEL', KEYS[i])
  redis.call('SREM', index, ARGV[i])
end
return removed
`);

/** KEYS: entries…, then the index. ARGV: their index members. Unindexes those whose entry is gone. */
const UNINDEX_MISSING = new LuaScript(`
local index = KEYS[#KEYS]
for i = 1, #ARGV do
  if redis.call('EXISTS', KEYS[i]) == 0 then redis.call('SREM', index, ARGV[i]) end
end
return 0
`);

/**
 * Serializes read-modify-write per key among the stores of one connection (one replica); two
 * connections are two replicas, even in one process, and race through the compare-and-set.
 */
const writesByConnection = new WeakMap<RedisConnection, KeyedMutex>();

/** Options of {@link RedisCooldownStore}. */
export interface RedisCooldownStoreOptions {
  /** The shared connection (not closed by {@link RedisCooldownStore.close}). */
  connection: RedisConnection;
}

/** TTL of a stored entry at `now`, in whole ms ≥ 1: it lives until just after it turns stale. */
function ttlMs(entry: CooldownEntry, now: number): number {
  const ms = Math.ceil(cooldownStaleAfter(entry) - now) + 1;
  return Number.isFinite(ms) && ms > 0 ? ms : 1;
}

/**
 * Cooldowns in Redis (see the module doc for the layout and the compare-and-set).
 *
 * Errors: argument problems throw `TypeError` naming the argument (the checks of `CooldownStore`);
 * Redis problems throw `StoreError`: `SAFETYNET_STORE_UNAVAILABLE` when Redis cannot be reached
 * within the connection's command timeout, `SAFETYNET_STORE_FAILED` when it refuses a command or
 * a write lost its compare-and-set {@link MAX_CAS_ATTEMPTS} times. Stored values that are not
 * entries are treated as absent.
 *
 * @example
 * const connection = new RedisConnection({ url: 'redis://127.0.0.1:6379/0' });
 * const cooldowns = new RedisCooldownStore({ connection });
 * await cooldowns.recordFailure({ ref: 'anthropic/claude-opus-4-6', provider: 'anthropic', failure });
 */
export class RedisCooldownStore implements CooldownStorage {
  /** The Redis URL without its password. */
  readonly location: string;
  readonly #connection: RedisConnection;

  readonly #writes: KeyedMutex;

  constructor(options: RedisCooldownStoreOptions) {
    this.#connection = options.connection;
    this.location = options.connection.location;
    const writes = writesByConnection.get(options.connection) ?? new KeyedMutex();
    writesByConnection.set(options.connection, writes);
    this.#writes = writes;
  }

  /**
   * The entries of `keys`, in one `MGET`. Expired entries are included (callers compare `until`
   * with their `now`), except stale ones (past their ladder's reset window at `now`).
   *
   * @param now epoch ms. @default Date.now()
   */
  async read(keys: readonly string[], now: number = Date.now()): Promise<Map<string, CooldownEntry>> {
    const mget = (unique: string[]) =>
      this.#connection.run('read cooldowns', (client) => client.mget(unique.map((key) => this.#entryKey(key))));
    return readFreshEntries(keys, now, mget, parseEntry);
  }

  /**
   * Record a failed attempt (the policy's `nextCooldownEntry` on the stored entry, compare-and-set).
   *
   * @returns the stored entry, or `undefined` (nothing written) when the reason does not cool down.
   * @throws {TypeError} on a bad argument (see `CooldownStore.recordFailure`).
   */
  async recordFailure(input: RecordCooldownFailureInput): Promise<CooldownEntry | undefined> {
    const request = failureRequest(input);
    const fresh = nextCooldownEntry(undefined, request);
    if (fresh === undefined) return undefined;
    return this.#update(fresh.key, request.now, 'record a cooldown', (current) => nextCooldownEntry(current, request) ?? fresh);
  }

  /**
   * Claim the half-open probe of a cooling key (compare-and-set of its `probeAt` lease): across
   * every replica exactly one of simultaneous claims wins.
   *
   * @returns true when this call claimed the probe; false when there is nothing to claim (see `claimedProbe`).
   * @throws {TypeError} on a bad argument (see `CooldownStore.claimProbe`).
   */
  async claimProbe(input: ClaimProbeInput): Promise<boolean> {
    const { key, now, intervalMs } = probeClaim(input);
    const claimed = await this.#update(key, now, 'claim a probe', (current) => claimedProbe(current, now, intervalMs));
    return claimed !== undefined;
  }

  /**
   * Remove the cooldown of `ref` and of `provider`, in one atomic script.
   * @throws {TypeError} when `ref` or `provider` is not a non-empty string.
   */
  async recordSuccess(input: RecordCooldownSuccessInput): Promise<void> {
    await this.#delete(successKeys(input), 'clear cooldowns after a success');
  }

  /**
   * Every stored entry that is not stale at `now`, sorted by key (`SMEMBERS` of the index, one
   * `MGET`; index members whose entry expired are removed on the way).
   *
   * @param now epoch ms. @default Date.now()
   */
  async list(now: number = Date.now()): Promise<CooldownEntry[]> {
    requireNow(now);
    return this.#connection.run('list cooldowns', async (client) => {
      const members = await client.smembers(this.#indexKey());
      if (members.length === 0) return [];
      const values = await client.mget(members.map((key) => this.#entryKey(key)));
      const gone = members.filter((_, i) => values[i] === null);
      if (gone.length > 0) await UNINDEX_MISSING.run(client, [...gone.map((key) => this.#entryKey(key)), this.#indexKey()], gone);
      return liveEntriesByKey(values, parseEntry, now);
    });
  }

  /**
   * Remove the entry of `key` (a ref or a provider), or every indexed entry when `key` is omitted.
   *
   * @returns how many entries were removed.
   */
  async clear(key?: string): Promise<number> {
    if (key !== undefined) return this.#delete([requireText('key', key)], 'clear a cooldown');
    const members = await this.#connection.run('list cooldowns', (client) => client.smembers(this.#indexKey()));
    return members.length === 0 ? 0 : this.#delete(members, 'clear cooldowns');
  }

  /** Nothing to release: the connection is shared and closed by its owner. Never rejects. */
  async close(): Promise<void> {}

  #entryKey(key: string): string {
    return this.#connection.key('cooldowns', 'entry', key);
  }

  #indexKey(): string {
    return this.#connection.key('cooldowns', 'index');
  }

  #delete(keys: string[], what: string): Promise<number> {
    return this.#connection.run(what, async (client) =>
      Number(await DELETE.run(client, [...keys.map((key) => this.#entryKey(key)), this.#indexKey()], keys)),
    );
  }

  /**
   * Read-modify-write of one entry: `next` computes the entry to store from the current one
   * (`undefined`: store nothing), and the compare-and-set stores it unless another replica wrote
   * first, in which case `next` runs again on what that replica stored.
   */
  #update(
    key: string,
    now: number,
    what: string,
    next: (current: CooldownEntry | undefined) => CooldownEntry | undefined,
  ): Promise<CooldownEntry | undefined> {
    const entryKey = this.#entryKey(key);
    const indexKey = this.#indexKey();
    const task = (): Promise<CooldownEntry | undefined> =>
      this.#connection.run(what, async (client) => {
        let raw = await client.get(entryKey);
        for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
          const entry = next(parseEntry(raw));
          if (entry === undefined) return undefined;
          const expected = raw === null ? '' : `=${raw}`;
          const [set, seen] = (await COMPARE_AND_SET.run(
            client,
            [entryKey, indexKey],
            [expected, JSON.stringify(entry), ttlMs(entry, now), key],
          )) as [number, string];
          if (set === 1) return entry;
          raw = seen === '' ? null : seen.slice(1);
        }
        throw new StoreError(
          'SAFETYNET_STORE_FAILED',
          `Redis at ${this.location}: could not ${what} for \`${key}\`: other replicas changed it ${MAX_CAS_ATTEMPTS} times in a row`,
          { location: this.location },
        );
      });
    return this.#writes.run(key, task);
  }
}
