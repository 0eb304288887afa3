import { describe, expect, it, vi } from 'vitest';
import { KeyedQueue, QUEUE_FULL_RETRY_AFTER_MS } from '../../../src/actors/cli/queue.js';
import { AttemptError } from '../../../src/errors.js';

function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('KeyedQueue', () => {
  it('runs tasks of one key one at a time, in arrival order', async () => {
    const queue = new KeyedQueue();
    const events: string[] = [];
    const gates = [deferred(), deferred(), deferred()];
    const runs = gates.map((gate, i) =>
      queue.run('k', async () => {
        events.push(`start ${i}`);
        await gate.promise;
        events.push(`end ${i}`);
        return i;
      }),
    );
    await tick();
    expect(events).toEqual(['start 0']);
    expect(queue.waiting('k')).toBe(2);
    gates[2]!.resolve(); // a later task being ready changes nothing
    await tick();
    expect(events).toEqual(['start 0']);
    gates[0]!.resolve();
    gates[1]!.resolve();
    expect(await Promise.all(runs)).toEqual([0, 1, 2]);
    expect(events).toEqual(['start 0', 'end 0', 'start 1', 'end 1', 'start 2', 'end 2']);
  });

  it('waiting tasks go by their order (request arrival), whatever order they reached the queue in', async () => {
    const queue = new KeyedQueue();
    const started: number[] = [];
    const gate = deferred();
    const first = queue.run('k', () => gate.promise, { order: 1 });
    const late = [5, 3, 4, 2].map((order) => queue.run('k', async () => void started.push(order), { order }));
    const unordered = queue.run('k', async () => void started.push(99));
    gate.resolve();
    await Promise.all([first, ...late, unordered]);
    expect(started).toEqual([2, 3, 4, 5, 99]);
  });

  it('runs different keys in parallel', async () => {
    const queue = new KeyedQueue();
    const started: string[] = [];
    const gate = deferred();
    const a = queue.run('a', async () => {
      started.push('a');
      await gate.promise;
    });
    const b = queue.run('b', async () => {
      started.push('b');
      await gate.promise;
    });
    await tick();
    expect(started).toEqual(['a', 'b']);
    gate.resolve();
    await Promise.all([a, b]);
  });

  it('a failed task does not block the next one', async () => {
    const queue = new KeyedQueue();
    const failing = queue.run('k', async () => {
      throw new Error('boom');
    });
    const throwing = queue.run('k', () => {
      throw new Error('sync boom');
    });
    const next = queue.run('k', async () => 'ran');
    await expect(failing).rejects.toThrow('boom');
    await expect(throwing).rejects.toThrow('sync boom');
    expect(await next).toBe('ran');
  });

  it('an abort while waiting removes the waiter and rejects with reason aborted', async () => {
    const queue = new KeyedQueue();
    const gate = deferred();
    const events: string[] = [];
    const first = queue.run('k', async () => {
      events.push('first');
      await gate.promise;
    });
    const controller = new AbortController();
    const second = queue.run(
      'k',
      async () => {
        events.push('second');
      },
      { signal: controller.signal },
    );
    const third = queue.run('k', async () => {
      events.push('third');
    });
    await tick();
    controller.abort();
    const error = await second.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AttemptError);
    expect((error as AttemptError).reason).toBe('aborted');
    expect(queue.waiting('k')).toBe(1);
    gate.resolve();
    await Promise.all([first, third]);
    expect(events).toEqual(['first', 'third']);
  });

  it('an already aborted signal rejects at once without running the task', async () => {
    const queue = new KeyedQueue();
    let ran = false;
    const error = await queue
      .run(
        'k',
        async () => {
          ran = true;
        },
        { signal: AbortSignal.abort() },
      )
      .catch((e: unknown) => e);
    expect((error as AttemptError).reason).toBe('aborted');
    expect([ran, queue.size]).toEqual([false, 0]);
  });

  it('an abort after the task started does not affect the queue', async () => {
    const queue = new KeyedQueue();
    const controller = new AbortController();
    const gate = deferred();
    const run = queue.run(
      'k',
      async () => {
        await gate.promise;
        return 'done';
      },
      { signal: controller.signal },
    );
    await tick();
    controller.abort();
    gate.resolve();
    expect(await run).toBe('done');
  });

  it('keeps no memory for idle keys', async () => {
    const queue = new KeyedQueue();
    await Promise.all([queue.run('a', async () => 1), queue.run('b', async () => 2), queue.run('a', async () => 3)]);
    await queue
      .run('c', async () => {
        throw new Error('x');
      })
      .catch(() => {});
    await tick();
    expect(queue.size).toBe(0);
  });

  it('never runs more than `limit` tasks of a key at once; the others start in order as slots free up', async () => {
    const queue = new KeyedQueue();
    let running = 0;
    let peak = 0;
    const started: number[] = [];
    const gates = Array.from({ length: 7 }, () => deferred());
    const runs = gates.map((gate, i) =>
      queue.run(
        'k',
        async () => {
          started.push(i);
          peak = Math.max(peak, ++running);
          await gate.promise;
          running--;
        },
        { limit: 3 },
      ),
    );
    await tick();
    expect([started, queue.running('k'), queue.waiting('k')]).toEqual([[0, 1, 2], 3, 4]);
    expect(queue.load()).toEqual({ k: { running: 3, waiting: 4 } });
    gates[1]!.resolve();
    await tick();
    expect(started).toEqual([0, 1, 2, 3]);
    for (const gate of gates) gate.resolve();
    await Promise.all(runs);
    expect([peak, started, queue.size]).toEqual([3, [0, 1, 2, 3, 4, 5, 6], 0]);
  });

  it('a task beyond maxWaiting fails at once with queue_full and never starts', async () => {
    const queue = new KeyedQueue();
    const gate = deferred();
    const options = { limit: 2, maxWaiting: 1 };
    const held = [0, 1, 2].map(() => queue.run('k', () => gate.promise, options));
    const task = vi.fn(async () => undefined);
    const error = await queue.run('k', task, options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AttemptError);
    expect((error as AttemptError).reason).toBe('queue_full');
    expect((error as AttemptError).retryAfterMs).toBe(QUEUE_FULL_RETRY_AFTER_MS);
    expect(task).not.toHaveBeenCalled();
    expect([queue.running('k'), queue.waiting('k')]).toEqual([2, 1]);
    // another key is not affected
    expect(await queue.run('other', async () => 'ran', options)).toBe('ran');
    gate.resolve();
    await Promise.all(held);
    expect(queue.size).toBe(0);
  });

  it("once tasks of a busy key have finished, queue_full's Retry-After is their mean duration instead of the default", async () => {
    const queue = new KeyedQueue();
    const options = { limit: 1, maxWaiting: 0 };
    const gate = deferred();
    const slow = queue.run('k', () => gate.promise, { limit: 2 });
    await queue.run('k', () => new Promise((resolve) => setTimeout(resolve, 5)), { limit: 2 });
    await tick();
    const error = (await queue.run('k', async () => undefined, options).catch((e: unknown) => e)) as AttemptError;
    expect(error.reason).toBe('queue_full');
    expect(error.retryAfterMs).toBeGreaterThanOrEqual(1);
    expect(error.retryAfterMs).not.toBe(QUEUE_FULL_RETRY_AFTER_MS);
    gate.resolve();
    await slow;
  });

  it('maxWaiting 0 still runs a task when a slot is free', async () => {
    const queue = new KeyedQueue();
    expect(await queue.run('k', async () => 'ran', { limit: 1, maxWaiting: 0 })).toBe('ran');
  });

  it('an aborted waiter frees its place in a bounded line', async () => {
    const queue = new KeyedQueue();
    const gate = deferred();
    const options = { limit: 1, maxWaiting: 1 };
    const first = queue.run('k', () => gate.promise, options);
    const controller = new AbortController();
    const waiting = queue.run('k', async () => 'never', { ...options, signal: controller.signal });
    controller.abort();
    expect(((await waiting.catch((e: unknown) => e)) as AttemptError).reason).toBe('aborted');
    const next = queue.run('k', async () => 'ran', options);
    gate.resolve();
    await first;
    expect(await next).toBe('ran');
  });

  it('a task still waiting after maxWaitMs leaves the line with queue_full, and the line moves on without it', async () => {
    const queue = new KeyedQueue();
    const gate = deferred();
    const first = queue.run('k', () => gate.promise, { limit: 1 });
    const task = vi.fn(async () => undefined);
    const error = (await queue.run('k', task, { limit: 1, maxWaitMs: 20 }).catch((e: unknown) => e)) as AttemptError;
    expect(error.reason).toBe('queue_full');
    expect(error.message).toMatch(/no free slot within 20 ms/);
    expect([queue.waiting('k'), task.mock.calls.length]).toEqual([0, 0]);
    const next = queue.run('k', async () => 'next', { limit: 1, maxWaitMs: 60_000 });
    gate.resolve();
    await first;
    expect(await next).toBe('next');
    await tick();
    expect(queue.size).toBe(0);
  });
});
