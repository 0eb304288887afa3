/**
 * Bounded exponential backoff with jitter for opening a LevelDB folder that another process (or a
 * stray instance in this process) holds locked. Pure helpers: no I/O besides the timer in
 * {@link sleep}.
 */

/** How a locked open is retried. All durations are milliseconds. */
export interface LockRetryOptions {
  /**
   * Delay before the second attempt, in ms. Each later delay is multiplied by `factor` and capped
   * at `maxDelayMs`; every delay gets equal jitter (a random value between half and all of it).
   * @default 10
   */
  initialDelayMs?: number;
  /**
   * Growth factor of the delay between attempts (≥ 1).
   * @default 2
   */
  factor?: number;
  /**
   * Upper bound of a single delay, in ms.
   * @default 250
   */
  maxDelayMs?: number;
  /**
   * Total time budget for opening a locked folder, in ms, measured from the first attempt. When it
   * is spent the open fails with `SAFETYNET_STORE_LOCKED`. `0` means a single attempt.
   * @default 5000
   */
  budgetMs?: number;
}

/** {@link LockRetryOptions} with every default applied. */
export type ResolvedLockRetry = Required<LockRetryOptions>;

/** The defaults of {@link LockRetryOptions}: 10 ms first delay, ×2, 250 ms cap, 5 000 ms budget. */
export const DEFAULT_LOCK_RETRY: Readonly<ResolvedLockRetry> = Object.freeze({
  initialDelayMs: 10,
  factor: 2,
  maxDelayMs: 250,
  budgetMs: 5000,
});

/**
 * Apply defaults and validate retry options.
 *
 * @throws {TypeError} when a duration is not a finite number ≥ 0, or `factor` is below 1; the
 *   message names the option and echoes the received value.
 */
export function resolveLockRetry(options: LockRetryOptions = {}): ResolvedLockRetry {
  const resolved: ResolvedLockRetry = { ...DEFAULT_LOCK_RETRY };
  for (const name of ['initialDelayMs', 'maxDelayMs', 'budgetMs'] as const) {
    const value = options[name];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new TypeError(
        `Expected the \`${name}\` option to be a finite number of milliseconds ≥ 0, got \`${String(value)}\` (${typeof value})`,
      );
    }
    resolved[name] = value;
  }
  if (options.factor !== undefined) {
    if (typeof options.factor !== 'number' || !Number.isFinite(options.factor) || options.factor < 1) {
      throw new TypeError(
        `Expected the \`factor\` option to be a finite number ≥ 1, got \`${String(options.factor)}\` (${typeof options.factor})`,
      );
    }
    resolved.factor = options.factor;
  }
  return resolved;
}

/**
 * The un-jittered delay before attempt `attempt + 1` (attempt counts from 1), in ms:
 * `min(initialDelayMs × factor^(attempt-1), maxDelayMs)`.
 */
export function backoffDelay(retry: ResolvedLockRetry, attempt: number): number {
  return Math.min(retry.initialDelayMs * retry.factor ** Math.max(0, attempt - 1), retry.maxDelayMs);
}

/** Equal jitter: a delay between half and all of `delayMs` (`random` returns a number in [0, 1)). */
export function jitter(delayMs: number, random: () => number = Math.random): number {
  return delayMs / 2 + random() * (delayMs / 2);
}

const LOCK_MESSAGE = /\block\b.*\bLOCK\b|already held by process|Resource temporarily unavailable/i;

/**
 * True when `error` says the LevelDB folder is locked: `cause.code === 'LEVEL_LOCKED'` (level 10 on
 * `open()`), a `LEVEL_LOCKED` code on the error itself, or the native message form
 * (`IO error: lock <dir>/LOCK: Resource temporarily unavailable`, `… already held by process`).
 */
export function isLevelLocked(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    if (typeof current !== 'object') return typeof current === 'string' && LOCK_MESSAGE.test(current);
    const { code, message } = current as { code?: unknown; message?: unknown };
    if (code === 'LEVEL_LOCKED') return true;
    if (typeof message === 'string' && LOCK_MESSAGE.test(message)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * Resolve after `ms` milliseconds. The timer keeps the process alive on purpose: a CLI run whose
 * only pending work is a retry must not exit before the store call settles.
 */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => {
    setTimeout(resolve, ms);
  });
}
