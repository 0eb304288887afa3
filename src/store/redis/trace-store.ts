/**
 * Request traces in Redis, shared by every replica: the same semantics as the LevelDB
 * `TraceStore` (and the same compliance suite), bounded by count and age on every write.
 *
 * Layout, under the connection's prefix:
 * - `traces:index`: a sorted set, member = `traceKey(trace)` (`<endedAt, 13 digits>-<requestId>`),
 *   score = the key's `endedAt`; equal scores order by member, so the set's order is the keys' order;
 * - `traces:data`: a hash, field = the same key, value = the trace as JSON.
 *
 * A write is one Lua script (atomic, so replicas writing at once never overshoot `maxCount`): it
 * removes the traces that ended more than `maxAgeMs` before `now`, stores the batch, removes all
 * but the newest `maxCount`, deletes the values of what it removed, and sets both keys' TTL to when
 * the newest trace turns too old, so an idle store disappears by itself.
 */
import { DEFAULT_TRACE_MAX_AGE_MS, DEFAULT_TRACE_MAX_COUNT } from '../../config/trace-defaults.js';
import { requireText } from '../arguments.js';
import type { TraceStorage } from '../ports.js';
import { isTrace, requestIdOf, requireLimit, requireTraces, traceBound, traceKey, type TraceBounds } from '../trace-record.js';
import type { RequestTrace } from '../trace-types.js';
import type { Redis } from 'ioredis';
import type { RedisConnection } from './connection.js';
import { LuaScript } from './lua-script.js';

/** Traces read per round trip while `last()` skips values that are not traces. */
const LAST_PAGE = 10;

/**
 * KEYS: the index, the values. ARGV: the cutoff score (traces scored below it expired), maxCount,
 * now, maxAgeMs, then (member, score, json) per trace to store. Replies how many it removed.
 */
const WRITE = new LuaScript(`
local index, values = KEYS[1], KEYS[2]
local cutoff, maxCount, now, maxAge = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local function forget(members)
  for i = 1, #members, 1000 do
    redis.call('HDEL', values, unpack(members, i, math.min(i + 999, #members)))
  end
end
local expired = redis.call('ZRANGEBYSCORE', index, '-inf', '(' .. cutoff)
if #expired > 0 then
  redis.call('ZREMRANGEBYSCORE', index, '-inf', '(' .. cutoff)
  forget(expired)
end
for i = 5, #ARGV, 3 do
  redis.call('ZADD', index, ARGV[i + 1], ARGV[i])
  redis.call('HSET', values, ARGV[i], ARGV[i + 2])
end
local over = redis.call('ZCARD', index) - maxCount
if over > 0 then
  local surplus = redis.call('ZRANGE', index, 0, over - 1)
  redis.call('ZREMRANGEBYRANK', index, 0, over - 1)
  forget(surplus)
else
  over = 0
end
local newest = redis.call('ZRANGE', index, -1, -1, 'WITHSCORES')
if newest[2] then
  local ttl = math.floor(tonumber(newest[2]) + maxAge - now) + 1
  if ttl < 1 then ttl = 1 end
  redis.call('PEXPIRE', index, ttl)
  redis.call('PEXPIRE', values, ttl)
end
return #expired + over
`);

/** Options of {@link RedisTraceStore}. */
export interface RedisTraceStoreOptions extends TraceBounds {
  /** The shared connection (not closed by {@link RedisTraceStore.close}). */
  connection: RedisConnection;
}

function parseTrace(text: string | null): RequestTrace | undefined {
  if (text === null) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return isTrace(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Request traces in Redis (see the module doc for the layout and the write script).
 *
 * Errors: bad options and arguments throw `TypeError` (the checks of `TraceStore`); Redis problems
 * throw `StoreError` (`SAFETYNET_STORE_UNAVAILABLE` when Redis cannot be reached within the
 * connection's command timeout, `SAFETYNET_STORE_FAILED` when it refuses a command). Stored values
 * that are not traces are skipped.
 *
 * @example
 * const traces = new RedisTraceStore({ connection, maxCount: 100 });
 * await traces.write(trace);
 * const newest = await traces.last();
 */
export class RedisTraceStore implements TraceStorage {
  /** The Redis URL without its password. */
  readonly location: string;
  /** Newest traces kept. @default 500 */
  readonly maxCount: number;
  /** Maximum age in ms (by `endedAt`). @default 7 days */
  readonly maxAgeMs: number;
  readonly #connection: RedisConnection;

  /** @throws {TypeError} when a bound is negative or not a number. */
  constructor(options: RedisTraceStoreOptions) {
    this.maxCount = traceBound('maxCount', options.maxCount, DEFAULT_TRACE_MAX_COUNT);
    this.maxAgeMs = traceBound('maxAgeMs', options.maxAgeMs, DEFAULT_TRACE_MAX_AGE_MS);
    this.#connection = options.connection;
    this.location = options.connection.location;
  }

  /**
   * Store a trace, then prune (see {@link writeMany}). With `maxCount: 0` nothing is stored.
   *
   * @param now epoch ms the age is measured at. @default Date.now()
   * @returns how many traces were pruned.
   * @throws {TypeError} when `trace` is not a RequestTrace.
   */
  async write(trace: RequestTrace, now: number = Date.now()): Promise<number> {
    return this.writeMany([trace], now);
  }

  /**
   * Store several traces with one prune, in one atomic script: traces already expired at `now`
   * (ended more than `maxAgeMs` before it) are not stored, stored ones that expired are removed,
   * and then all but the newest `maxCount` (by key) are removed, whichever replica wrote them.
   * Writing the same key twice keeps the last value.
   *
   * @param now epoch ms the age is measured at. @default Date.now()
   * @returns how many traces were pruned (stored ones removed, and traces of the batch not kept
   *   because of the count bound).
   * @throws {TypeError} when an element is not a RequestTrace.
   */
  async writeMany(batch: readonly RequestTrace[], now: number = Date.now()): Promise<number> {
    requireTraces(batch);
    if (this.maxCount === 0 || batch.length === 0) return 0;
    const puts = new Map<string, RequestTrace>();
    for (const trace of batch) if (trace.endedAt >= now - this.maxAgeMs) puts.set(traceKey(trace), trace);
    const args: Array<string | number> = [Math.max(0, Math.floor(now - this.maxAgeMs)), this.maxCount, now, this.maxAgeMs];
    for (const [key, trace] of puts) args.push(key, Math.max(0, Math.floor(trace.endedAt)), JSON.stringify(trace));
    return this.#connection.run('write traces', async (client) =>
      Number(await WRITE.run(client, [this.#indexKey(), this.#valuesKey()], args)),
    );
  }

  /** The newest trace (by `endedAt`), or `undefined` when none is stored. */
  async last(): Promise<RequestTrace | undefined> {
    return this.#connection.run('read the last trace', async (client) => {
      for (let start = 0; ; start += LAST_PAGE) {
        const keys = await client.zrevrange(this.#indexKey(), start, start + LAST_PAGE - 1);
        if (keys.length === 0) return undefined;
        const found = (await client.hmget(this.#valuesKey(), ...keys)).map(parseTrace).find((trace) => trace !== undefined);
        if (found !== undefined) return found;
      }
    });
  }

  /**
   * The traces whose request id is `id`, or (when none is) starts with `id`, newest first.
   * @throws {TypeError} when `id` is not a non-empty string.
   */
  async find(id: string): Promise<RequestTrace[]> {
    requireText('id', id);
    return this.#connection.run('find traces', async (client) => {
      const keys = await client.zrevrange(this.#indexKey(), 0, -1);
      const exact = keys.filter((key) => requestIdOf(key) === id);
      const matches = exact.length > 0 ? exact : keys.filter((key) => requestIdOf(key).startsWith(id));
      return this.#values(client, matches);
    });
  }

  /**
   * The newest `limit` traces (default 20), newest first.
   * @throws {TypeError} when `limit` is not a positive integer.
   */
  async list(limit = 20): Promise<RequestTrace[]> {
    requireLimit(limit);
    return this.#connection.run('list traces', async (client) =>
      this.#values(client, await client.zrevrange(this.#indexKey(), 0, limit - 1)),
    );
  }

  /** How many traces are stored. */
  async count(): Promise<number> {
    return this.#connection.run('count traces', (client) => client.zcard(this.#indexKey()));
  }

  /** Nothing to release: the connection is shared and closed by its owner. Never rejects. */
  async close(): Promise<void> {}

  async #values(client: Redis, keys: string[]): Promise<RequestTrace[]> {
    if (keys.length === 0) return [];
    const values = await client.hmget(this.#valuesKey(), ...keys);
    return values.flatMap((value) => parseTrace(value) ?? []);
  }

  #indexKey(): string {
    return this.#connection.key('traces', 'index');
  }

  #valuesKey(): string {
    return this.#connection.key('traces', 'data');
  }
}
