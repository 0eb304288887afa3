/**
 * The real implementations of the request machine's actor slots, built once per runtime from its
 * dependencies (session store, CLI runner, parser) and injected with `requestMachine.provide`.
 */
import { fromPromise } from 'xstate';
import { parseCliRun } from '../actors/parse/index.js';
import type { CliRunOutput, CliTurnRequest, ParsedTurn, SessionBinding } from '../actors/types.js';
import { AttemptError } from '../errors.js';
import type {
  ParseCliOutputInput,
  PersistSessionInput,
  RecordFailureInput,
  SelectCandidateInput,
  SelectCandidateOutput,
} from '../machines/types.js';
import type { SessionStore } from '../store/index.js';

/** What the request actors need from the runtime. */
export interface RequestActorDeps {
  /** Opens the session store on first use (nothing is opened for one-shot requests). */
  store: () => Promise<SessionStore>;
  /** Runs one CLI turn (plan, spawn, collect); resolves with the raw output. */
  runTurn: (input: CliTurnRequest, signal: AbortSignal) => Promise<CliRunOutput>;
}

/** Build the actor implementations for `requestMachine.provide({ actors })`. */
export function createRequestActors(deps: RequestActorDeps) {
  return {
    selectCandidate: fromPromise<SelectCandidateOutput, SelectCandidateInput>(async ({ input }) => {
      const { backend } = input.candidate;
      if (input.sessionKey === null || backend === undefined || backend.sessionMode === 'none') return { binding: undefined };
      return { binding: await (await deps.store()).get(input.sessionKey, backend.id) };
    }),
    runCliTurn: fromPromise<CliRunOutput, CliTurnRequest>(({ input, signal }) => deps.runTurn(input, signal)),
    parseCliOutput: fromPromise<ParsedTurn, ParseCliOutputInput>(async ({ input }) => {
      const parsed = parseCliRun(input.run, input.backend);
      if (parsed.ok) return parsed.turn;
      const { reason, message, ...details } = parsed.failure;
      throw new AttemptError(reason, message, details);
    }),
    persistSession: fromPromise<SessionBinding, PersistSessionInput>(async ({ input }) => (await deps.store()).recordSuccess(input)),
    recordFailure: fromPromise<void, RecordFailureInput>(async () => undefined),
  };
}
