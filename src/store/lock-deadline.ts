/**
 * How long a store operation may wait for a lock held by another process (a LevelDB folder's `LOCK`
 * file), set by whoever knows: a request bounds the waits of its store calls by its own deadline, and
 * an optional store call (a cooldown read that fails open, a trace write) by a short wait.
 *
 * The bound travels with the async context (`AsyncLocalStorage`), so the store ports need no
 * deadline parameter: every store call started inside {@link withLockDeadline}, however deep, sees it.
 * Outside of one, a store uses its own budget (`LockRetryOptions.budgetMs`, 5 s by default).
 * Rationale: `docs/sessions.md#a-sick-state-folder`.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const deadlines = new AsyncLocalStorage<number>();

/**
 * Run `fn` with lock waits bounded to `waitMs` from now, or by the enclosing bound when it ends
 * sooner (a bound never extends an outer one).
 *
 * @param waitMs the longest wait, in ms (≥ 0; `0` tries once; `Infinity` leaves the enclosing bound,
 *   or none, in force).
 * @returns what `fn` returns.
 * @throws {TypeError} when `waitMs` is NaN or negative.
 */
export function withLockDeadline<T>(waitMs: number, fn: () => T): T {
  if (Number.isNaN(waitMs) || waitMs < 0) throw new TypeError(`withLockDeadline: waitMs must be a number of ms ≥ 0, got ${waitMs}`);
  const outer = deadlines.getStore();
  const own = performance.now() + waitMs;
  const deadline = outer === undefined ? own : Math.min(outer, own);
  return Number.isFinite(deadline) ? deadlines.run(deadline, fn) : fn();
}

/**
 * The lock deadline in force in this async context, as a `performance.now()` timestamp (ms), or
 * `undefined` when none was set (the store's own budget applies).
 */
export function lockDeadline(): number | undefined {
  return deadlines.getStore();
}
