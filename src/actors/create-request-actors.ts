/**
 * The real implementations of the request machine's actor slots, built once per runtime from its
 * dependencies (session store, cooldown store, CLI runner, API caller, parser) and injected with
 * `requestMachine.provide`.
 */
import { fromPromise } from 'xstate';
import { parseCliRun } from './cli/parse/index.js';
import { isDirectory } from './cli/turn.js';
import { streamedAnswer } from './cli/stream-text.js';
import type { CommitBinding, CommitTurnInput, CommitTurnResult } from '../store/commit-input.js';
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

/** What the request actors need of the session store (`SessionStore`). */
export interface SessionsPort {
  get(sessionKey: string, backendId: string): Promise<SessionBinding | undefined>;
  /** Writes the transcript turns and the CLI session binding in one batch. */
  commitTurn(input: CommitTurnInput): Promise<Pick<CommitTurnResult, 'binding'>>;
}

/** The binding of a commit: the session to persist without its key (the commit names the key). */
function withoutKey({ sessionKey: _sessionKey, ...binding }: SessionToPersist): CommitBinding {
  return binding;
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
  /** The clock a failure's cooldown starts at, epoch ms (taken when the attempt failed). @default Date.now */
  now?: () => number;
  /**
   * This host's identity (`safetynet.store.hostId`): a stored CLI session created on another host
   * counts as none, so the conversation is reseeded here instead of resuming an id this host cannot
   * resume. Bindings without a host (stored before hosts were recorded) count as this host's.
   * @default undefined — every binding counts as this host's
   */
  hostId?: string | undefined;
}

/** Whether a binding created on `host` can be resumed on `hostId` (an unrecorded host or id counts as the same). */
function isThisHost(host: string | undefined, hostId: string | undefined): boolean {
  return host === undefined || hostId === undefined || host === hostId;
}

/** Build the actor implementations for `requestMachine.provide({ actors })`. */
export function createRequestActors(deps: RequestActorDeps) {
  return {
    // A session created on another host, or whose working directory is gone, cannot resume
    // (`docs/replicas.md#cli-sessions-and-hosts`, `docs/sessions.md#working-directory`): it counts as none.
    loadSession: fromPromise<LoadSessionOutput, LoadSessionInput>(async ({ input }) => {
      const { cli } = input.candidate;
      if (input.sessionKey === null || cli === undefined || cli.sessionMode === 'none') return { binding: undefined };
      const binding = await (await deps.sessions()).get(input.sessionKey, cli.id);
      if (binding === undefined || !isThisHost(binding.host, deps.hostId)) return { binding: undefined };
      return { binding: (await isDirectory(binding.cwd)) ? binding : undefined };
    }),
    callApi: fromPromise<ParsedTurn, CallApiInput>(async ({ input, signal }) => {
      const turn = await deps.callApi(input, signal);
      return { text: turn.text, sessionId: undefined, usage: turn.usage };
    }),
    runCliTurn: fromPromise<CliRunOutput, CliTurnRequest>(({ input, signal }) => deps.runTurn(input, signal)),
    parseCliOutput: fromPromise<ParsedTurn, ParseCliOutputInput>(async ({ input }) => {
      const parsed = parseCliRun(input.run, input.backend);
      const { streamedText } = input.run;
      if (parsed.ok)
        return streamedText === undefined ? parsed.turn : { ...parsed.turn, text: streamedAnswer(parsed.turn.text, streamedText) };
      const { reason, message, ...details } = parsed.failure;
      // Part of the answer was streamed while the CLI ran: no fallback after it.
      throw new AttemptError(reason, message, { ...details, outputSent: streamedText !== undefined });
    }),
    // The transcript turns and the binding go in one batch: a failed write changes neither.
    recordSuccess: fromPromise<SessionBinding | undefined, RecordSuccessInput>(async ({ input }) => {
      if (input.clearCooldown !== undefined) await (await deps.cooldowns()).recordSuccess(input.clearCooldown);
      if (input.transcript === undefined) return undefined;
      const { session } = input;
      const commit = session === undefined ? input.transcript : { ...input.transcript, binding: withoutKey(session) };
      return (await (await deps.sessions()).commitTurn(commit)).binding;
    }),
    // The cooldown write does not hold up the next candidate: failover stays within milliseconds.
    recordFailure: fromPromise<void, RecordFailureInput>(async ({ input }) => {
      if (input.failure.reason === 'aborted') return;
      const { candidate, failure } = input;
      const now = (deps.now ?? Date.now)();
      deps.inBackground(async () =>
        (await deps.cooldowns()).recordFailure({ ref: candidate.ref, provider: candidate.provider, failure, now }),
      );
    }),
  };
}
