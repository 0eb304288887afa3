/**
 * TraceStore on a real LevelDB in a temp folder, the LevelDB-only rules: time-sortable keys, the
 * count kept across an open cycle of the folder, the shared folder. The rules every backend shares
 * are in compliance/trace-storage.ts.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LevelHandle, TRACES_SUBLEVEL, TraceStore, traceKey, type TraceStoreOptions } from '../../src/store/index.js';
import { T0, trace } from './compliance/trace-storage.js';
import { cleanup, tempFolder } from './support.js';

afterEach(cleanup);

async function newStore(options: TraceStoreOptions = {}): Promise<TraceStore> {
  return new TraceStore({ location: path.join(await tempFolder(), 'state'), ...options });
}

describe('TraceStore', () => {
  it('keys sort by end time: 13 zero-padded digits, then the request id', () => {
    expect(traceKey({ endedAt: 5, requestId: 'abc' })).toBe('0000000000005-abc');
    expect(traceKey({ endedAt: T0 + 1, requestId: 'a' }) > traceKey({ endedAt: T0, requestId: 'zzz' })).toBe(true);
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

  it('shares the folder with the other stores (sublevel "traces") and skips values that are not traces', async () => {
    const location = path.join(await tempFolder(), 'state');
    const handle = new LevelHandle(location);
    const store = new TraceStore({ handle });
    await store.write(trace('good', T0), T0);
    await handle.useSublevel<unknown, void>(TRACES_SUBLEVEL, (sub) => sub.put('9999999999999-junk', { not: 'a trace' }));
    expect((await store.last())?.requestId).toBe('good'); // the newest value is junk: skipped
    expect((await store.list()).map((t) => t.requestId)).toEqual(['good']);
  });
});
