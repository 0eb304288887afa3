/**
 * A process-local queue that runs tasks one at a time per key, in arrival order, with different keys
 * in parallel. Used for `serialize: true` backends (one lane per backend id).
 *
 * Rationale: `docs/sessions.md#serialize-lanes` (like the reference's `KeyedAsyncQueue`: strictly
 * serial per key, a failed task does not block the next one).
 */
import { AttemptError } from '../../errors.js';

interface Waiter {
  start: () => void;
  /** Position in line: lower goes first; ties keep arrival order. */
  order: number;
}

interface Lane {
  /** The waiting tasks, sorted by `order`. */
  waiting: Waiter[];
}

/**
 * Per-key FIFO task queue.
 *
 * @example
 * const queue = new KeyedQueue();
 * await queue.run('claude-cli', () => runCliProcess(plan), signal);
 */
export class KeyedQueue {
  /** Keys with a running task. A key is deleted as soon as it has nothing running or waiting. */
  readonly #lanes = new Map<string, Lane>();

  /** Number of keys with a running or waiting task (idle keys keep no memory). */
  get size(): number {
    return this.#lanes.size;
  }

  /** Number of tasks waiting (not running) for `key`. */
  waiting(key: string): number {
    return this.#lanes.get(key)?.waiting.length ?? 0;
  }

  /**
   * Run `task` once every earlier task of `key` has settled.
   *
   * @param key - lane; tasks of different keys run in parallel.
   * @param task - started when the lane is free; its result or rejection is passed through, and a
   *   rejection does not block the next task.
   * @param signal - aborting it while the task is still waiting removes it from the lane. Once
   *   started, the task itself must watch the signal.
   * @param order - the task's place in line among waiting tasks (lower first; default: arrival at
   *   this queue). The runtime passes each request's arrival number, so that requests keep the
   *   order of their `run()` calls even when their earlier steps (store reads) finish out of order.
   * @throws {AttemptError} reason `aborted` when `signal` is (or becomes) aborted before the task
   *   started.
   */
  run<T>(key: string, task: () => Promise<T>, signal?: AbortSignal, order = Number.POSITIVE_INFINITY): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (signal?.aborted) {
        reject(abortedError(key));
        return;
      }
      const start = (): void => {
        signal?.removeEventListener('abort', onAbort);
        new Promise<T>((inner) => inner(task())).then(resolve, reject).finally(() => this.#next(key));
      };
      const onAbort = (): void => {
        const lane = this.#lanes.get(key);
        const index = lane?.waiting.findIndex((waiter) => waiter.start === start) ?? -1;
        if (lane === undefined || index < 0) return;
        lane.waiting.splice(index, 1);
        reject(abortedError(key));
      };
      const lane = this.#lanes.get(key);
      if (lane === undefined) {
        this.#lanes.set(key, { waiting: [] });
        start();
      } else {
        const waiter: Waiter = { start, order };
        // After every waiter of lower or equal order: ties keep arrival order.
        const before = lane.waiting.findIndex((other) => other.order > waiter.order);
        lane.waiting.splice(before < 0 ? lane.waiting.length : before, 0, waiter);
        signal?.addEventListener('abort', onAbort, { once: true });
      }
    });
  }

  #next(key: string): void {
    const lane = this.#lanes.get(key);
    const next = lane?.waiting.shift();
    if (next === undefined) this.#lanes.delete(key);
    else next.start();
  }
}

function abortedError(key: string): AttemptError {
  return new AttemptError('aborted', `aborted while waiting for the "${key}" queue (serialize: true)`);
}
