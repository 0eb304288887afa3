/**
 * The fail-open rule of cooldown reads: when the store cannot be used ({@link FAIL_OPEN_CODES}:
 * Redis down or slow, a LevelDB folder locked by another process past the read's short wait, damaged,
 * read-only or not creatable), a request is routed as if nothing were cooling down, rather than failing: a cooldown only saves a failing attempt, the answer is what counts. Each
 * such read is counted (`safetynet_store_fail_open_total`), and an outage (Redis down, a folder kept
 * locked) is warned about once, until a read succeeds again (a damaged folder, each time): the background writes that fail for the same outage (traces,
 * cooldowns) are not warned about one by one either. Transcripts and session lanes fail closed instead (the request fails:
 * answering without the conversation, or beside another turn of it, would be wrong).
 * Rationale: `docs/replicas.md#when-redis-is-down`.
 */
import { SafetynetError } from '../errors.js';

/**
 * The store error codes a cooldown read fails open on:
 * `SAFETYNET_STORE_UNAVAILABLE` (Redis unreachable or slow), `SAFETYNET_STORE_LOCKED` (a LevelDB
 * folder another process kept locked) and `SAFETYNET_STORE_FAILED` (a LevelDB folder that is damaged,
 * read-only or cannot be created). Not `SAFETYNET_TRANSCRIPT_CONFLICT` (a write race, never a read's),
 * nor any other error (a bug must surface).
 */
export const FAIL_OPEN_CODES: ReadonlySet<string> = new Set([
  'SAFETYNET_STORE_UNAVAILABLE',
  'SAFETYNET_STORE_LOCKED',
  'SAFETYNET_STORE_FAILED',
]);

/**
 * The codes of an outage, warned about once until a read succeeds again: the store cannot be reached
 * for now (Redis down, the folder kept locked). A `SAFETYNET_STORE_FAILED` (a damaged or read-only
 * folder) is warned about each time: it lasts until someone repairs it.
 */
const OUTAGE_CODES: ReadonlySet<string> = new Set(['SAFETYNET_STORE_UNAVAILABLE', 'SAFETYNET_STORE_LOCKED']);

function hasCode(codes: ReadonlySet<string>, error: unknown): boolean {
  return SafetynetError.is(error) && codes.has(error.code);
}

/** Counts and warns about the reads that failed open, and about the other store failures of an outage once. */
export class StoreOutage {
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
   * `read()`, or `fallback` when it rejects with one of {@link FAIL_OPEN_CODES}; any other error is
   * passed on.
   */
  async read<T>(read: () => Promise<T>, fallback: T): Promise<T> {
    try {
      const value = await read();
      this.#warned = false;
      return value;
    } catch (error) {
      if (!hasCode(FAIL_OPEN_CODES, error)) throw error;
      this.#count += 1;
      this.failed('cooldowns cannot be read, routing as if none were in force until the store is back', error);
      return fallback;
    }
  }

  /**
   * A store operation failed (a background write): warns `<what>: <message>`, except for a second
   * and later failure of one outage (`SAFETYNET_STORE_UNAVAILABLE` or `SAFETYNET_STORE_LOCKED`,
   * already warned about).
   */
  failed(what: string, error: unknown): void {
    const unavailable = hasCode(OUTAGE_CODES, error);
    if (unavailable && this.#warned) return;
    if (unavailable) this.#warned = true;
    this.#warn(`${what}: ${error instanceof Error ? error.message : String(error)}`);
  }
}
