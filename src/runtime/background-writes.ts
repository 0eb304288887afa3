/**
 * Store writes that run off the request's path (traces, cooldowns): a request does not wait for
 * them, but whoever needs their result (the next request's cooldown read, the trace readers,
 * `close()`) waits with {@link BackgroundWrites.settled}. A failed write goes to `onFailure`.
 */
export class BackgroundWrites {
  readonly #pending = new Set<Promise<void>>();
  readonly #onFailure: (what: string, error: unknown) => void;

  /** @param onFailure receives what failed (the `what` of {@link run}) and the error, for each failed write. */
  constructor(onFailure: (what: string, error: unknown) => void) {
    this.#onFailure = onFailure;
  }

  /** How many writes are still running. */
  get size(): number {
    return this.#pending.size;
  }

  /** Start `write` now; a rejection goes to `onFailure(what, error)`. */
  run(write: () => Promise<unknown>, what: string): void {
    const writing: Promise<void> = write().then(
      () => undefined,
      (error: unknown) => this.#onFailure(what, error),
    );
    this.#pending.add(writing);
    void writing.finally(() => this.#pending.delete(writing));
  }

  /** Resolves when every write started so far has settled. Never rejects. */
  async settled(): Promise<void> {
    if (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }
}
