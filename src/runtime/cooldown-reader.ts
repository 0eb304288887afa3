/**
 * Cooldown reads of concurrent requests, coalesced: requests that start in the same tick share
 * one LevelDB `getMany`, and batches run one after another. So requests resume in the order they
 * asked (a `serialize` lane then sees them in `run()` call order, since LevelDB's worker threads
 * would otherwise complete parallel reads in any order), and a burst costs one read.
 */
import type { CooldownEntry } from '../store/index.js';

/** Reads the entries of `keys` (e.g. `CooldownStore.read`). */
export type ReadCooldowns = (keys: string[], now: number) => Promise<Map<string, CooldownEntry>>;

/** Coalesces concurrent cooldown reads into ordered batches (see the module comment). */
export class CooldownReader {
  readonly #read: () => Promise<ReadCooldowns>;
  #keys = new Set<string>();
  #batch: Promise<Map<string, CooldownEntry>> | undefined;
  #previous: Promise<unknown> = Promise.resolve();

  /** @param read resolves the function that reads from the store (the store is opened lazily). */
  constructor(read: () => Promise<ReadCooldowns>) {
    this.#read = read;
  }

  /**
   * The cooldown entries of `keys` (a map that may hold more keys than asked for: those of the
   * other requests of the batch).
   * @param now epoch ms, passed to the store read (entries past their reset window are left out).
   */
  read(keys: readonly string[], now: number): Promise<Map<string, CooldownEntry>> {
    for (const key of keys) this.#keys.add(key);
    this.#batch ??= this.#startBatch(now);
    return this.#batch;
  }

  #startBatch(now: number): Promise<Map<string, CooldownEntry>> {
    const batch = this.#previous.then(async () => {
      this.#batch = undefined; // requests from here on join the next batch
      const keys = [...this.#keys];
      this.#keys = new Set();
      return (await this.#read())(keys, now);
    });
    this.#previous = batch.catch(() => undefined);
    return batch;
  }
}
