/**
 * How the request machine builds its initial context, each invoked actor's input, and its output.
 * Named functions, so that the machine definition holds names only.
 */
import type { CliTurnRequest } from '../actors/types.js';
import type {
  CallApiInput,
  Candidate,
  ParseCliOutputInput,
  PersistSessionInput,
  RecordFailureInput,
  RequestContext,
  RequestInput,
  RequestOutput,
  SelectCandidateInput,
} from './types.js';

type Args = { context: RequestContext };

function candidate(context: RequestContext): Candidate {
  const current = context.candidates[context.index];
  if (current === undefined) throw new RangeError(`request machine: no candidate at index ${context.index}`);
  return current;
}

function backendOf(context: RequestContext) {
  const { backend } = candidate(context);
  if (backend === undefined) throw new TypeError(`request machine: candidate ${candidate(context).ref} has no CLI backend`);
  return backend;
}

/** Initial context from the machine input. */
export function requestContext({ input }: { input: RequestInput }): RequestContext {
  if (input.candidates.length === 0) throw new TypeError('request machine: input.candidates must hold at least one candidate');
  return {
    requestId: input.requestId,
    candidates: input.candidates,
    sessionKey: input.sessionKey,
    attemptTimeoutMs: input.attemptTimeoutMs,
    request: input.request,
    index: 0,
    attempts: [],
    binding: undefined,
    forceNewSession: false,
    sessionRetried: false,
    attemptStartedAt: 0,
    run: undefined,
    turn: undefined,
    failure: undefined,
    persistWarning: undefined,
    notices: [],
  };
}

/** Input of `selectCandidate`. */
export function selectCandidateInput({ context }: Args): SelectCandidateInput {
  return { candidate: candidate(context), sessionKey: context.sessionKey };
}

/** Input of `runCliTurn`: the backend, the model, the request and the stored session. */
export function runCliTurnInput({ context }: Args): CliTurnRequest {
  const { model } = candidate(context);
  return {
    backend: backendOf(context),
    model,
    prompt: context.request.prompt,
    systemPrompt: context.request.systemPrompt,
    images: context.request.images,
    binding: context.binding,
    forceNewSession: context.forceNewSession,
    cwd: context.request.cwd,
    timeoutMs: context.attemptTimeoutMs,
    requestId: context.requestId,
  };
}

/** Input of `callApi`: the provider, the model and the request. */
export function callApiInput({ context }: Args): CallApiInput {
  const { api, model, ref } = candidate(context);
  if (api === undefined) throw new TypeError(`request machine: candidate ${ref} has no API provider`);
  return {
    provider: api,
    model,
    prompt: context.request.prompt,
    systemPrompt: context.request.systemPrompt,
    images: context.request.images,
    timeoutMs: context.attemptTimeoutMs,
  };
}

/** Input of `parseCliOutput`. */
export function parseCliOutputInput({ context }: Args): ParseCliOutputInput {
  if (context.run === undefined) throw new TypeError('request machine: parsing without a CLI run');
  return { run: context.run, backend: backendOf(context) };
}

/**
 * Input of `persistSession`: the CLI session to store (the parsed session id and the cwd the CLI
 * ran in) when there is one, and the cooldown to clear when the candidate had one.
 */
export function persistSessionInput({ context }: Args): PersistSessionInput {
  const current = candidate(context);
  const { sessionKey, turn, run } = context;
  const keepsSession =
    sessionKey !== null &&
    current.backend !== undefined &&
    current.backend.sessionMode !== 'none' &&
    turn?.sessionId !== undefined &&
    run !== undefined;
  return {
    session: keepsSession
      ? { sessionKey, backendId: current.backend!.id, cliSessionId: turn!.sessionId!, cwd: run!.plan.cwd, model: current.ref }
      : undefined,
    clearCooldown: current.hadCooldown ? { ref: current.ref, provider: current.provider } : undefined,
  };
}

/** Input of `recordFailure`. */
export function recordFailureInput({ context }: Args): RecordFailureInput {
  return { candidate: candidate(context), failure: context.failure ?? { reason: 'unknown', message: 'the attempt failed' } };
}

/** Output when the machine reaches a final state. */
export function requestOutput({ context }: Args): RequestOutput {
  if (context.failure?.reason === 'aborted') return { status: 'aborted', attempts: context.attempts };
  if (context.turn !== undefined) {
    const current = candidate(context);
    return {
      status: 'answered',
      text: context.turn.text,
      model: current.ref,
      backend: current.api !== undefined ? 'api' : 'cli',
      cliSessionId: context.turn.sessionId ?? null,
      usage: context.turn.usage,
      attempts: context.attempts,
      persistWarning: context.persistWarning,
    };
  }
  return { status: 'failed', attempts: context.attempts, failure: context.failure };
}
