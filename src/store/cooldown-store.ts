/**
 * Cooldowns of failed candidates, per `provider/model` ref or per provider, in the `cooldowns`
 * sublevel of the shared LevelDB state folder, so that every worker, every process and the next
 * start see the same cooldowns. Every {@link CooldownStore.read} goes to LevelDB (no cache, no
 * throttled refresh): a cooled candidate is never served again because a read was stale.
 *
 * The durations, scopes and counting rules are in `src/failover/cooldown-policy.ts`; this file only
 * stores what the policy computes.
 */
import { FAILURE_REASONS, type AttemptFailure, type FailureReason } from '../errors.js';
import { isStaleCooldown, nextCooldownEntry, type CooldownEntry } from '../failover/cooldown-policy.js';
import { claimedProbe } from '../failover/half-open.js';

export type { CooldownEntry };
import { requireNow, requireText } from './arguments.js';
import { stateHandle } from './state-folder.js';
import { KeyedMutex } from './keyed-mutex.js';
import type { LevelHandle, JsonSublevel, LevelHandleOptions } from './level/handle.js';

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

/** Input of {@link CooldownStore.recordFailure}. */
export interface RecordCooldownFailureInput {
  /** The failed candidate's ref, e.g. `anthropic/claude-opus-4-6`. */
  ref: string;
  /** Its provider, e.g. `anthropic`. */
  provider: string;
  /** The classified failure (`reason`, optional `retryAfterMs`). */
  failure: AttemptFailure;
  /** The failure's time, epoch ms. @default Date.now() */
  now?: number | undefined;
}

/** Input of {@link CooldownStore.recordSuccess}. */
export interface RecordCooldownSuccessInput {
  /** The successful candidate's ref. */
  ref: string;
  /** Its provider. */
  provider: string;
}

/** Input of {@link CooldownStore.claimProbe}. */
export interface ClaimProbeInput {
  /** The cooling key, a ref (`anthropic/claude-opus-4-6`; see `dueProbeKey` in the failover policy). */
  key: string;
  /** The probe interval in ms: the claim's lease. A positive number. */
  probeIntervalMs: number;
  /** The claim's time, epoch ms. @default Date.now() */
  now?: number | undefined;
}

/** Serializes read-modify-write per (folder, key) across every cooldown store of this process. */
const writes = new KeyedMutex();

const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/** A stored value as a {@link CooldownEntry}, or `undefined` when it does not have that shape. */
function toEntry(value: unknown): CooldownEntry | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v['key'] !== 'string' || (v['scope'] !== 'model' && v['scope'] !== 'provider')) return undefined;
  if (!FAILURE_REASONS.includes(v['reason'] as FailureReason)) return undefined;
  if (![v['failures'], v['since'], v['until'], v['lastFailureAt']].every(isNumber)) return undefined;
  if (v['retryAfterMs'] !== undefined && !isNumber(v['retryAfterMs'])) return undefined;
  if (v['probeAt'] !== undefined && !isNumber(v['probeAt'])) return undefined;
  const entry: CooldownEntry = {
    key: v['key'],
    scope: v['scope'],
    reason: v['reason'] as FailureReason,
    failures: v['failures'] as number,
    since: v['since'] as number,
    until: v['until'] as number,
    lastFailureAt: v['lastFailureAt'] as number,
  };
  if (isNumber(v['retryAfterMs'])) entry.retryAfterMs = v['retryAfterMs'];
  if (isNumber(v['probeAt'])) entry.probeAt = v['probeAt'];
  return entry;
}

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
export class CooldownStore {
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
    for (const [i, key] of keys.entries()) requireText(`keys[${i}]`, key);
    requireNow(now);
    const unique = [...new Set(keys)];
    const found = new Map<string, CooldownEntry>();
    if (unique.length === 0) return found;
    const values = await this.#cooldowns((cooldowns) => cooldowns.getMany(unique));
    values.forEach((value, i) => {
      const entry = toEntry(value);
      if (entry !== undefined && !isStaleCooldown(entry, now)) found.set(unique[i] as string, entry);
    });
    return found;
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
    const ref = requireText('ref', input.ref);
    const provider = requireText('provider', input.provider);
    const now = requireNow(input.now ?? Date.now());
    const { failure } = input;
    if (typeof failure !== 'object' || failure === null || !FAILURE_REASONS.includes(failure.reason)) {
      throw new TypeError(
        `Expected the \`failure\` argument to be an AttemptFailure with a known reason, got \`${JSON.stringify(failure)}\``,
      );
    }
    const request = { ref, provider, reason: failure.reason, retryAfterMs: failure.retryAfterMs, now };
    const fresh = nextCooldownEntry(undefined, request);
    if (fresh === undefined) return undefined;
    return this.#exclusive(fresh.key, () =>
      this.#cooldowns(async (cooldowns) => {
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
    const key = requireText('key', input.key);
    const now = requireNow(input.now ?? Date.now());
    const intervalMs = input.probeIntervalMs;
    if (!isNumber(intervalMs) || intervalMs <= 0) {
      throw new TypeError(`Expected the \`probeIntervalMs\` argument to be a positive number, got \`${String(intervalMs)}\``);
    }
    return this.#exclusive(key, () =>
      this.#cooldowns(async (cooldowns) => {
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
    const keys = [...new Set([requireText('ref', input.ref), requireText('provider', input.provider)])].sort();
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
    return values
      .flatMap((value) => toEntry(value) ?? [])
      .filter((entry) => !isStaleCooldown(entry, now))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /**
   * Remove the entry of `key` (a ref or a provider), or every entry when `key` is omitted.
   *
   * @returns how many entries were removed.
   */
  async clear(key?: string): Promise<number> {
    if (key !== undefined) return this.#exclusive(requireText('key', key), () => this.#remove([key]));
    return this.#cooldowns(async (cooldowns) => {
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
    return this.#cooldowns(async (cooldowns) => {
      const present = (await cooldowns.getMany(keys)).flatMap((value, i) => (value === undefined ? [] : [keys[i] as string]));
      if (present.length > 0) await cooldowns.batch(present.map((k) => ({ type: 'del' as const, key: k })));
      return present.length;
    });
  }

  #cooldowns<T>(fn: (cooldowns: JsonSublevel<unknown>) => Promise<T>): Promise<T> {
    return this.#handle.useSublevel<unknown, T>(COOLDOWNS_SUBLEVEL, fn);
  }

  #exclusive<T>(key: string, task: () => Promise<T>): Promise<T> {
    return writes.run(`${this.location}\u0000${key}`, task);
  }
}
