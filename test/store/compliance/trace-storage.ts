/**
 * The backend-independent rules of a `TraceStorage` (the semantics of the LevelDB `TraceStore`),
 * run on every backend by `test/store/trace-storage.compliance.test.ts`. Backend-only rules (the
 * folder's open cycles, replicas and TTLs) stay with their backend's tests.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { TraceBounds } from '../../../src/store/index.js';
import type { TraceStorage } from '../../../src/store/ports.js';
import type { RequestTrace } from '../../../src/store/trace-types.js';

/** A fresh, empty store of one backend with `bounds`, and what removes it. */
export interface OpenedTraceStorage {
  store: TraceStorage;
  cleanup(): Promise<void>;
}

export const DAY = 24 * 60 * 60 * 1000;
export const T0 = 1_700_000_000_000;

/** A minimal trace of `requestId` that ended at `endedAt`. */
export function trace(requestId: string, endedAt: number): RequestTrace {
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

/**
 * Registers the compliance tests of `name`; `open(bounds)` gives a fresh, empty store with those
 * bounds per call (and throws the store's `TypeError` for bad bounds).
 */
export function traceStorageSuite(name: string, open: (bounds?: TraceBounds) => Promise<OpenedTraceStorage>): void {
  describe(name, () => suite(open));
}

function suite(open: (bounds?: TraceBounds) => Promise<OpenedTraceStorage>): void {
  let opened: OpenedTraceStorage[] = [];
  afterEach(async () => {
    await Promise.all(opened.map((o) => o.cleanup()));
    opened = [];
  });
  async function newStore(bounds: TraceBounds = {}): Promise<TraceStorage> {
    const o = await open(bounds);
    opened.push(o);
    return o.store;
  }

  describe('TraceStorage', () => {
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
      await expect(store.list(0)).rejects.toThrow(/`limit`/);
    });

    it('a trace keeps every field it was written with', async () => {
      const store = await newStore();
      const full: RequestTrace = {
        ...trace('full', T0),
        model: 'anthropic/claude-opus-4-6',
        sessionKey: 'chat-1',
        session: { sessionKey: 'chat-1', backendId: 'claude-cli', cliSessionId: 'abc', resumed: true },
        steps: [{ state: 'spawning-cli', atMs: 1, candidate: 'claude-cli/opus-4.6' }],
        attempts: [
          {
            index: 1,
            model: 'claude-cli/opus-4.6',
            backend: 'cli',
            provider: 'claude-cli',
            ok: true,
            startedAtMs: 1,
            endedAtMs: 9,
            durationMs: 8,
          },
        ],
        warnings: ['ünïcödé ✓'],
      };
      await store.write(full, T0);
      expect(await store.last()).toEqual(full);
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
      const store = await newStore({ maxCount: 5 });
      await store.write(trace('first', T0), T0);
      await Promise.all(Array.from({ length: 40 }, (_, i) => store.write(trace(`r${i}`, T0 + 1 + i), T0 + 1 + i)));
      expect(await store.count()).toBe(5);
      expect((await store.list(10)).map((t) => t.requestId)).toEqual(['r39', 'r38', 'r37', 'r36', 'r35']);
      await store.close();
    });

    it('writeMany stores a burst in one batch with the bounds of writing it trace by trace', async () => {
      const store = await newStore({ maxCount: 4, maxAgeMs: 7 * DAY });
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
      expect(await store.writeMany([], now + 5)).toBe(0);
      await store.close();
    });

    it('writing the same trace twice keeps one, with the last value', async () => {
      const store = await newStore();
      await store.write({ ...trace('same', T0), status: 'failed' }, T0);
      await store.writeMany([trace('same', T0), { ...trace('same', T0), durationMs: 99 }], T0);
      expect(await store.count()).toBe(1);
      expect(await store.find('same')).toEqual([{ ...trace('same', T0), durationMs: 99 }]);
    });

    it('maxCount 0 stores nothing', async () => {
      const store = await newStore({ maxCount: 0 });
      expect(await store.write(trace('x', T0), T0)).toBe(0);
      expect(await store.count()).toBe(0);
      expect(store.maxCount).toBe(0);
    });

    it('reports its bounds, with the defaults of TraceStore', async () => {
      const store = await newStore();
      expect([store.maxCount, store.maxAgeMs]).toEqual([500, 7 * DAY]);
    });

    it('rejects bad bounds and bad traces with a TypeError naming them', async () => {
      await expect(open({ maxCount: -1 })).rejects.toThrow(/maxCount/);
      await expect(open({ maxAgeMs: Number.NaN })).rejects.toThrow(/maxAgeMs/);
      const store = await newStore();
      await expect(store.write({ requestId: 'x' } as unknown as RequestTrace)).rejects.toThrow(TypeError);
    });
  });
}
