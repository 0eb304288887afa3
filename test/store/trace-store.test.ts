/**
 * TraceStore on a real LevelDB in a temp folder: time-sortable keys, `last` as a one-entry reverse
 * scan, lookup by id or prefix, and the count and age bounds applied on every write.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LevelHandle, TRACES_SUBLEVEL, TraceStore, traceKey, type RequestTrace, type TraceStoreOptions } from '../../src/store/index.js';
import { cleanup, tempFolder } from './support.js';

afterEach(cleanup);

const DAY = 24 * 60 * 60 * 1000;
const T0 = 1_700_000_000_000;

function trace(requestId: string, endedAt: number): RequestTrace {
  return {
    version: 1,
    requestId,
    startedAt: endedAt - 10,
    endedAt,
    durationMs: 10,
    status: 'answered',
    sessionKey: null,
    session: null,
    steps: [],
    attempts: [],
  };
}

async function newStore(options: TraceStoreOptions = {}): Promise<TraceStore> {
  return new TraceStore({ location: path.join(await tempFolder(), 'state'), ...options });
}

describe('TraceStore', () => {
  it('keys sort by end time: 13 zero-padded digits, then the request id', () => {
    expect(traceKey({ endedAt: 5, requestId: 'abc' })).toBe('0000000000005-abc');
    expect(traceKey({ endedAt: T0 + 1, requestId: 'a' }) > traceKey({ endedAt: T0, requestId: 'zzz' })).toBe(true);
  });

  it('last() is the newest by end time, whatever the write order; list() is newest first', async () => {
    const store = await newStore();
    expect(await store.last()).toBeUndefined();
    await store.write(trace('middle', T0 + 2), T0 + 3);
    await store.write(trace('newest', T0 + 3), T0 + 3);
    await store.write(trace('oldest', T0 + 1), T0 + 3);
    expect((await store.last())?.requestId).toBe('newest');
    expect((await store.list()).map((t) => t.requestId)).toEqual(['newest', 'middle', 'oldest']);
    expect((await store.list(2)).map((t) => t.requestId)).toEqual(['newest', 'middle']);
    expect(await store.count()).toBe(3);
  });

  it('find() takes a full request id, or a unique prefix; an ambiguous prefix finds several', async () => {
    const store = await newStore();
    await store.write(trace('abc-123', T0), T0);
    await store.write(trace('abd-456', T0 + 1), T0 + 1);
    await store.write(trace('abc', T0 + 2), T0 + 2);
    expect((await store.find('abd')).map((t) => t.requestId)).toEqual(['abd-456']);
    expect((await store.find('abc')).map((t) => t.requestId)).toEqual(['abc']); // exact wins over prefix
    expect((await store.find('ab')).map((t) => t.requestId)).toEqual(['abc', 'abd-456', 'abc-123']);
    expect(await store.find('nope')).toEqual([]);
    await expect(store.find('')).rejects.toThrow(TypeError);
  });

  it('keeps the newest maxCount traces: every write prunes the rest', async () => {
    const store = await newStore({ maxCount: 3 });
    for (let i = 0; i < 6; i++) await store.write(trace(`r${i}`, T0 + i), T0 + i);
    expect((await store.list(10)).map((t) => t.requestId)).toEqual(['r5', 'r4', 'r3']);
    // a write reports how many it pruned
    expect(await store.write(trace('r6', T0 + 6), T0 + 6)).toBe(1);
  });

  it('the count bound holds while the folder stays open across writes (the count is kept, not rescanned)', async () => {
    const store = await newStore({ maxCount: 5, idleCloseMs: 60_000 });
    for (let i = 0; i < 40; i++) await store.write(trace(`r${i}`, T0 + i), T0 + i);
    expect(await store.count()).toBe(5);
    expect((await store.list(10)).map((t) => t.requestId)).toEqual(['r39', 'r38', 'r37', 'r36', 'r35']);
    await store.close();
    await store.write(trace('after-reopen', T0 + 100), T0 + 100);
    expect(await store.count()).toBe(5);
    await store.close();
  });

  it('removes traces older than maxAgeMs on the next write, and never stores an already expired one', async () => {
    const store = await newStore({ maxAgeMs: 7 * DAY });
    await store.write(trace('old', T0), T0);
    await store.write(trace('recent', T0 + 6 * DAY), T0 + 6 * DAY);
    expect(await store.count()).toBe(2);
    await store.write(trace('today', T0 + 8 * DAY), T0 + 8 * DAY);
    expect((await store.list()).map((t) => t.requestId)).toEqual(['today', 'recent']);
    await store.write(trace('ancient', T0), T0 + 8 * DAY);
    expect((await store.list()).map((t) => t.requestId)).toEqual(['today', 'recent']);
  });

  it('the count bound holds for concurrent writes (each prune sees the writes before it)', async () => {
    const store = await newStore({ maxCount: 5, idleCloseMs: 60_000 });
    await store.write(trace('first', T0), T0);
    await Promise.all(Array.from({ length: 40 }, (_, i) => store.write(trace(`r${i}`, T0 + 1 + i), T0 + 1 + i)));
    expect(await store.count()).toBe(5);
    expect((await store.list(10)).map((t) => t.requestId)).toEqual(['r39', 'r38', 'r37', 'r36', 'r35']);
    await store.close();
  });

  it('writeMany stores a burst in one batch with the bounds of writing it trace by trace', async () => {
    const store = await newStore({ maxCount: 4, maxAgeMs: 7 * DAY, idleCloseMs: 60_000 });
    await store.writeMany([trace('s0', T0), trace('s1', T0 + 1), trace('s2', T0 + 2)], T0 + 2);
    // s0 expires, s1 is the oldest surplus, 'late' is already expired at now and never stored
    const now = T0 + 7 * DAY + 1;
    const pruned = await store.writeMany([trace('b0', now - 2), trace('late', T0), trace('b1', now - 1), trace('b2', now)], now);
    expect(pruned).toBe(2);
    expect((await store.list(10)).map((t) => t.requestId)).toEqual(['b2', 'b1', 'b0', 's2']);
    // a batch larger than maxCount keeps its newest traces
    expect(
      await store.writeMany(
        [1, 2, 3, 4, 5].map((i) => trace(`c${i}`, now + i)),
        now + 5,
      ),
    ).toBe(5);
    expect((await store.list(10)).map((t) => t.requestId)).toEqual(['c5', 'c4', 'c3', 'c2']);
    expect(await store.count()).toBe(4);
    await store.close();
  });

  it('maxCount 0 stores nothing', async () => {
    const store = await newStore({ maxCount: 0 });
    expect(await store.write(trace('x', T0), T0)).toBe(0);
    expect(await store.count()).toBe(0);
  });

  it('shares the folder with the other stores (sublevel "traces") and skips values that are not traces', async () => {
    const location = path.join(await tempFolder(), 'state');
    const handle = new LevelHandle(location);
    const store = new TraceStore({ handle });
    await store.write(trace('good', T0), T0);
    await handle.useSublevel<unknown, void>(TRACES_SUBLEVEL, (sub) => sub.put('9999999999999-junk', { not: 'a trace' }));
    expect((await store.last())?.requestId).toBe('good'); // the newest value is junk: skipped
    expect((await store.list()).map((t) => t.requestId)).toEqual(['good']);
  });

  it('rejects bad bounds and bad traces with a TypeError naming them', async () => {
    expect(() => new TraceStore({ location: '/tmp/x', maxCount: -1 })).toThrow(/maxCount/);
    expect(() => new TraceStore({ location: '/tmp/x', maxAgeMs: Number.NaN })).toThrow(/maxAgeMs/);
    const store = await newStore();
    await expect(store.write({ requestId: 'x' } as unknown as RequestTrace)).rejects.toThrow(TypeError);
  });
});
