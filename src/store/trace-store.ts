/**
 * Request traces in the `traces` sublevel of the shared LevelDB state folder, keyed by a
 * time-sortable id (`<endedAt, 13 digits>-<requestId>`), so that the newest trace is one reverse
 * range scan of one entry. Bounded by count and age: every write prunes, so the folder never grows
 * without limit. Every use of the folder (a read or a write) first moves in the traces that other
 * processes journaled beside it without opening it (`./trace-journal.ts`).
 */
import { DEFAULT_TRACE_MAX_AGE_MS, DEFAULT_TRACE_MAX_COUNT } from '../config/trace-defaults.js';
import { requireText } from './arguments.js';
import { stateHandle } from './state-folder.js';
import type { LevelHandle, JsonSublevel, LevelHandleOptions } from './level/handle.js';
import type { TraceStorage } from './ports.js';
import { isTrace, requestIdOf, requireLimit, requireTraces, traceBound, traceKey, type TraceBounds } from './trace-record.js';
import type { RequestTrace } from './trace-types.js';
import { readTraceJournal, removeJournaled } from './trace-journal.js';

/** Name of the sublevel holding traces (keys are prefixed `!traces!`). */
export const TRACES_SUBLEVEL = 'traces';
export { DEFAULT_TRACE_MAX_AGE_MS, DEFAULT_TRACE_MAX_COUNT } from '../config/trace-defaults.js';
export { traceKey, type TraceBounds } from './trace-record.js';

/** Options of {@link TraceStore}. */
export interface TraceStoreOptions extends LevelHandleOptions, TraceBounds {
  /** The LevelDB folder (the same folder as the sessions). @default defaultStoreLocation() */
  location?: string;
  /** Use this handle instead of creating one; `location` and handle options are then ignored. */
  handle?: LevelHandle;
}

/**
 * Request traces in LevelDB. Every call opens the shared folder on demand and releases it
 * afterwards (see {@link LevelHandle}).
 *
 * Errors: bad options throw `TypeError`; storage problems throw `StoreError`
 * (`SAFETYNET_STORE_LOCKED` after the lock retry budget, `SAFETYNET_STORE_FAILED` otherwise).
 * Stored values that are not traces are skipped.
 *
 * @example
 * const traces = new TraceStore({ maxCount: 100 });
 * await traces.write(trace);
 * const newest = await traces.last();
 */
export class TraceStore implements TraceStorage {
  /** The absolute LevelDB folder. */
  readonly location: string;
  /** Newest traces kept. */
  readonly maxCount: number;
  /** Maximum age in ms. */
  readonly maxAgeMs: number;
  readonly #handle: LevelHandle;
  /**
   * How many traces are stored, counted once per open cycle of the folder (the sublevel object is
   * new in every cycle), then kept up to date: no other process can write while the folder is open.
   */
  #counted: { sublevel: object; count: number } | undefined;
  /**
   * The last write or read, settled: they run one after another, so that each prune reads the count
   * and keys the previous writes left (concurrent writes used to lose count updates and let the
   * store grow past `maxCount`), and a journal entry is moved in once.
   */
  #lastWrite: Promise<unknown> = Promise.resolve();

  /** @throws {TypeError} when a bound is negative or not a number, or a handle option is out of range. */
  constructor(options: TraceStoreOptions = {}) {
    const { maxCount, maxAgeMs, ...handleOptions } = options;
    this.maxCount = traceBound('maxCount', maxCount, DEFAULT_TRACE_MAX_COUNT);
    this.maxAgeMs = traceBound('maxAgeMs', maxAgeMs, DEFAULT_TRACE_MAX_AGE_MS);
    this.#handle = stateHandle(handleOptions);
    this.location = this.#handle.location;
  }

  /**
   * Store a trace, then prune: traces that ended more than `maxAgeMs` before `now` and all but the
   * newest `maxCount` are removed, in the same batch. With `maxCount: 0` nothing is stored.
   *
   * @param now epoch ms the age is measured at. @default Date.now()
   * @returns how many traces were pruned.
   * @throws {TypeError} when `trace` is not a RequestTrace.
   */
  async write(trace: RequestTrace, now: number = Date.now()): Promise<number> {
    return this.writeMany([trace], now);
  }

  /**
   * Store several traces in one LevelDB batch with one prune (a burst of requests costs one range
   * scan and one write instead of one per trace). The result is that of writing them one after
   * another at `now`: traces already expired at `now` are not stored, older stored traces are
   * pruned first, and the traces of the batch itself are dropped (oldest key first) only when the
   * batch alone holds more than `maxCount`. Writing the same key twice keeps the last value.
   * Concurrent calls (and {@link write}) run one after another.
   *
   * @param now epoch ms the age is measured at. @default Date.now()
   * @returns how many traces were pruned (stored ones removed, and traces of the batch not stored
   *   because of the count bound).
   * @throws {TypeError} when an element is not a RequestTrace.
   */
  async writeMany(batch: readonly RequestTrace[], now: number = Date.now()): Promise<number> {
    requireTraces(batch);
    if (this.maxCount === 0 || batch.length === 0) return 0;
    return this.#serially(() => this.#traces((traces) => this.#store(traces, batch, now)));
  }

  /** Run `fn` after the writes started before it (and before the writes started after it). */
  #serially<T>(fn: () => Promise<T>): Promise<T> {
    const running = this.#lastWrite.then(fn);
    this.#lastWrite = running.catch(() => undefined);
    return running;
  }

  /**
   * Store `batch` and the journaled traces (`./trace-journal.ts`) in one batch with one prune, then
   * remove the journal entries it stored. Runs inside one use of the folder: no other process moves
   * the same entries in meanwhile.
   */
  async #store(traces: JsonSublevel<unknown>, batch: readonly RequestTrace[], now: number): Promise<number> {
    const journaled = await readTraceJournal(this.location);
    const all = journaled.traces.length > 0 ? [...journaled.traces, ...batch] : batch;
    const pruned = this.maxCount === 0 || all.length === 0 ? 0 : await this.#putAndPrune(traces, all, now);
    await removeJournaled(journaled.files);
    return pruned;
  }

  async #putAndPrune(traces: JsonSublevel<unknown>, batch: readonly RequestTrace[], now: number): Promise<number> {
    const oldest = traceKey({ endedAt: now - this.maxAgeMs, requestId: '' });
    const puts = new Map<string, RequestTrace>();
    for (const trace of batch) if (trace.endedAt >= now - this.maxAgeMs) puts.set(traceKey(trace), trace);
    const own = new Set(batch.map(traceKey));
    // Pruning reads only what it removes: the expired range (one seek when empty) and, when the
    // count kept for this open cycle passes maxCount, the surplus oldest keys.
    const expired = (await traces.keys({ lt: oldest }).all()).filter((k) => !own.has(k));
    const count = (await this.#countAtOpen(traces)) - expired.length + puts.size;
    const over = Math.max(0, count - this.maxCount);
    const surplus =
      over > 0 ? (await traces.keys({ gte: oldest, limit: over + own.size }).all()).filter((k) => !own.has(k)).slice(0, over) : [];
    // Only a batch larger than maxCount drops some of its own traces: the oldest keys.
    const dropped = [...puts.keys()].sort().slice(0, over - surplus.length);
    for (const key of dropped) puts.delete(key);
    const removed = [...expired, ...surplus];
    await traces.batch([
      ...[...puts].map(([key, value]) => ({ type: 'put' as const, key, value })),
      ...removed.map((k) => ({ type: 'del' as const, key: k })),
    ]);
    this.#counted = { sublevel: traces, count: count - surplus.length - dropped.length };
    return removed.length + dropped.length;
  }

  /** The number of stored traces: counted on the first write of an open cycle, then remembered. */
  async #countAtOpen(traces: { keys(options?: object): { all(): Promise<string[]> } }): Promise<number> {
    if (this.#counted?.sublevel === traces) return this.#counted.count;
    return (await traces.keys().all()).length;
  }

  /** The newest trace (by `endedAt`), or `undefined` when none is stored. Usually a one-entry reverse scan. */
  async last(): Promise<RequestTrace | undefined> {
    return this.#read(async (traces) => {
      for await (const value of traces.values({ reverse: true })) if (isTrace(value)) return value;
      return undefined;
    });
  }

  /**
   * The traces whose request id is `id`, or (when none is) starts with `id`, newest first. One entry
   * for a full id; several when a prefix is ambiguous; none when nothing matches.
   */
  async find(id: string): Promise<RequestTrace[]> {
    requireText('id', id);
    return this.#read(async (traces) => {
      const keys = await traces.keys({ reverse: true }).all();
      const exact = keys.filter((key) => requestIdOf(key) === id);
      const matches = exact.length > 0 ? exact : keys.filter((key) => requestIdOf(key).startsWith(id));
      if (matches.length === 0) return [];
      return (await traces.getMany(matches)).filter(isTrace);
    });
  }

  /** The newest `limit` traces (default 20), newest first. */
  async list(limit = 20): Promise<RequestTrace[]> {
    requireLimit(limit);
    return (await this.#read((traces) => traces.values({ reverse: true, limit }).all())).filter(isTrace);
  }

  /** How many traces are stored. */
  async count(): Promise<number> {
    return (await this.#read((traces) => traces.keys().all())).length;
  }

  /** Release the folder now (or when running calls end); later calls reopen it. Never rejects. */
  async close(): Promise<void> {
    await this.#handle.close();
  }

  /** Run `fn` on the traces sublevel (a write, or a read after the journal was moved in). */
  #traces<T>(fn: (traces: JsonSublevel<unknown>) => Promise<T>): Promise<T> {
    return this.#handle.useSublevel<unknown, T>(TRACES_SUBLEVEL, fn);
  }

  /** Run the read `fn` after the writes started before it, once the journaled traces were stored. */
  #read<T>(fn: (traces: JsonSublevel<unknown>) => Promise<T>): Promise<T> {
    return this.#serially(() =>
      this.#traces(async (traces) => {
        await this.#store(traces, [], Date.now());
        return fn(traces);
      }),
    );
  }
}
