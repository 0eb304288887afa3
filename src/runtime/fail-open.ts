/**
 * The fail-open rule of cooldown reads: when the shared store is unavailable
 * (`SAFETYNET_STORE_UNAVAILABLE`, Redis down or slow), a request is routed as if nothing were cooling
 * down, rather than failing: a cooldown only saves a failing attempt, the answer is what counts. Each
 * such read is counted (`safetynet_store_fail_open_total`), and the outage is warned about once,
 * until a read succeeds again. Transcripts and session lanes fail closed instead (the request fails:
 * answering without the conversation, or beside another turn of it, would be wrong).
 * Rationale: `docs/replicas.md#when-redis-is-down`.
 */
import { SafetynetError } from '../errors.js';

/** Counts and warns about the reads that failed open. */
export class FailOpenReads {
  readonly #warn: (message: string) => void;
  #count = 0;
  #warned = false;

  /** @param warn receives one warning per outage (the first read that failed open after a good one). */
  constructor(warn: (message: string) => void) {
    this.#warn = warn;
  }

  /** Reads that failed open so far. */
  get count(): number {
    return this.#count;
  }

  /**
   * `read()`, or `fallback` when it rejects with `SAFETYNET_STORE_UNAVAILABLE`; any other error is
   * passed on (a LevelDB folder locked by another process is not an outage of a shared store).
   */
  async read<T>(read: () => Promise<T>, fallback: T): Promise<T> {
    try {
      const value = await read();
      this.#warned = false;
      return value;
    } catch (error) {
      if (!SafetynetError.is(error) || error.code !== 'SAFETYNET_STORE_UNAVAILABLE') throw error;
      this.#count += 1;
      if (!this.#warned) {
        this.#warned = true;
        this.#warn(`cooldowns cannot be read, routing as if none were in force until the store is back: ${error.message}`);
      }
      return fallback;
    }
  }
}
