/**
 * Session lane locks as Redis leases with fencing tokens (the Redis backend's {@link LaneLocks}),
 * shared by every replica on one Redis: a lease key per session key, set with a token from a
 * per-key counter, renewed by its holder, expiring when the holder stops renewing it.
 *
 * Rationale: `docs/replicas.md`. A lease can expire under a holder that stalled or lost Redis;
 * the token it got is kept in `connection.fences` until it releases, and the Redis session store
 * refuses a commit whose token is not the key's latest, so a replica that lost its lease cannot
 * overwrite the turn of the replica that took over.
 */
import { encodeKeyPart } from '../binding-key.js';
import type { HeldLaneLock, LaneLocks } from '../ports.js';
import type { RedisConnection } from './connection.js';
import { LuaScript } from './lua-script.js';

/** Default lease of a held lane, in ms: a holder that stops renewing it is taken over after this long. */
export const DEFAULT_LANE_LEASE_MS = 5000;

/**
 * KEYS[1] fence counter, KEYS[2] lease; ARGV[1] lease ms. Takes the lease only when it is free,
 * and only then draws the next token: every token handed out belongs to a lease that was held, so
 * tokens per key are strictly increasing and gap-free. Returns the token, or 0 when held.
 */
const ACQUIRE = new LuaScript(`
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
local token = redis.call('INCR', KEYS[1])
redis.call('SET', KEYS[2], token, 'PX', ARGV[1])
return token`);

/** KEYS[1] lease; ARGV[1] token, ARGV[2] lease ms. Extends the lease only while it is still ours: 1, else 0. */
const RENEW = new LuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`);

/** KEYS[1] lease; ARGV[1] token. Deletes the lease only while it is still ours: 1, else 0. */
const RELEASE = new LuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`);

/**
 * The Redis keys of `sessionKey`'s lane: the lease (`lane:<k>`) and its fencing counter
 * (`fence:<k>`), `<k>` being the key escaped with `encodeKeyPart` (injective, printable ASCII). The
 * one home of these names: the session store's commit script reads the fence.
 */
export function laneKeys(connection: RedisConnection, sessionKey: string): { lease: string; fence: string } {
  const part = encodeKeyPart(sessionKey);
  return { lease: connection.key('lane', part), fence: connection.key('fence', part) };
}

/** Options of {@link RedisLaneLocks}. */
export interface RedisLaneLocksOptions {
  /** The runtime's shared connection (not closed by `close()`). */
  connection: RedisConnection;
  /**
   * Lease of a held lane, in ms; renewed every `leaseMs / 3` while held. A holder that stops
   * renewing (crash, `kill -9`, a partition) is taken over after at most this long.
   * @default 5000
   */
  leaseMs?: number | undefined;
  /** Called when a renewal failed (the lease was lost, or Redis was unreachable) or a release failed; the turn goes on. */
  onWarning?: ((message: string) => void) | undefined;
}

/**
 * Lane locks as Redis leases: the lease and fencing counter keys of {@link laneKeys}. Each hold carries its fencing token, which is also set in
 * `connection.fences` (by session key) until its release.
 *
 * @example
 * const locks = new RedisLaneLocks({ connection, leaseMs: 5000, onWarning: log });
 * const held = await locks.tryAcquire('demo'); // undefined: another replica holds it
 * await held?.release();
 */
export class RedisLaneLocks implements LaneLocks {
  /** The Redis URL without its password. */
  readonly location: string;
  /** Lease of a held lane, in ms. */
  readonly leaseMs: number;
  readonly #connection: RedisConnection;
  readonly #onWarning: (message: string) => void;
  /** The releases of the leases held now, for `close()`. */
  readonly #releases = new Set<() => Promise<void>>();

  /** @throws {TypeError} when `leaseMs` is not a positive finite number. */
  constructor(options: RedisLaneLocksOptions) {
    const leaseMs = options.leaseMs ?? DEFAULT_LANE_LEASE_MS;
    if (!Number.isFinite(leaseMs) || leaseMs <= 0)
      throw new TypeError(`RedisLaneLocks: leaseMs must be a positive number of ms, got ${leaseMs}`);
    this.#connection = options.connection;
    this.location = options.connection.location;
    this.leaseMs = Math.round(Math.max(leaseMs, 1));
    this.#onWarning = options.onWarning ?? (() => {});
  }

  /**
   * Take the lease of `sessionKey` once (INCR of the fence and SET NX PX in one script).
   * @returns the held lease with its fencing token, or `undefined` when another holder has it.
   * @throws {StoreError} `SAFETYNET_STORE_UNAVAILABLE` when Redis cannot be reached within the
   *   command timeout, `SAFETYNET_STORE_FAILED` when it refuses the script.
   */
  async tryAcquire(sessionKey: string): Promise<HeldLaneLock | undefined> {
    const connection = this.#connection;
    const { lease, fence } = laneKeys(connection, sessionKey);
    const reply = await connection.run(`take the lane lease of session ${JSON.stringify(sessionKey)}`, (client) =>
      ACQUIRE.run(client, [fence, lease], [this.leaseMs]),
    );
    const token = Number(reply);
    if (!Number.isSafeInteger(token) || token <= 0) return undefined;
    connection.fences.set(sessionKey, token);
    return this.#hold(sessionKey, lease, token);
  }

  /** Release every lease still held (stopping their renewals). Never rejects; the connection stays open. */
  async close(): Promise<void> {
    await Promise.all([...this.#releases].map((release) => release()));
  }

  /** The hold of `lease` with `token`: renewed every leaseMs / 3 until released or lost. */
  #hold(sessionKey: string, lease: string, token: number): HeldLaneLock {
    const connection = this.#connection;
    const name = JSON.stringify(sessionKey);
    let lost = false;
    let renewing = false;
    let unreachableWarned = false;
    const renew = async (): Promise<void> => {
      if (renewing || lost) return; // one renewal in flight at a time
      renewing = true;
      try {
        const kept = await RENEW.run(connection.client, [lease], [token, this.leaseMs]);
        if (Number(kept) === 1) {
          unreachableWarned = false;
          return;
        }
        lost = true;
        clearInterval(timer);
        this.#onWarning(`the lane lease of session ${name} was lost (expired or taken over); another turn of it may run at once`);
      } catch (error) {
        if (unreachableWarned) return;
        unreachableWarned = true;
        this.#onWarning(
          `renewing the lane lease of session ${name} failed (${connection.error('renew the lane lease', error).message}); it expires in ${this.leaseMs} ms unless renewed`,
        );
      } finally {
        renewing = false;
      }
    };
    const timer = setInterval(() => void renew(), Math.max(1, Math.floor(this.leaseMs / 3)));
    timer.unref();
    let released: Promise<void> | undefined;
    const release = (): Promise<void> => {
      released ??= (async () => {
        clearInterval(timer);
        this.#releases.delete(release);
        try {
          await connection.run(`release the lane lease of session ${name}`, (client) => RELEASE.run(client, [lease], [token]));
        } catch (error) {
          if (!lost)
            this.#onWarning(`releasing the lane lease of session ${name} failed: ${describe(error)}; it expires in ${this.leaseMs} ms`);
        } finally {
          if (connection.fences.get(sessionKey) === token) connection.fences.delete(sessionKey);
        }
      })();
      return released;
    };
    this.#releases.add(release);
    return { token, release };
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
