/**
 * The CLI turns of one runtime: every turn goes through the runtime's backend slots (one
 * `KeyedQueue` lane per backend id, bounded by `maxConcurrent` and `maxQueue`), and each request
 * remembers its turns so that it can wait for their processes to end before it returns.
 *
 * Rationale: `docs/sessions.md#backend-slots`.
 */
import { KeyedQueue } from '../actors/cli/queue.js';
import { executeCliTurnRequest, type RunCliTurnDeps } from '../actors/cli/turn.js';
import type { CliRunOutput, CliTurnRequest } from '../actors/types.js';

/** Running and waiting CLI turns of one backend. */
export interface CliBackendStats {
  /** Turns holding a slot: their process is starting, running or being read. */
  running: number;
  /** Turns waiting for a slot (at most the backend's `maxQueue`). */
  waiting: number;
}

/** A snapshot of a runtime's CLI turns (see `Runtime.cliStats`). */
export interface CliStats extends CliBackendStats {
  /** Per backend id; only backends with a running or waiting turn are listed. */
  byBackend: Record<string, CliBackendStats>;
}

/** The CLI turns of one runtime, with their backend slots. */
export class CliTurns {
  /** The backend slots: one lane per backend id. */
  readonly #slots = new KeyedQueue();
  /** The turns of each running request, by request id. */
  readonly #turns = new Map<string, Set<Promise<unknown>>>();

  /**
   * Run one CLI turn in its backend's slots, remembering it under its request id.
   *
   * @param deps - the turn's place in line, its event sink, its text sink and its crash-record folder
   *   (`order`, `onEvent`, `onText`, `runDir`).
   * @throws {AttemptError} as {@link executeCliTurnRequest} (`queue_full` when the backend's line is full).
   */
  run(
    input: CliTurnRequest,
    signal: AbortSignal,
    deps: Pick<RunCliTurnDeps, 'order' | 'onEvent' | 'onText' | 'runDir'>,
  ): Promise<CliRunOutput> {
    const running = executeCliTurnRequest(input, signal, { ...deps, queue: this.#slots });
    const key = input.requestId ?? '';
    const turns = this.#turns.get(key) ?? new Set();
    turns.add(running);
    this.#turns.set(key, turns);
    return running;
  }

  /** A child process never outlives its request: resolves once every turn of `requestId` settled. Never rejects. */
  async ended(requestId: string): Promise<void> {
    const turns = this.#turns.get(requestId);
    if (turns === undefined) return;
    await Promise.allSettled([...turns]);
    this.#turns.delete(requestId);
  }

  /** Running and waiting turns, in total and per busy backend. A fresh object each call. */
  stats(): CliStats {
    const byBackend = this.#slots.load();
    const all = Object.values(byBackend);
    return {
      running: all.reduce((sum, backend) => sum + backend.running, 0),
      waiting: all.reduce((sum, backend) => sum + backend.waiting, 0),
      byBackend,
    };
  }
}
