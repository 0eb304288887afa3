/**
 * The real implementations of the request machine's actor slots, built once per runtime from its
 * dependencies (session store, cooldown store, CLI runner, API caller, parser) and injected with
 * `requestMachine.provide`.
 */
import { fromPromise } from 'xstate';
import { parseCliRun } from './cli/parse/index.js';
import type { CliRunOutput, CliTurnRequest, ParsedTurn, SessionBinding, Usage } from './types.js';
import { AttemptError } from '../errors.js';
import type { RecordCooldownFailureInput, RecordCooldownSuccessInput } from '../store/cooldown-store.js';
import type { ApiCallInput as CallApiInput } from './api/types.js';
import type {
  LoadSessionInput,
  LoadSessionOutput,
  ParseCliOutputInput,
  RecordFailureInput,
  RecordSuccessInput,
  SessionToPersist,
} from './types.js';

/** What the request actors need of the session store. */
export interface SessionsPort {
  get(sessionKey: string, backendId: string): Promise<SessionBinding | undefined>;
  recordSuccess(input: SessionToPersist): Promise<SessionBinding>;
}

/** What the request actors need of the cooldown store. */
export interface CooldownsPort {
  recordFailure(input: RecordCooldownFailureInput): Promise<unknown>;
  recordSuccess(input: RecordCooldownSuccessInput): Promise<void>;
}

/** What the request actors need from the runtime. */
export interface RequestActorDeps {
  /** The session store, opened on first use (one-shot requests never open it). */
  sessions: () => Promise<SessionsPort>;
  /** The cooldown store, opened on first use. */
  cooldowns: () => Promise<CooldownsPort>;
  /** Runs one CLI turn (plan, spawn, collect); resolves with the raw output. */
  runTurn: (input: CliTurnRequest, signal: AbortSignal) => Promise<CliRunOutput>;
  /** Calls an API provider; rejects with an `AttemptError`. */
  callApi: (input: CallApiInput, signal: AbortSignal) => Promise<{ text: string; usage: Usage | undefined }>;
  /** Runs a store write off the request's path (the runtime waits for it on close). */
  inBackground: (write: () => Promise<unknown>) => void;
}

/** Build the actor implementations for `requestMachine.provide({ actors })`. */
export function createRequestActors(deps: RequestActorDeps) {
  return {
    loadSession: fromPromise<LoadSessionOutput, LoadSessionInput>(async ({ input }) => {
      const { cli } = input.candidate;
      if (input.sessionKey === null || cli === undefined || cli.sessionMode === 'none') return { binding: undefined };
      return { binding: await (await deps.sessions()).get(input.sessionKey, cli.id) };
    }),
    callApi: fromPromise<ParsedTurn, CallApiInput>(async ({ input, signal }) => {
      const turn = await deps.callApi(input, signal);
      return { text: turn.text, sessionId: undefined, usage: turn.usage };
    }),
    runCliTurn: fromPromise<CliRunOutput, CliTurnRequest>(({ input, signal }) => deps.runTurn(input, signal)),
    parseCliOutput: fromPromise<ParsedTurn, ParseCliOutputInput>(async ({ input }) => {
      const parsed = parseCliRun(input.run, input.backend);
      if (parsed.ok) return parsed.turn;
      const { reason, message, ...details } = parsed.failure;
      throw new AttemptError(reason, message, details);
    }),
    recordSuccess: fromPromise<SessionBinding | undefined, RecordSuccessInput>(async ({ input }) => {
      if (input.clearCooldown !== undefined) await (await deps.cooldowns()).recordSuccess(input.clearCooldown);
      return input.session === undefined ? undefined : (await deps.sessions()).recordSuccess(input.session);
    }),
    // The cooldown write does not hold up the next candidate: failover stays within milliseconds.
    recordFailure: fromPromise<void, RecordFailureInput>(async ({ input }) => {
      if (input.failure.reason === 'aborted') return;
      const { candidate, failure } = input;
      deps.inBackground(async () => (await deps.cooldowns()).recordFailure({ ref: candidate.ref, provider: candidate.provider, failure }));
    }),
  };
}
