/**
 * A process-local queue that runs at most `limit` tasks at a time per key, the others waiting in a
 * bounded line in arrival order, with different keys in parallel. Every CLI turn goes through it
 * (one key per backend id: `serialize: true` is a limit of 1, `maxConcurrent` any other limit, and
 * `maxQueue` bounds the line), and so does the in-process part of a session lane (limit 1).
 *
 * Rationale: `docs/sessions.md#serialize-lanes` (like the reference's `KeyedAsyncQueue`: strictly
 * serial per key, a failed task does not block the next one) and `docs/sessions.md#backend-slots`
 * (a full line fails at once instead of piling up processes).
 */
import { AttemptError } from '../../errors.js';

/**
 * The Retry-After of a `queue_full` failure before any task of the busy key has finished, in ms
 * (afterwards: the mean duration of the tasks finished since the key was last idle).
 */
export const QUEUE_FULL_RETRY_AFTER_MS = 1000;

interface Waiter {
  start: () => void;
  /** Position in line: lower goes first; ties keep arrival order. */
  order: number;
}

interface Lane {
  /** Tasks started and not settled yet. */
  running: number;
  /** The waiting tasks, sorted by `order`. */
  waiting: Waiter[];
  /** Tasks that may run at once (the latest caller's limit). */
  limit: number;
  /** Tasks settled since the lane was created, and their total duration (ms): the Retry-After estimate. */
  finished: number;
  finishedMs: number;
}

/** Options of {@link KeyedQueue.run}. */
export interface QueueRunOptions {
  /** Aborting it while the task still waits removes it from the line. Once started, the task itself must watch the signal. */
  signal?: AbortSignal | undefined;
  /**
   * The task's place in line among waiting tasks (lower first; ties keep arrival order). The runtime
   * passes each request's arrival number, so that requests keep the order of their `run()` calls even
   * when their earlier steps (store reads) finish out of order.
   * @default arrival at this queue
   */
  order?: number | undefined;
  /** Tasks of this key that may run at once (a positive integer or `Infinity`). @default 1 */
  limit?: number | undefined;
  /** Tasks of this key that may wait; one more fails at once with `queue_full`. @default Infinity */
  maxWaiting?: number | undefined;
  /** Longest wait for a slot, in ms; a task still waiting then leaves the line with `queue_full`. @default no limit */
  maxWaitMs?: number | undefined;
}

/** Running and waiting tasks of one key. */
export interface QueueLoad {
  running: number;
  waiting: number;
}

/**
 * Per-key bounded task queue (a keyed semaphore with a bounded FIFO line).
 *
 * @example
 * const queue = new KeyedQueue();
 * await queue.run('claude-cli', () => runCliProcess(plan), { signal, limit: 2, maxWaiting: 32 });
 */
export class KeyedQueue {
  /** Keys with a running or waiting task. A key is deleted as soon as it has neither. */
  readonly #lanes = new Map<string, Lane>();

  /** Number of keys with a running or waiting task (idle keys keep no memory). */
  get size(): number {
    return this.#lanes.size;
  }

  /** Number of tasks waiting (not running) for `key`. */
  waiting(key: string): number {
    return this.#lanes.get(key)?.waiting.length ?? 0;
  }

  /** Number of tasks running for `key`. */
  running(key: string): number {
    return this.#lanes.get(key)?.running ?? 0;
  }

  /** Running and waiting tasks of every busy key (idle keys are absent). A fresh object each call. */
  load(): Record<string, QueueLoad> {
    const load: Record<string, QueueLoad> = {};
    for (const [key, lane] of this.#lanes) load[key] = { running: lane.running, waiting: lane.waiting.length };
    return load;
  }

  /**
   * Run `task` once `key` has a free slot and every task ahead of it in line has started.
   *
   * @param key - lane; tasks of different keys never wait for each other.
   * @param task - started when a slot is free; its result or rejection is passed through, and a
   *   rejection frees the slot like a result.
   * @throws {AttemptError} reason `aborted` when `options.signal` is (or becomes) aborted before the
   *   task started; reason `queue_full` (nothing started, `retryAfterMs` set: the mean duration of
   *   the key's tasks finished while it was busy, else {@link QUEUE_FULL_RETRY_AFTER_MS}) when all
   *   slots are taken and `maxWaiting` tasks already wait, or when the task waited `maxWaitMs`.
   */
  run<T>(key: string, task: () => Promise<T>, options: QueueRunOptions = {}): Promise<T> {
    const { signal, order = Number.POSITIVE_INFINITY, limit = 1, maxWaiting = Number.POSITIVE_INFINITY, maxWaitMs } = options;
    return new Promise<T>((resolve, reject) => {
      if (signal?.aborted) {
        reject(abortedError(key));
        return;
      }
      const lane = this.#lanes.get(key) ?? { running: 0, waiting: [], limit, finished: 0, finishedMs: 0 };
      const free = lane.running < limit && lane.waiting.length === 0;
      if (!free && lane.waiting.length >= maxWaiting) {
        reject(queueFullError(key, lane, `${lane.waiting.length} waiting (maxQueue ${maxWaiting})`));
        return;
      }
      lane.limit = limit;
      this.#lanes.set(key, lane);
      let timer: NodeJS.Timeout | undefined;
      const start = (): void => {
        signal?.removeEventListener('abort', onAbort);
        clearTimeout(timer);
        lane.running++;
        const startedAt = performance.now();
        new Promise<T>((inner) => inner(task()))
          .then(resolve, reject)
          .finally(() => this.#settled(key, lane, performance.now() - startedAt));
      };
      /** Leave the line without starting (aborted, or waited too long). */
      const leave = (error: AttemptError): void => {
        const index = lane.waiting.findIndex((waiter) => waiter.start === start);
        if (index < 0) return;
        signal?.removeEventListener('abort', onAbort);
        clearTimeout(timer);
        lane.waiting.splice(index, 1);
        this.#drop(key, lane);
        reject(error);
      };
      const onAbort = (): void => leave(abortedError(key));
      if (free) {
        start();
        return;
      }
      const waiter: Waiter = { start, order };
      // After every waiter of lower or equal order: ties keep arrival order.
      const before = lane.waiting.findIndex((other) => other.order > waiter.order);
      lane.waiting.splice(before < 0 ? lane.waiting.length : before, 0, waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
      if (maxWaitMs !== undefined) {
        timer = setTimeout(() => leave(queueFullError(key, lane, `no free slot within ${maxWaitMs} ms`)), maxWaitMs);
      }
    });
  }

  #settled(key: string, lane: Lane, durationMs: number): void {
    lane.running--;
    lane.finished++;
    lane.finishedMs += durationMs;
    while (lane.running < lane.limit && lane.waiting.length > 0) lane.waiting.shift()?.start();
    this.#drop(key, lane);
  }

  /** Forget an idle lane (nothing running, nothing waiting). */
  #drop(key: string, lane: Lane): void {
    if (lane.running === 0 && lane.waiting.length === 0 && this.#lanes.get(key) === lane) this.#lanes.delete(key);
  }
}

function abortedError(key: string): AttemptError {
  return new AttemptError('aborted', `aborted while waiting for a free "${key}" slot`);
}

/** `queue_full`: `why` says what is full; the Retry-After is the lane's mean task duration so far, else the default. */
function queueFullError(key: string, lane: Lane, why: string): AttemptError {
  const retryAfterMs = lane.finished === 0 ? QUEUE_FULL_RETRY_AFTER_MS : Math.max(1, Math.round(lane.finishedMs / lane.finished));
  return new AttemptError(
    'queue_full',
    `"${key}" has ${lane.running} turns running (maxConcurrent ${lane.limit}), ${why}; nothing was started`,
    {
      retryAfterMs,
    },
  );
}
