/**
 * One shared, on-demand LevelDB handle per folder per process.
 *
 * LevelDB allows one open instance per folder: a second process — and even a second instance in
 * the same process — fails on the folder's `LOCK` file. So every {@link LevelHandle} for the same
 * resolved folder shares one `Level` instance through a module-level registry, opens it only while
 * someone uses it (reference-counted), closes it when the last user is done, and retries a locked
 * open with bounded exponential backoff before failing with `SAFETYNET_STORE_LOCKED`.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Level } from 'level';
import { SafetynetError, StoreError } from '../../errors.js';
import { requireText } from '../arguments.js';
import { lockDeadline } from '../lock-deadline.js';
import {
  clearLinger,
  closeIfIdle,
  describeError,
  findSlot,
  forgetIfIdle,
  slotFor,
  slotSublevel,
  type JsonSublevel,
  type Slot,
  type StateDatabase,
} from './slots.js';
import {
  backoffDelay,
  isLevelLocked,
  jitter,
  resolveLockRetry,
  sleep,
  type LockRetryOptions,
  type ResolvedLockRetry,
} from './lock-retry.js';

export type { JsonSublevel, StateDatabase } from './slots.js';

/** Reported before each wait of a locked open (see {@link LevelHandleOptions.onLockedRetry}). */
export interface LockedRetryEvent {
  /** The LevelDB folder. */
  location: string;
  /** The attempt that just failed on the lock, counting from 1. */
  attempt: number;
  /** How long the handle waits before the next attempt, in ms. */
  delayMs: number;
  /** Time spent since the first attempt, in ms. */
  elapsedMs: number;
}

/** Options of {@link LevelHandle}. Durations are milliseconds; retry options are in {@link LockRetryOptions}. */
export interface LevelHandleOptions extends LockRetryOptions {
  /**
   * How long the database stays open after its last user finished, in ms. `0` closes it right away
   * (and `use()` resolves only once it is closed), so the lock is held only while an operation runs.
   * A long-lived embedding (a gateway under load) may pass e.g. `50` to avoid reopening for every
   * request (each open/close cycle costs a few ms to tens of ms); other processes then wait up to
   * that long longer for the lock. The linger timer never keeps the process alive, so call
   * {@link LevelHandle.close} on shutdown to release the folder cleanly. A number in [0, 2147483647].
   * @default 0
   */
  idleCloseMs?: number;
  /** Called before each wait of a locked open (diagnostics and logging). Must not throw. */
  onLockedRetry?: (event: LockedRetryEvent) => void;
}

/** Status of the shared database of one folder, as seen by this process. */
export type LevelHandleStatus = 'closed' | 'opening' | 'open' | 'closing';

/**
 * A generic, process-wide shared handle on one LevelDB folder (sessions today; cooldowns and
 * request traces later, each in its own sublevel).
 *
 * - {@link use} opens the folder on demand; concurrent users share the open database, and it closes
 *   when the last one finishes (after `idleCloseMs`). A `use` that starts while the database is
 *   closing waits for the close and reopens it.
 * - A locked open (another process holds the folder) is retried with bounded exponential backoff
 *   plus jitter, then fails with `StoreError('SAFETYNET_STORE_LOCKED')` naming the folder.
 * - The folder is created with `mkdir -p`, mode 0700.
 *
 * Callers must not call `open()` or `close()` on the database they receive.
 *
 * @example
 * const handle = new LevelHandle('/home/me/.safetynet/state');
 * const n = await handle.useSublevel<number, number | undefined>('counters', (sub) => sub.get('x'));
 */
export class LevelHandle {
  /** The absolute LevelDB folder. */
  readonly location: string;
  readonly #retry: ResolvedLockRetry;
  readonly #idleCloseMs: number;
  readonly #onLockedRetry: ((event: LockedRetryEvent) => void) | undefined;
  #openCount = 0;

  /**
   * @param location The LevelDB folder (resolved against the cwd); created on first use.
   * @throws {TypeError} when `location` is empty or an option is out of range.
   */
  constructor(location: string, options: LevelHandleOptions = {}) {
    requireText('location', location);
    const idle = options.idleCloseMs ?? 0;
    if (typeof idle !== 'number' || !(idle >= 0 && idle <= 2_147_483_647)) {
      throw new TypeError(
        `Expected the \`idleCloseMs\` option to be a number of milliseconds in [0, 2147483647], got \`${String(idle)}\` (${typeof idle})`,
      );
    }
    this.location = path.resolve(location);
    this.#retry = resolveLockRetry(options);
    this.#idleCloseMs = idle;
    this.#onLockedRetry = options.onLockedRetry;
  }

  /** Status of the shared database of {@link location} in this process. */
  get status(): LevelHandleStatus {
    const slot = findSlot(this.location);
    if (slot === undefined) return 'closed';
    if (slot.closing !== undefined) return 'closing';
    if (slot.opening !== undefined) return 'opening';
    return slot.db?.status === 'open' ? 'open' : 'closed';
  }

  /** How many times an open started by this handle succeeded (diagnostics, tests). */
  get openCount(): number {
    return this.#openCount;
  }

  /**
   * Run `fn` with the open database, opening it first if needed, and release it afterwards.
   *
   * @returns what `fn` resolves to. With `idleCloseMs: 0` the database is closed (if nobody else
   *   uses it) before the promise settles.
   * @throws {StoreError} `SAFETYNET_STORE_LOCKED` when the folder stayed locked for the whole retry
   *   budget (the caller's lock deadline when one is in force, see `withLockDeadline`);
   *   `SAFETYNET_STORE_FAILED` when the folder cannot be created or opened (the message ends with
   *   the fix: `safetynet doctor --repair` for a damaged folder), or a LevelDB
   *   operation inside `fn` fails (`LEVEL_*` errors; `cause` keeps the original). Other errors
   *   thrown by `fn` pass through unchanged.
   */
  async use<T>(fn: (db: StateDatabase) => Promise<T>): Promise<T> {
    return this.#run((db) => fn(db));
  }

  /**
   * Like {@link use}, with the JSON sublevel `name` (keys prefixed `!name!`). The sublevel object is
   * cached for the current open cycle, so frequent calls do not pile up resources on the database.
   *
   * @throws {TypeError} when `name` is empty; otherwise as {@link use}.
   */
  async useSublevel<V, T>(name: string, fn: (sublevel: JsonSublevel<V>) => Promise<T>): Promise<T> {
    requireText('name', name);
    return this.#run((db, slot) => fn(slotSublevel(slot, db, name) as unknown as JsonSublevel<V>));
  }

  /**
   * Like {@link useSublevel} with several JSON sublevels (in the order of `names`) and the root
   * database, for atomic writes across them: `db.batch([{ type, sublevel, key, value }, …])`.
   *
   * @throws {TypeError} when a name is empty; otherwise as {@link use}.
   */
  async useSublevels<const N extends readonly string[], T>(
    names: N,
    fn: (sublevels: { [I in keyof N]: JsonSublevel<unknown> }, db: StateDatabase) => Promise<T>,
  ): Promise<T> {
    for (const name of names) requireText('name', name);
    return this.#run((db, slot) => fn(names.map((name) => slotSublevel(slot, db, name)) as { [I in keyof N]: JsonSublevel<unknown> }, db));
  }

  /**
   * Close the shared database now if nobody uses it (cancelling a linger); otherwise it closes as
   * soon as the last running operation ends, without lingering. Not terminal: a later
   * {@link use} reopens it. Never rejects.
   */
  async close(): Promise<void> {
    const slot = findSlot(this.location);
    if (slot === undefined) return;
    if (slot.users > 0) {
      slot.closeWhenIdle = true;
      return;
    }
    await closeIfIdle(slot);
  }

  async #run<T>(fn: (db: StateDatabase, slot: Slot) => Promise<T>): Promise<T> {
    const slot = await this.#acquire();
    try {
      return await fn(slot.db as StateDatabase, slot);
    } catch (error) {
      const code = (error as { code?: unknown } | null)?.code;
      if (typeof code === 'string' && code.startsWith('LEVEL_')) {
        throw new StoreError(
          'SAFETYNET_STORE_FAILED',
          `LevelDB operation failed in the safetynet state folder ${this.location}: ${describeError(error)}`,
          { location: this.location, cause: error },
        );
      }
      throw error;
    } finally {
      await this.#release(slot);
    }
  }

  async #acquire(): Promise<Slot> {
    const slot = slotFor(this.location);
    slot.users++; // synchronously, so no close can start from here on
    clearLinger(slot);
    try {
      for (;;) {
        if (slot.closing !== undefined) await slot.closing;
        else if (slot.opening !== undefined) await this.#joinOpening(slot.opening);
        else if (slot.db?.status === 'open') return slot;
        else
          slot.opening = this.#open(slot).finally(() => {
            slot.opening = undefined;
          });
      }
    } catch (error) {
      slot.users--;
      forgetIfIdle(slot);
      throw error;
    }
  }

  /**
   * Wait for an open in progress. When it ran out of its lock budget (another user's, perhaps a
   * shorter one), this user's own budget decides: the loop of {@link #acquire} then opens again.
   */
  async #joinOpening(opening: Promise<void>): Promise<void> {
    try {
      await opening;
    } catch (error) {
      const deadline = lockDeadline() ?? Number.NEGATIVE_INFINITY;
      if (!(SafetynetError.is(error) && error.code === 'SAFETYNET_STORE_LOCKED' && deadline > performance.now())) throw error;
    }
  }

  async #release(slot: Slot): Promise<void> {
    slot.users--;
    if (slot.users > 0) return;
    if (this.#idleCloseMs > 0 && !slot.closeWhenIdle) {
      clearLinger(slot);
      slot.linger = setTimeout(() => {
        slot.linger = undefined;
        void closeIfIdle(slot);
      }, this.#idleCloseMs);
      slot.linger.unref();
      return;
    }
    await closeIfIdle(slot);
  }

  async #open(slot: Slot): Promise<void> {
    const location = slot.location;
    try {
      await mkdir(location, { recursive: true, mode: 0o700 });
    } catch (cause) {
      const detail = describeError(cause);
      throw new StoreError(
        'SAFETYNET_STORE_FAILED',
        `cannot create the safetynet state folder ${location}: ${detail}; fix: make its parent folder writable by this user, or point SAFETYNET_HOME elsewhere`,
        {
          location,
          cause,
        },
      );
    }
    const started = performance.now();
    // The caller's bound (a request's deadline, see lock-deadline.ts) replaces the handle's budget.
    const budgetMs = (lockDeadline() ?? started + this.#retry.budgetMs) - started;
    for (let attempt = 1; ; attempt++) {
      try {
        // Construct and open in the same tick: level would otherwise start a deferred open itself.
        slot.db ??= new Level<string, unknown>(location, { valueEncoding: 'json' });
        const db = slot.db;
        await db.open();
        slot.sublevels.clear();
        this.#openCount++;
        return;
      } catch (error) {
        if (!isLevelLocked(error)) {
          const detail = describeError(error);
          throw new StoreError(
            'SAFETYNET_STORE_FAILED',
            `cannot open the safetynet state folder ${location}: ${detail}; ${openFailureFix(location, detail)}`,
            {
              location,
              cause: error,
            },
          );
        }
        const elapsedMs = performance.now() - started;
        const remaining = budgetMs - elapsedMs;
        if (remaining <= 0) {
          throw new StoreError(
            'SAFETYNET_STORE_LOCKED',
            `another safetynet process keeps ${location} open; wait for it or point SAFETYNET_HOME elsewhere ` +
              `(still locked after ${attempt} attempt${attempt === 1 ? '' : 's'} in ${Math.round(elapsedMs)} ms)`,
            { location, cause: error },
          );
        }
        const delayMs = Math.min(jitter(backoffDelay(this.#retry, attempt)), remaining);
        try {
          this.#onLockedRetry?.({ location, attempt, delayMs, elapsedMs });
        } catch {
          // A diagnostics callback must not break the open.
        }
        await sleep(delayMs);
      }
    }
  }
}

/** Damage LevelDB reports on open: a garbled `CURRENT`/`MANIFEST`, missing or unreadable table files. */
const CORRUPTION = /Corruption|No such file|CURRENT|MANIFEST|\.ldb|\.sst|\.log\b/i;
const PERMISSION = /Permission denied|EACCES|EPERM|Read-only file system|EROFS/i;

/** The fix of an open that failed for another reason than the lock, from LevelDB's message. */
export function openFailureFix(location: string, message: string): string {
  if (PERMISSION.test(message)) return `fix: make ${location} writable by this user, or point SAFETYNET_HOME elsewhere`;
  if (CORRUPTION.test(message))
    return 'fix: run `safetynet doctor --repair` (recovers what LevelDB can read), or point SAFETYNET_HOME elsewhere';
  return `fix: check the permissions and free space of ${location}, or point SAFETYNET_HOME elsewhere`;
}
