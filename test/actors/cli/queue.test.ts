import { describe, expect, it } from 'vitest';
import { KeyedQueue } from '../../../src/actors/cli/queue.js';
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
    const first = queue.run('k', () => gate.promise, undefined, 1);
    const late = [5, 3, 4, 2].map((order) => queue.run('k', async () => void started.push(order), undefined, order));
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
      controller.signal,
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
        AbortSignal.abort(),
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
      controller.signal,
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
});
