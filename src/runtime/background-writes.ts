/**
 * Store writes that run off the request's path (traces, cooldowns): a request does not wait for
 * them, but whoever needs their result (the next request's cooldown read, the trace readers,
 * `close()`) waits with {@link BackgroundWrites.settled}. A failed write becomes a warning.
 */
export class BackgroundWrites {
  readonly #pending = new Set<Promise<void>>();
  readonly #onWarning: (message: string) => void;

  /** @param onWarning receives `<what>: <error message>` for each failed write. */
  constructor(onWarning: (message: string) => void) {
    this.#onWarning = onWarning;
  }

  /** How many writes are still running. */
  get size(): number {
    return this.#pending.size;
  }

  /** Start `write` now; a rejection becomes the warning `<what>: <message>`. */
  run(write: () => Promise<unknown>, what: string): void {
    const writing: Promise<void> = write().then(
      () => undefined,
      (error: unknown) => this.#onWarning(`${what}: ${error instanceof Error ? error.message : String(error)}`),
    );
    this.#pending.add(writing);
    void writing.finally(() => this.#pending.delete(writing));
  }

  /** Resolves when every write started so far has settled. Never rejects. */
  async settled(): Promise<void> {
    if (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }
}
