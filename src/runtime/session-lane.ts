/**
 * The lane of a session key: turns of one key run one at a time, whether they come from one process
 * or from several sharing the state (`SAFETYNET_HOME`, or one Redis for replicas). In-process, a FIFO
 * queue per key; across processes, a {@link LaneLocks} (lock files, or Redis leases), polled until
 * the wait is spent.
 *
 * Rationale: `docs/sessions.md#session-lanes-across-processes`.
 */
import { KeyedQueue } from '../actors/cli/queue.js';
import { AttemptError, SessionBusyError } from '../errors.js';
import type { HeldLaneLock, LaneLocks } from '../store/ports.js';

/** A waiter polls a held lock every POLL_MS plus up to POLL_JITTER_MS (so waiters do not poll in step). */
const POLL_MS = 25;
const POLL_JITTER_MS = 25;
/** Longest delay `setTimeout` honours; a longer `waitMs` waits without a timer (until the signal aborts). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Options of {@link SessionLanes}. */
export interface SessionLaneOptions {
  /** The cross-process locks: `FileLaneLocks` (beside the LevelDB folder) or `RedisLaneLocks`. */
  locks: LaneLocks;
  /** Called when a lock's release rejected anyway (the locks warn about their own failures); the turn's result stands. */
  onWarning?: ((message: string) => void) | undefined;
}

/** Options of one {@link SessionLanes.run}. */
export interface SessionLaneRunOptions {
  /** Longest total wait for the lane (in-process queue and cross-process lock together), in ms. 0 tries once. */
  waitMs: number;
  /** Aborting it while waiting ends the wait (the task never starts). */
  signal?: AbortSignal | undefined;
}

/**
 * The lanes of session keys, shared by every process whose locks are the same (one lock folder, or
 * one Redis).
 *
 * @example
 * const lanes = new SessionLanes({ locks: new FileLaneLocks({ folder: `${stateFolder}.lanes`, onWarning: log }) });
 * const output = await lanes.run('demo', () => driveTurn(), { waitMs: deadline - Date.now(), signal });
 */
export class SessionLanes {
  readonly #locks: LaneLocks;
  readonly #onWarning: (message: string) => void;
  readonly #queue = new KeyedQueue();

  constructor(options: SessionLaneOptions) {
    this.#locks = options.locks;
    this.#onWarning = options.onWarning ?? (() => {});
  }

  /** Where the cross-process locks live (a folder, or a Redis URL without its password). */
  get location(): string {
    return this.#locks.location;
  }

  /**
   * Run `task` holding the lane of `sessionKey`: first the in-process FIFO, then the cross-process
   * lock. Releases the lock however the task ends; a failed release only warns.
   *
   * @returns what `task` resolves to; its rejection is passed on unchanged.
   * @throws {SessionBusyError} `SAFETYNET_SESSION_BUSY` when the lane stayed busy for `waitMs`
   *   (names the key and how long it waited).
   * @throws {AttemptError} reason `aborted` when `signal` is (or becomes) aborted while waiting.
   * @throws {StoreError} when the locks cannot be reached (`SAFETYNET_STORE_FAILED` for a lock folder that cannot be made,
   *   `SAFETYNET_STORE_UNAVAILABLE` for an unreachable Redis).
   * @throws {TypeError} when `waitMs` is NaN (`Infinity` waits until the lane is free or `signal` aborts).
   */
  async run<T>(sessionKey: string, task: () => Promise<T>, options: SessionLaneRunOptions): Promise<T> {
    const { waitMs, signal } = options;
    if (Number.isNaN(waitMs)) throw new TypeError('SessionLanes.run: waitMs must be a number of ms, got NaN');
    const started = performance.now();
    const waiting = new AbortController();
    const stopWaiting = (): void => waiting.abort();
    if (signal?.aborted) waiting.abort();
    signal?.addEventListener('abort', stopWaiting, { once: true });
    const timer = waitMs <= MAX_TIMER_MS ? setTimeout(stopWaiting, Math.max(0, waitMs)) : undefined;
    let queued = true;
    try {
      return await this.#queue.run(
        sessionKey,
        async () => {
          queued = false;
          const release = await this.#acquire(sessionKey, started, options);
          try {
            return await task();
          } finally {
            await release();
          }
        },
        { signal: waiting.signal },
      );
    } catch (error) {
      // The queue's own error (aborted before the task started) becomes ours: busy or aborted.
      if (queued && error instanceof AttemptError && error.reason === 'aborted') {
        throw signal?.aborted ? abortedError(sessionKey) : this.#busyError(sessionKey, started, waitMs);
      }
      throw error;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', stopWaiting);
    }
  }

  /** Take the lock of `sessionKey`, polling until `waitMs` (since `started`) is spent. */
  async #acquire(sessionKey: string, started: number, options: SessionLaneRunOptions): Promise<() => Promise<void>> {
    const { waitMs, signal } = options;
    for (;;) {
      if (signal?.aborted) throw abortedError(sessionKey);
      const held = await this.#locks.tryAcquire(sessionKey);
      if (held === undefined) {
        const left = started + waitMs - performance.now();
        if (left <= 0) throw this.#busyError(sessionKey, started, waitMs);
        await pause(Math.min(left, POLL_MS + Math.random() * POLL_JITTER_MS), signal);
        continue;
      }
      const unlock = (): Promise<void> => this.#release(sessionKey, held);
      if (signal?.aborted) {
        await unlock();
        throw abortedError(sessionKey);
      }
      return unlock;
    }
  }

  /** Release `held`; a rejection (the locks promise none) only warns. */
  async #release(sessionKey: string, held: HeldLaneLock): Promise<void> {
    try {
      await held.release();
    } catch (error) {
      this.#onWarning(`releasing the lane lock of session ${JSON.stringify(sessionKey)} failed: ${describe(error)}`);
    }
  }

  /** Close the locks (see {@link LaneLocks.close}). Never rejects. */
  async close(): Promise<void> {
    await this.#locks.close();
  }

  #busyError(sessionKey: string, started: number, waitMs: number): SessionBusyError {
    const waitedMs = Math.round(performance.now() - started);
    return new SessionBusyError(
      `session ${JSON.stringify(sessionKey)} is busy with another turn (in this process or another one sharing ${this.#locks.location}); ` +
        `waited ${waitedMs} ms of at most ${waitMs} ms. Retry once that turn has finished, or allow the request more time.`,
      { sessionKey, waitedMs },
    );
  }
}

function abortedError(sessionKey: string): AttemptError {
  return new AttemptError('aborted', `aborted while waiting for the lane of session ${JSON.stringify(sessionKey)}`);
}

/** Resolves after `ms`, or as soon as `signal` aborts. */
function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
