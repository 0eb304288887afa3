/**
 * In-process mutual exclusion per string key, for read-modify-write sequences on a shared
 * database. Across processes the LevelDB lock already serializes: a process holds the folder for
 * the whole of one operation.
 */

/**
 * Runs tasks one after another per key, in call order; different keys run concurrently. Holds no
 * memory for idle keys.
 *
 * @example
 * const mutex = new KeyedMutex();
 * await mutex.run('a', async () => { const v = await read(); await write(v + 1); });
 */
export class KeyedMutex {
  readonly #tails = new Map<string, Promise<void>>();

  /** Number of keys with a running or queued task (diagnostics, tests). */
  get size(): number {
    return this.#tails.size;
  }

  /**
   * Run `task` once every earlier task of `key` has settled.
   *
   * @returns what `task` resolves to; its rejection is passed on and does not block later tasks.
   */
  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key);
    let release!: () => void;
    const tail = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.#tails.set(key, tail);
    try {
      if (previous !== undefined) await previous;
      return await task();
    } finally {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
      release();
    }
  }
}
