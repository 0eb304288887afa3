/**
 * Writes that arrive while one is running are coalesced: the first item is written at once, and
 * the items that arrive meanwhile wait for it, then go together in the next write. Under load a
 * burst of N requests costs about two writes (e.g. one LevelDB batch of N traces) instead of N;
 * an idle runtime still writes each item right away.
 */

/** Writes a group of items at once (e.g. `TraceStore.writeMany`). */
export type WriteGroup<T> = (items: T[]) => Promise<unknown>;

/** Coalesces concurrent writes into groups (see the module comment). */
export class CoalescedWrites<T> {
  readonly #write: WriteGroup<T>;
  readonly #maxGroup: number;
  #queue: { item: T; resolve: () => void; reject: (error: unknown) => void }[] = [];
  #running = false;

  /**
   * @param write writes one group; its rejection rejects the `add` of every item of the group.
   * @param maxGroup most items in one write. @default 256
   */
  constructor(write: WriteGroup<T>, maxGroup = 256) {
    this.#write = write;
    this.#maxGroup = maxGroup;
  }

  /** Write `item` (now, or with the next group). Resolves once its group was written; rejects with the group's error. */
  add(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      if (!this.#running) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#running = true;
    while (this.#queue.length > 0) {
      const group = this.#queue.splice(0, this.#maxGroup);
      try {
        await this.#write(group.map((entry) => entry.item));
        for (const entry of group) entry.resolve();
      } catch (error) {
        for (const entry of group) entry.reject(error);
      }
    }
    this.#running = false;
  }
}
