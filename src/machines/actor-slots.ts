/**
 * The actor slots of the request machine. The machine is pure: these placeholders only say which
 * implementation is missing. The runtime injects the real ones with
 * `requestMachine.provide({ actors: { … } })` (see `src/runtime/request-actors.ts`), and tests
 * inject controllable ones.
 */
import { fromPromise } from 'xstate';
import type { CliRunOutput, CliTurnRequest, ParsedTurn, SessionBinding } from '../actors/types.js';
import type {
  CallApiInput,
  ParseCliOutputInput,
  PersistSessionInput,
  RecordFailureInput,
  SelectCandidateInput,
  SelectCandidateOutput,
} from './types.js';

function notProvided(name: string): () => Promise<never> {
  return () => Promise.reject(new TypeError(`request machine: actor "${name}" was not provided (use requestMachine.provide)`));
}

/** Actor slots, by name: what each one receives and resolves with. */
export const requestActors = {
  /** Loads the stored CLI session of the candidate . */
  selectCandidate: fromPromise<SelectCandidateOutput, SelectCandidateInput>(notProvided('selectCandidate')),
  /** Calls an API provider through its official SDK (SDK retries off); rejects with the classified failure. */
  callApi: fromPromise<ParsedTurn, CallApiInput>(notProvided('callApi')),
  /** Spawns the CLI backend as a child process and collects its output. */
  runCliTurn: fromPromise<CliRunOutput, CliTurnRequest>(notProvided('runCliTurn')),
  /** Parses the CLI output; rejects with the classified failure. */
  parseCliOutput: fromPromise<ParsedTurn, ParseCliOutputInput>(notProvided('parseCliOutput')),
  /** Stores what a success changes: the CLI session binding, and clears the candidate's cooldown. */
  persistSession: fromPromise<SessionBinding | undefined, PersistSessionInput>(notProvided('persistSession')),
  /** Bookkeeping for a failed attempt: puts the candidate (or its provider) in cooldown. */
  recordFailure: fromPromise<void, RecordFailureInput>(notProvided('recordFailure')),
};
