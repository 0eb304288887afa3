/**
 * The runtime's side of request traces: one {@link TraceRecorder} per request, and the best-effort
 * write of its trace to the `traces` sublevel when the request ends (answered, failed or aborted).
 */
import type { ResolvedConfig } from '../config/types.js';
import type { RequestTrace } from '../store/trace-types.js';
import type { TraceStore } from '../store/trace-store.js';
import { configSecrets } from '../inspection/sanitize.js';
import { TraceRecorder, type TraceOutcome } from '../inspection/trace-recorder.js';
import { CoalescedWrites } from './coalesced-writes.js';

/** Stored traces, as read by `safetynet trace`. */
export interface TracesApi {
  /** The newest trace, or `undefined`. */
  last(): Promise<RequestTrace | undefined>;
  /** The traces whose request id is `id` (or starts with it), newest first. */
  find(id: string): Promise<RequestTrace[]>;
  /** The newest `limit` traces (default 20), newest first. */
  list(limit?: number): Promise<RequestTrace[]>;
}

/** Options of {@link RequestTracing}. */
export interface RequestTracingOptions {
  /** The LevelDB folder. */
  location: string;
  /** How long the folder stays open after a write (ms), as the runtime's other stores. */
  idleCloseMs: number;
}

/**
 * Creates the per-request recorders of one runtime and stores their traces, bounded by
 * `config.traces` (`maxCount: 0` turns recording off).
 */
export class RequestTracing {
  readonly #config: Pick<ResolvedConfig, 'traces' | 'providers' | 'backends'>;
  readonly #options: RequestTracingOptions;
  readonly #secrets: string[];
  #store: Promise<TraceStore> | undefined;
  /** Traces finished while a write runs go together in the next LevelDB batch. */
  readonly #writes = new CoalescedWrites<RequestTrace>(async (traces) => (await this.store()).writeMany(traces));

  constructor(config: Pick<ResolvedConfig, 'traces' | 'providers' | 'backends'>, options: RequestTracingOptions) {
    this.#config = config;
    this.#options = options;
    this.#secrets = configSecrets(config);
  }

  /** A recorder for a new request, or `undefined` when traces are off. */
  start(requestId: string, sessionKey: string | null): TraceRecorder | undefined {
    if (this.#config.traces.maxCount === 0) return undefined;
    return new TraceRecorder({ requestId, sessionKey, secrets: this.#secrets });
  }

  /**
   * Finish and store the trace. Never rejects: a failed write is returned as a warning
   * (`the request trace could not be stored: …`), so that it never fails the request. Traces
   * finished while another write runs are stored together with the next write (one batch).
   */
  async save(recorder: TraceRecorder | undefined, outcome: TraceOutcome): Promise<string | undefined> {
    if (recorder === undefined) return undefined;
    try {
      await this.#writes.add(recorder.finish(outcome));
      return undefined;
    } catch (error) {
      return `the request trace could not be stored: ${error instanceof Error ? error.message : String(error)}`;
    }
  }

  /** The trace store (loaded on first use). */
  store(): Promise<TraceStore> {
    this.#store ??= import('../store/trace-store.js').then(
      ({ TraceStore }) =>
        new TraceStore({ location: this.#options.location, idleCloseMs: this.#options.idleCloseMs, ...this.#config.traces }),
    );
    return this.#store;
  }

  /** The read side, for `Runtime.traces`. */
  get api(): TracesApi {
    return {
      last: async () => (await this.store()).last(),
      find: async (id) => (await this.store()).find(id),
      list: async (limit) => (await this.store()).list(limit),
    };
  }

  /** Release the folder if the store was opened. Never rejects. */
  async close(): Promise<void> {
    const store = await this.#store?.catch(() => undefined);
    await store?.close();
  }
}
