/**
 * Session lane locks as lock files (the LevelDB backend's {@link LaneLocks}): one lock file per
 * session key in a folder next to the state folder (proper-lockfile: an atomic mkdir, kept fresh by
 * its holder, taken over when its holder stopped refreshing it for `staleMs`). Processes that share
 * the folder share the lanes.
 *
 * Rationale: `docs/sessions.md#session-lanes-across-processes`.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { lock } from 'proper-lockfile';
import { StoreError } from '../../errors.js';
import type { HeldLaneLock, LaneLocks } from '../ports.js';
import { type LaneLockFs, LOCK_SUFFIX, laneLockFs, laneLockTarget } from './lane-lock-files.js';

/** Default stale window of a lane lock, in ms. */
export const DEFAULT_LANE_STALE_MS = 5000;
/** Smallest stale window proper-lockfile accepts, in ms (smaller values are raised to it). */
export const MIN_LANE_STALE_MS = 2000;
/** Smallest refresh interval proper-lockfile accepts, in ms. */
const MIN_UPDATE_MS = 1000;

/** Options of {@link FileLaneLocks}. */
export interface FileLaneLocksOptions {
  /** Folder of the lock files (created 0700 on demand). The runtime passes `<state folder>.lanes`. */
  folder: string;
  /**
   * A lock whose holder stopped updating it for this long is stale and taken over (ms).
   * Values below 2000 (proper-lockfile's floor) are raised to 2000.
   * @default 5000
   */
  staleMs?: number | undefined;
  /**
   * How often the holder refreshes its lock (ms), kept within [1000, staleMs / 2] (proper-lockfile's bounds).
   * @default staleMs / 5
   */
  updateMs?: number | undefined;
  /** Called when a held lock was lost (e.g. the event loop stalled past staleMs), or its release failed; the turn goes on. */
  onWarning?: ((message: string) => void) | undefined;
}

/**
 * Lane locks in a folder of lock files, shared by every process whose `folder` is the same. Holds
 * carry no fencing token (`token` is undefined).
 *
 * @example
 * const locks = new FileLaneLocks({ folder: `${stateFolder}.lanes`, onWarning: log });
 * const held = await locks.tryAcquire('demo'); // undefined: another process holds it
 * await held?.release();
 */
export class FileLaneLocks implements LaneLocks {
  /** The absolute folder of the lock files. */
  readonly location: string;
  readonly #staleMs: number;
  readonly #updateMs: number;
  readonly #onWarning: (message: string) => void;
  /** Lock paths this instance holds now (their removal is a release, not a stale takeover). */
  readonly #held = new Set<string>();
  /** The releases of the locks held now, for `close()`. */
  readonly #releases = new Set<() => Promise<void>>();
  readonly #fs: LaneLockFs;
  #folderReady: Promise<void> | undefined;

  /** @throws {TypeError} when `folder` is empty, or `staleMs` / `updateMs` is not a positive finite number. */
  constructor(options: FileLaneLocksOptions) {
    if (options.folder === '') throw new TypeError('FileLaneLocks: folder must not be empty');
    const staleMs = positive('staleMs', options.staleMs ?? DEFAULT_LANE_STALE_MS);
    this.location = path.resolve(options.folder);
    this.#staleMs = Math.max(staleMs, MIN_LANE_STALE_MS);
    const updateMs = positive('updateMs', options.updateMs ?? this.#staleMs / 5);
    this.#updateMs = Math.max(Math.min(updateMs, this.#staleMs / 2), MIN_UPDATE_MS);
    this.#onWarning = options.onWarning ?? (() => {});
    this.#fs = laneLockFs(this.#staleMs, this.#held);
  }

  /**
   * Take the lock file of `sessionKey` once (a stale one is taken over).
   * @returns the held lock (no token), or `undefined` when another holder keeps it fresh.
   * @throws {StoreError} `SAFETYNET_STORE_FAILED` when the lock folder or file cannot be made.
   */
  async tryAcquire(sessionKey: string): Promise<HeldLaneLock | undefined> {
    const file = laneLockTarget(this.location, sessionKey);
    const lockPath = `${file}${LOCK_SUFFIX}`;
    let compromised = false;
    const onCompromised = (error: Error): void => {
      compromised = true;
      this.#held.delete(lockPath);
      this.#onWarning(
        `the lane lock of session ${JSON.stringify(sessionKey)} was lost (${error.message}); another turn of it may run at once`,
      );
    };
    let releaseFile: () => Promise<void>;
    try {
      await this.#ensureFolder();
      releaseFile = await lock(file, {
        realpath: false,
        retries: 0,
        stale: this.#staleMs,
        update: this.#updateMs,
        fs: this.#fs,
        onCompromised,
      });
    } catch (error) {
      if (errorCode(error) === 'ELOCKED') return undefined;
      throw this.#storeError(sessionKey, error);
    }
    this.#held.add(lockPath);
    let released: Promise<void> | undefined;
    const release = (): Promise<void> => {
      released ??= (async () => {
        this.#releases.delete(release);
        try {
          await releaseFile();
        } catch (error) {
          // After a compromise, the release is refused (ERELEASED) and was already warned about.
          if (!compromised) this.#onWarning(`releasing the lane lock of session ${JSON.stringify(sessionKey)} failed: ${describe(error)}`);
        } finally {
          this.#held.delete(lockPath);
        }
      })();
      return released;
    };
    this.#releases.add(release);
    return { release };
  }

  /** Release every lock still held (stopping their refresh timers). Never rejects. */
  async close(): Promise<void> {
    await Promise.all([...this.#releases].map((release) => release()));
  }

  #ensureFolder(): Promise<void> {
    this.#folderReady ??= mkdir(this.location, { recursive: true, mode: 0o700 }).then(
      () => undefined,
      (error: unknown) => {
        this.#folderReady = undefined;
        throw error;
      },
    );
    return this.#folderReady;
  }

  #storeError(sessionKey: string, error: unknown): StoreError {
    return new StoreError(
      'SAFETYNET_STORE_FAILED',
      `cannot take the lane lock of session ${JSON.stringify(sessionKey)} in ${this.location}: ${describe(error)}`,
      { location: this.location, cause: error },
    );
  }
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new TypeError(`FileLaneLocks: ${name} must be a positive number of ms, got ${value}`);
  return value;
}

function errorCode(error: unknown): unknown {
  return typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
