/**
 * The lane of a session key: turns of one key run one at a time, whether they come from one process
 * or from several sharing `SAFETYNET_HOME`. In-process, a FIFO queue per key; across processes, a
 * lock file per key (proper-lockfile: an atomic mkdir, kept fresh by its holder, taken over when its
 * holder stopped refreshing it for `staleMs`).
 *
 * Rationale: `docs/sessions.md#session-lanes-across-processes`.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { lock } from 'proper-lockfile';
import { KeyedQueue } from '../actors/cli/queue.js';
import { AttemptError, SessionBusyError, StoreError } from '../errors.js';
import { type LaneLockFs, LOCK_SUFFIX, laneLockFs, laneLockTarget } from './lane-lock-files.js';

/** Default stale window of a lane lock, in ms. */
export const DEFAULT_LANE_STALE_MS = 5000;
/** Smallest stale window proper-lockfile accepts, in ms (smaller values are raised to it). */
export const MIN_LANE_STALE_MS = 2000;
/** Smallest refresh interval proper-lockfile accepts, in ms. */
const MIN_UPDATE_MS = 1000;
/** A waiter polls a held lock every POLL_MS plus up to POLL_JITTER_MS (so waiters do not poll in step). */
const POLL_MS = 25;
const POLL_JITTER_MS = 25;
/** Longest delay `setTimeout` honours; a longer `waitMs` waits without a timer (until the signal aborts). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Options of {@link SessionLanes}. */
export interface SessionLaneOptions {
  /** Folder of the lock files (created 0700 on demand). The runtime passes `<state folder>.lanes`. */
  folder: string;
  /**
   * A lock whose holder stopped updating it for this long is stale and taken over (ms).
   * Values below 2000 (proper-lockfile's floor) are raised to 2000.
   * @default 5000
   */
  staleMs?: number;
  /**
   * How often the holder refreshes its lock (ms), kept within [1000, staleMs / 2] (proper-lockfile's bounds).
   * @default staleMs / 5
   */
  updateMs?: number;
  /** Called when a held lock was lost (e.g. the event loop stalled past staleMs), or its release failed; the turn goes on. */
  onWarning?: (message: string) => void;
}

/** Options of one {@link SessionLanes.run}. */
export interface SessionLaneRunOptions {
  /** Longest total wait for the lane (in-process queue and lock file together), in ms. 0 tries once. */
  waitMs: number;
  /** Aborting it while waiting ends the wait (the task never starts). */
  signal?: AbortSignal | undefined;
}

/**
 * The lanes of session keys, shared by every process whose `folder` is the same.
 *
 * @example
 * const lanes = new SessionLanes({ folder: `${stateFolder}.lanes`, onWarning: log });
 * const output = await lanes.run('demo', () => driveTurn(), { waitMs: deadline - Date.now(), signal });
 */
export class SessionLanes {
  readonly #folder: string;
  readonly #staleMs: number;
  readonly #updateMs: number;
  readonly #onWarning: (message: string) => void;
  readonly #queue = new KeyedQueue();
  /** Lock paths this instance holds now (their removal is a release, not a stale takeover). */
  readonly #held = new Set<string>();
  readonly #fs: LaneLockFs;
  #folderReady: Promise<void> | undefined;

  /** @throws {TypeError} when `folder` is empty, or `staleMs` / `updateMs` is not a positive finite number. */
  constructor(options: SessionLaneOptions) {
    if (options.folder === '') throw new TypeError('SessionLanes: folder must not be empty');
    const staleMs = positive('staleMs', options.staleMs ?? DEFAULT_LANE_STALE_MS);
    this.#folder = path.resolve(options.folder);
    this.#staleMs = Math.max(staleMs, MIN_LANE_STALE_MS);
    const updateMs = positive('updateMs', options.updateMs ?? this.#staleMs / 5);
    this.#updateMs = Math.max(Math.min(updateMs, this.#staleMs / 2), MIN_UPDATE_MS);
    this.#onWarning = options.onWarning ?? (() => {});
    this.#fs = laneLockFs(this.#staleMs, this.#held);
  }

  /**
   * Run `task` holding the lane of `sessionKey`: first the in-process FIFO, then the inter-process
   * lock file. Releases the lock however the task ends; a failed release only warns.
   *
   * @returns what `task` resolves to; its rejection is passed on unchanged.
   * @throws {SessionBusyError} `SAFETYNET_SESSION_BUSY` when the lane stayed busy for `waitMs`
   *   (names the key and how long it waited).
   * @throws {AttemptError} reason `aborted` when `signal` is (or becomes) aborted while waiting.
   * @throws {StoreError} `SAFETYNET_STORE_FAILED` when the lock folder or file cannot be made.
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

  /** Take the lock file of `sessionKey`, polling until `waitMs` (since `started`) is spent. */
  async #acquire(sessionKey: string, started: number, options: SessionLaneRunOptions): Promise<() => Promise<void>> {
    const { waitMs, signal } = options;
    const file = laneLockTarget(this.#folder, sessionKey);
    const lockPath = `${file}${LOCK_SUFFIX}`;
    let compromised = false;
    const onCompromised = (error: Error): void => {
      compromised = true;
      this.#held.delete(lockPath);
      this.#onWarning(
        `the lane lock of session ${JSON.stringify(sessionKey)} was lost (${error.message}); another turn of it may run at once`,
      );
    };
    try {
      await this.#ensureFolder();
    } catch (error) {
      throw this.#storeError(sessionKey, error);
    }
    for (;;) {
      if (signal?.aborted) throw abortedError(sessionKey);
      let release: () => Promise<void>;
      try {
        release = await lock(file, {
          realpath: false,
          retries: 0,
          stale: this.#staleMs,
          update: this.#updateMs,
          fs: this.#fs,
          onCompromised,
        });
      } catch (error) {
        if (errorCode(error) !== 'ELOCKED') throw this.#storeError(sessionKey, error);
        const left = started + waitMs - performance.now();
        if (left <= 0) throw this.#busyError(sessionKey, started, waitMs);
        await pause(Math.min(left, POLL_MS + Math.random() * POLL_JITTER_MS), signal);
        continue;
      }
      this.#held.add(lockPath);
      const unlock = async (): Promise<void> => {
        try {
          await release();
        } catch (error) {
          // After a compromise, the release is refused (ERELEASED) and was already warned about.
          if (!compromised) this.#onWarning(`releasing the lane lock of session ${JSON.stringify(sessionKey)} failed: ${describe(error)}`);
        } finally {
          this.#held.delete(lockPath);
        }
      };
      if (signal?.aborted) {
        await unlock();
        throw abortedError(sessionKey);
      }
      return unlock;
    }
  }

  #ensureFolder(): Promise<void> {
    this.#folderReady ??= mkdir(this.#folder, { recursive: true, mode: 0o700 }).then(
      () => undefined,
      (error: unknown) => {
        this.#folderReady = undefined;
        throw error;
      },
    );
    return this.#folderReady;
  }

  #busyError(sessionKey: string, started: number, waitMs: number): SessionBusyError {
    const waitedMs = Math.round(performance.now() - started);
    return new SessionBusyError(
      `session ${JSON.stringify(sessionKey)} is busy with another turn (in this process or another one sharing ${this.#folder}); ` +
        `waited ${waitedMs} ms of at most ${waitMs} ms. Retry once that turn has finished, or allow the request more time.`,
      { sessionKey, waitedMs },
    );
  }

  #storeError(sessionKey: string, error: unknown): StoreError {
    return new StoreError(
      'SAFETYNET_STORE_FAILED',
      `cannot take the lane lock of session ${JSON.stringify(sessionKey)} in ${this.#folder}: ${describe(error)}`,
      {
        location: this.#folder,
        cause: error,
      },
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

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new TypeError(`SessionLanes: ${name} must be a positive number of ms, got ${value}`);
  return value;
}

function errorCode(error: unknown): unknown {
  return typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
