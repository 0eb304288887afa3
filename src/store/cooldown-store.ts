/**
 * Cooldowns of failed candidates, per `provider/model` ref or per provider, in the `cooldowns`
 * sublevel of the shared LevelDB state folder, so that every worker, every process and the next
 * start see the same cooldowns. Every {@link CooldownStore.read} goes to LevelDB (no cache, no
 * throttled refresh): a cooled candidate is never served again because a read was stale. The store
 * keeps the folder's "no cooldowns stored" marker (`./cooldown-marker.ts`) so that a reader can skip
 * the folder while nothing is stored: written when the sublevel is seen empty, removed before a put.
 *
 * The durations, scopes and counting rules are in `src/failover/cooldown-policy.ts`; this file only
 * stores what the policy computes.
 */
import { nextCooldownEntry, type CooldownEntry } from '../failover/cooldown-policy.js';
import { claimedProbe } from '../failover/half-open.js';
import { requireNow, requireText } from './arguments.js';
import { liveEntriesByKey, readFreshEntries, toEntry } from './cooldown-entry.js';
import type { CooldownStorage } from './ports.js';
import {
  failureRequest,
  probeClaim,
  successKeys,
  type ClaimProbeInput,
  type RecordCooldownFailureInput,
  type RecordCooldownSuccessInput,
} from './cooldown-input.js';
import { markNoCooldowns, noCooldownsStored, unmarkNoCooldowns } from './cooldown-marker.js';
import { stateHandle } from './state-folder.js';
import { KeyedMutex } from './keyed-mutex.js';
import type { LevelHandle, JsonSublevel, LevelHandleOptions } from './level/handle.js';

export type { CooldownEntry };
export type { ClaimProbeInput, RecordCooldownFailureInput, RecordCooldownSuccessInput } from './cooldown-input.js';

/** Name of the sublevel holding cooldowns (keys are prefixed `!cooldowns!`). */
export const COOLDOWNS_SUBLEVEL = 'cooldowns';

/** Options of {@link CooldownStore}; the same shape as `SessionStoreOptions`. */
export interface CooldownStoreOptions extends LevelHandleOptions {
  /**
   * The LevelDB folder (the same folder as the sessions).
   * @default defaultStoreLocation() — `<SAFETYNET_HOME>/state`
   */
  location?: string;
  /** Use this handle (and its folder and options) instead of creating one; `location` and handle options are then ignored. */
  handle?: LevelHandle;
}

/** Serializes read-modify-write per (folder, key) across every cooldown store of this process. */
const writes = new KeyedMutex();

/** The mutex key (per folder) of the "no cooldowns stored" marker: never a cooldown key (those are non-empty refs). */
const MARKER_KEY = '\u0000no-cooldowns-marker';

/**
 * Cooldowns in LevelDB. Every call opens the shared folder on demand and releases it afterwards
 * (see {@link LevelHandle}); across processes the folder lock serializes each call, within the
 * process read-modify-write is serialized per key.
 *
 * Errors: argument problems throw `TypeError` naming the argument; storage problems throw
 * `StoreError` (`SAFETYNET_STORE_LOCKED` after the lock retry budget, `SAFETYNET_STORE_FAILED`
 * otherwise). Stored values that are not entries are treated as absent.
 *
 * @example
 * const cooldowns = new CooldownStore();
 * const plan = planCandidates(candidates, await cooldowns.read(cooldownKeys(candidates)), Date.now());
 * // … after a failed attempt:
 * await cooldowns.recordFailure({ ref: 'anthropic/claude-opus-4-6', provider: 'anthropic', failure });
 * // … after a successful one:
 * await cooldowns.recordSuccess({ ref: 'anthropic/claude-opus-4-6', provider: 'anthropic' });
 */
export class CooldownStore implements CooldownStorage {
  /** The absolute LevelDB folder. */
  readonly location: string;
  readonly #handle: LevelHandle;

  /** @throws {TypeError} when `location` is empty or a handle option is out of range. */
  constructor(options: CooldownStoreOptions = {}) {
    this.#handle = stateHandle(options);
    this.location = this.#handle.location;
  }

  /**
   * The entries of `keys` (refs and providers, e.g. from `cooldownKeys()`), in one `getMany`.
   * Expired entries are included (callers compare `until` with their `now`), except entries that
   * ended more than their ladder's reset window before `now`: those neither cool nor count.
   *
   * @param now epoch ms. @default Date.now()
   */
  async read(keys: readonly string[], now: number = Date.now()): Promise<Map<string, CooldownEntry>> {
    const fetch = (unique: string[]) => {
      // The first read of a folder that holds nothing marks it, in the same use: later reads (in any process) skip LevelDB.
      if (noCooldownsStored(this.location)) return this.#cooldowns((cooldowns) => cooldowns.getMany(unique));
      return this.#exclusive(MARKER_KEY, () =>
        this.#cooldowns(async (cooldowns) => {
          const values = await cooldowns.getMany(unique);
          if (values.every((value) => value === undefined)) await this.#markIfEmptyIn(cooldowns);
          return values;
        }),
      );
    };
    return readFreshEntries(keys, now, fetch, toEntry);
  }

  /**
   * Record a failed attempt: steps, keeps or starts the cooldown of the ref (model scope) or of
   * the provider (auth, billing), as `nextCooldownEntry` of the policy decides.
   *
   * @returns the stored entry, or `undefined` (nothing written) when the reason does not cool down.
   * @throws {TypeError} when `ref` or `provider` is not a non-empty string, `failure` has no
   *   reason, or `now` is not finite.
   */
  async recordFailure(input: RecordCooldownFailureInput): Promise<CooldownEntry | undefined> {
    const request = failureRequest(input);
    const fresh = nextCooldownEntry(undefined, request);
    if (fresh === undefined) return undefined;
    return this.#exclusive(fresh.key, () =>
      this.#putting(async (cooldowns) => {
        const entry = nextCooldownEntry(toEntry(await cooldowns.get(fresh.key)), request) ?? fresh;
        await cooldowns.put(entry.key, entry);
        return entry;
      }),
    );
  }

  /**
   * Claim the half-open probe of a cooling key: compare-and-set of the entry's `probeAt` lease, so
   * that one request per probe interval tries the key while the others keep skipping it. The read
   * and the write run in one use of the folder (other processes wait on its lock) under the key's
   * in-process mutex, so across processes sharing the folder exactly one claim wins.
   *
   * @returns true when this call claimed the probe (the entry now has `probeAt = now + probeIntervalMs`);
   *   false when the entry is gone, no longer cools, is not probed, or another claim holds the lease.
   * @throws {TypeError} when `key` is not a non-empty string, `probeIntervalMs` is not a positive
   *   number, or `now` is not finite.
   */
  async claimProbe(input: ClaimProbeInput): Promise<boolean> {
    const { key, now, intervalMs } = probeClaim(input);
    return this.#exclusive(key, () =>
      this.#putting(async (cooldowns) => {
        const claimed = claimedProbe(toEntry(await cooldowns.get(key)), now, intervalMs);
        if (claimed === undefined) return false;
        await cooldowns.put(key, claimed);
        return true;
      }),
    );
  }

  /**
   * Record a successful attempt: removes the cooldown of `ref` and of `provider` (a success proves
   * the provider's credentials and account work). Writes only when something was stored.
   *
   * @throws {TypeError} when `ref` or `provider` is not a non-empty string.
   */
  async recordSuccess(input: RecordCooldownSuccessInput): Promise<void> {
    const keys = successKeys(input);
    // Both keys locked, always in sorted order, so two successes can never wait on each other.
    const task = keys.reduceRight<() => Promise<number>>(
      (inner, key) => () => this.#exclusive(key, inner),
      () => this.#remove(keys),
    );
    await task();
  }

  /**
   * Every stored entry that is not stale at `now` (see {@link read}), sorted by key.
   *
   * @param now epoch ms. @default Date.now()
   */
  async list(now: number = Date.now()): Promise<CooldownEntry[]> {
    requireNow(now);
    const values = await this.#cooldowns((cooldowns) => cooldowns.values().all());
    return liveEntriesByKey(values, toEntry, now);
  }

  /**
   * Remove the entry of `key` (a ref or a provider), or every entry when `key` is omitted.
   *
   * @returns how many entries were removed.
   */
  async clear(key?: string): Promise<number> {
    if (key !== undefined) return this.#exclusive(requireText('key', key), () => this.#remove([key]));
    return this.#removing(async (cooldowns) => {
      const keys = await cooldowns.keys().all();
      if (keys.length > 0) await cooldowns.batch(keys.map((k) => ({ type: 'del' as const, key: k })));
      return keys.length;
    });
  }

  /** Release the folder now (or when running calls end); later calls reopen it. Never rejects. */
  async close(): Promise<void> {
    await this.#handle.close();
  }

  #remove(keys: string[]): Promise<number> {
    return this.#removing(async (cooldowns) => {
      const present = (await cooldowns.getMany(keys)).flatMap((value, i) => (value === undefined ? [] : [keys[i] as string]));
      if (present.length > 0) await cooldowns.batch(present.map((k) => ({ type: 'del' as const, key: k })));
      return present.length;
    });
  }

  /** A use of the folder that removes entries (`fn` answers how many): when it removed any, the folder is marked if now empty. */
  #removing(fn: (cooldowns: JsonSublevel<unknown>) => Promise<number>): Promise<number> {
    return this.#exclusive(MARKER_KEY, () =>
      this.#cooldowns(async (cooldowns) => {
        const removed = await fn(cooldowns);
        if (removed > 0) await this.#markIfEmptyIn(cooldowns);
        return removed;
      }),
    );
  }

  /**
   * Mark the folder as holding no cooldowns when its sublevel is empty. Call inside a use of the
   * folder (other processes wait) that holds the marker mutex (this process's putters wait).
   * Entries that no longer cool (expired, or stale past their reset window) still count as stored:
   * they leave the store through a success or `clear`, and the marker waits for that.
   */
  async #markIfEmptyIn(cooldowns: JsonSublevel<unknown>): Promise<void> {
    if ((await cooldowns.keys({ limit: 1 }).all()).length === 0) await markNoCooldowns(this.location);
  }

  /** A use of the folder that puts entries: the marker is removed first, in the same use, under the marker mutex. */
  #putting<T>(fn: (cooldowns: JsonSublevel<unknown>) => Promise<T>): Promise<T> {
    return this.#exclusive(MARKER_KEY, () =>
      this.#cooldowns(async (cooldowns) => {
        await unmarkNoCooldowns(this.location);
        return fn(cooldowns);
      }),
    );
  }

  #cooldowns<T>(fn: (cooldowns: JsonSublevel<unknown>) => Promise<T>): Promise<T> {
    return this.#handle.useSublevel<unknown, T>(COOLDOWNS_SUBLEVEL, fn);
  }

  #exclusive<T>(key: string, task: () => Promise<T>): Promise<T> {
    return writes.run(`${this.location}\u0000${key}`, task);
  }
}
