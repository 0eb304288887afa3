/**
 * The runtime's side of request traces: one {@link TraceRecorder} per request, and the best-effort
 * write of its trace to the `traces` sublevel when the request ends (answered, failed or aborted).
 */
import type { ResolvedConfig } from '../config/types.js';
import type { RequestTrace } from '../store/trace-types.js';
import type { TraceStorage } from '../store/ports.js';
import { configSecrets } from '../inspection/sanitize.js';
import { TraceRecorder, type TraceOutcome } from '../inspection/trace-recorder.js';
import { CoalescedWrites, type WriteGroup } from './coalesced-writes.js';

/** Stored traces, as read by `safetynet trace`. */
export interface TracesApi {
  /** The newest trace, or `undefined`. */
  last(): Promise<RequestTrace | undefined>;
  /** The traces whose request id is `id` (or starts with it), newest first. */
  find(id: string): Promise<RequestTrace[]>;
  /** The newest `limit` traces (default 20), newest first. */
  list(limit?: number): Promise<RequestTrace[]>;
}

/** The trace store of the runtime's state stores, opened on first use. */
export type OpenTraces = () => Promise<TraceStorage>;

/**
 * Creates the per-request recorders of one runtime and stores their traces, bounded by
 * `config.traces` (`maxCount: 0` turns recording off).
 */
export class RequestTracing {
  readonly #config: Pick<ResolvedConfig, 'traces' | 'providers' | 'backends'>;
  readonly #store: OpenTraces;
  readonly #secrets: string[];
  /** Traces finished while a write runs go together in the next store batch. */
  readonly #writes: CoalescedWrites<RequestTrace>;

  /**
   * @param store the trace store, for the readers.
   * @param write stores a group of finished traces (`RuntimeState.saveTraces`: the journal or the store).
   */
  constructor(config: Pick<ResolvedConfig, 'traces' | 'providers' | 'backends'>, store: OpenTraces, write: WriteGroup<RequestTrace>) {
    this.#config = config;
    this.#store = store;
    this.#writes = new CoalescedWrites(write);
    this.#secrets = configSecrets(config);
  }

  /** A recorder for a new request, or `undefined` when traces are off. */
  start(requestId: string, sessionKey: string | null): TraceRecorder | undefined {
    if (this.#config.traces.maxCount === 0) return undefined;
    return new TraceRecorder({ requestId, sessionKey, secrets: this.#secrets });
  }

  /**
   * Finish and store the trace. Traces finished while another write runs are stored together with
   * the next write (one batch).
   * @param endedAt When the request ended, epoch ms (the write may start later). @default Date.now()
   * @throws {StoreError} when the trace store cannot be written (the runtime turns it into a warning).
   */
  async save(recorder: TraceRecorder | undefined, outcome: TraceOutcome, endedAt: number = Date.now()): Promise<void> {
    if (recorder === undefined) return;
    await this.#writes.add(recorder.finish(outcome, endedAt));
  }

  /** The trace store (opened on first use). */
  store(): Promise<TraceStorage> {
    return this.#store();
  }

  /** The read side, for `Runtime.traces`. */
  get api(): TracesApi {
    return {
      last: async () => (await this.store()).last(),
      find: async (id) => (await this.store()).find(id),
      list: async (limit) => (await this.store()).list(limit),
    };
  }
}
