/**
 * The pure helpers of the request machine (`request-machine.ts`): its initial context, each invoked
 * actor's input, the entries of the attempt log, and its output. They read the context only; the
 * machine names them in `createMachine` and in its actions.
 */
import type { ResolvedCliBackend } from '../config/types.js';
import type {
  CliTurnRequest,
  LoadSessionInput,
  ParseCliOutputInput,
  RecordFailureInput,
  RecordSuccessInput,
  SessionBinding,
  TranscriptCommit,
} from '../actors/types.js';
import type { AttemptFailure, Continuation } from '../errors.js';
import { sessionSync, type SessionSync } from '../conversation/continuation.js';
import { clampRetryAfter } from '../failover/cooldown-policy.js';
import { exchangeTurns, turnsToWrite } from '../conversation/exchange.js';
import type { Attempt, CallApiInput, Candidate, RequestContext, RequestInput, RequestOutput } from './types.js';

type Args = { context: RequestContext };

/**
 * The candidate being tried.
 * @throws RangeError when `context.index` is past the last candidate (a machine bug).
 */
export function currentCandidate(context: RequestContext): Candidate {
  const current = context.candidates[context.index];
  if (current === undefined) throw new RangeError(`request machine: no candidate at index ${context.index}`);
  return current;
}

function cliOf(context: RequestContext): ResolvedCliBackend {
  const { cli, ref } = currentCandidate(context);
  if (cli === undefined) throw new TypeError(`request machine: candidate ${ref} has no CLI backend`);
  return cli;
}

/**
 * The answer of the current candidate binds a CLI session to keep: a session key is set, the
 * candidate is a CLI backend that keeps sessions (`sessionMode` ≠ `none`), and the turn reported a
 * non-empty session id.
 */
export function keepsCliSession(context: RequestContext, sessionId: string | null | undefined): boolean {
  const cli = context.candidates[context.index]?.cli;
  return (
    context.sessionKey !== null && cli !== undefined && cli.sessionMode !== 'none' && typeof sessionId === 'string' && sessionId !== ''
  );
}

/**
 * How a loaded CLI session binding stands to the request's conversation
 * (`docs/conversations.md#continuation`); `none` when the current candidate is not a CLI backend,
 * so that a binding loaded for any other candidate never leads to `spawning-cli`.
 */
export function bindingSync(context: RequestContext, binding: SessionBinding | undefined): SessionSync {
  if (context.candidates[context.index]?.cli === undefined) return 'none';
  return sessionSync(binding, context.conversation);
}

/** The conversation has earlier turns (a new CLI session is reseeded with them). */
export function hasHistory(context: RequestContext): boolean {
  return context.conversation.turns.length > 0;
}

/** The continuation of a new CLI session: `reseed` with the history, `new` without. */
export function freshContinuation(context: RequestContext): Continuation {
  return hasHistory(context) ? 'reseed' : 'new';
}

/**
 * Part of the failed attempt's answer already reached the caller (`AttemptFailure.outputSent`): no
 * fallback and no retry after it (`docs/failover-policy.md#no-fallback-after-streamed-output`).
 */
export function outputSent(failure: AttemptFailure | undefined): boolean {
  return failure?.outputSent === true;
}

/**
 * The candidate was skipped for a cooldown (its skip reason is the cooldown's; a candidate skipped
 * for the config, reason `config`, never is: `config` cools nothing down).
 */
export function skippedForCooldown(candidate: Candidate | undefined): boolean {
  return candidate?.skip !== undefined && candidate.skip.reason !== 'config';
}

/**
 * The candidate the current one is skipped as: its skip mark, except in the last resort, where the
 * candidate is tried although it cools down (`RequestContext.lastResort`).
 */
export function skipOf(context: RequestContext): Candidate['skip'] {
  return context.lastResort ? undefined : context.candidates[context.index]?.skip;
}

/**
 * The index of the candidate the last resort tries next: the first candidate skipped for a cooldown
 * (after the current one once the last resort runs), or -1 when none is left.
 */
export function lastResortIndex(context: RequestContext): number {
  const from = context.lastResort ? context.index + 1 : 0;
  const found = context.candidates.slice(from).findIndex(skippedForCooldown);
  return found === -1 ? -1 : from + found;
}

/** The current CLI attempt continues the stored session (resume or catch-up). */
export function continuesSession(context: RequestContext): boolean {
  return context.continuation === 'resume' || context.continuation === 'catch-up';
}

/**
 * Initial context from the machine input.
 * @throws TypeError when `input.candidates` is empty.
 */
export function initialContext({ input }: { input: RequestInput }): RequestContext {
  if (input.candidates.length === 0) throw new TypeError('request machine: input.candidates must hold at least one candidate');
  return {
    requestId: input.requestId,
    candidates: input.candidates,
    sessionKey: input.sessionKey,
    attemptTimeoutMs: input.attemptTimeoutMs,
    request: input.request,
    conversation: input.conversation,
    historyChars: input.historyChars,
    index: 0,
    lastResort: false,
    attempts: [],
    binding: undefined,
    forceNewSession: false,
    sessionRetried: false,
    continuation: undefined,
    attemptStartedAt: 0,
    run: undefined,
    turn: undefined,
    failure: undefined,
    persistWarning: undefined,
    notices: [],
  };
}

/** Input of `loadSession`: the candidate and the caller's session key. */
export function loadSessionInput({ context }: Args): LoadSessionInput {
  return { candidate: currentCandidate(context), sessionKey: context.sessionKey };
}

/**
 * Input of `runCliTurn`: the CLI backend, the model, the request, the stored session and the
 * conversation. A reseed or a new session ignores the stored session (`forceNewSession`).
 */
export function runCliTurnInput({ context }: Args): CliTurnRequest {
  return {
    backend: cliOf(context),
    model: currentCandidate(context).model,
    prompt: context.request.prompt,
    systemPrompt: context.request.systemPrompt,
    images: context.request.images,
    binding: context.binding,
    forceNewSession: context.forceNewSession || !continuesSession(context),
    cwd: context.request.cwd,
    timeoutMs: context.attemptTimeoutMs,
    requestId: context.requestId,
    history: context.conversation.turns,
    historyDropped: context.conversation.dropped,
    historyChars: context.historyChars,
  };
}

/** Input of `callApi`: the provider, the model and the request. */
export function callApiInput({ context }: Args): CallApiInput {
  const { api, model, ref } = currentCandidate(context);
  if (api === undefined) throw new TypeError(`request machine: candidate ${ref} has no API provider`);
  return {
    provider: api,
    model,
    prompt: context.request.prompt,
    systemPrompt: context.request.systemPrompt,
    images: context.request.images,
    timeoutMs: context.attemptTimeoutMs,
    history: context.conversation.turns,
    requestId: context.requestId,
  };
}

/** Input of `parseCliOutput`: the raw run and the CLI backend that produced it. */
export function parseCliOutputInput({ context }: Args): ParseCliOutputInput {
  if (context.run === undefined) throw new TypeError('request machine: parsing without a CLI run');
  return { run: context.run, backend: cliOf(context) };
}

/**
 * The transcript turns of the answered request (any turns the caller's `messages` added, the user's
 * message, the answer), when a session key is set.
 */
export function transcriptCommit(context: RequestContext): TranscriptCommit | undefined {
  const { sessionKey, turn, conversation, request } = context;
  if (sessionKey === null || turn === undefined) return undefined;
  const { model, backend } = attemptOf(context);
  const exchange = exchangeTurns(conversation, {
    message: request.prompt,
    images: request.imagePlaceholders,
    answer: turn.text,
    model,
    backend,
    requestId: context.requestId,
  });
  return { sessionKey, write: conversation.write, turns: turnsToWrite(conversation, exchange) };
}

/**
 * Input of `recordSuccess`: the transcript turns (when a session key is set), the CLI session to
 * store (the parsed session id and the cwd the CLI ran in) when {@link keepsCliSession}, and the
 * cooldown to clear when the candidate had one.
 */
export function recordSuccessInput({ context }: Args): RecordSuccessInput {
  const current = currentCandidate(context);
  const { sessionKey, turn, run } = context;
  const keep = keepsCliSession(context, turn?.sessionId) && sessionKey !== null && run !== undefined;
  return {
    transcript: transcriptCommit(context),
    session: keep
      ? {
          sessionKey,
          backendId: cliOf(context).id,
          cliSessionId: turn!.sessionId!,
          cwd: run.plan.cwd,
          model: current.ref,
          replace: run.plan.newSession,
        }
      : undefined,
    clearCooldown: current.hadCooldown ? { ref: current.ref, provider: current.provider } : undefined,
  };
}

/** Input of `recordFailure`: the candidate and its failure (`unknown` when none was kept). */
export function recordFailureInput({ context }: Args): RecordFailureInput {
  return { candidate: currentCandidate(context), failure: context.failure ?? { reason: 'unknown', message: 'the attempt failed' } };
}

function attemptOf(context: RequestContext): Pick<Attempt, 'model' | 'backend'> {
  const current = context.candidates[context.index];
  return { model: current?.ref ?? '(none)', backend: current?.api !== undefined ? 'api' : 'cli' };
}

function elapsed(context: RequestContext): number {
  return Math.max(0, Math.round(performance.now() - context.attemptStartedAt));
}

function noticesOf(context: RequestContext): Pick<Attempt, 'notices'> {
  return context.notices.length === 0 ? {} : { notices: context.notices };
}

/**
 * Tried although cooling down (a half-open probe, the forced try, or the last resort): `probe: true`
 * on the attempt.
 */
function probeOf(context: RequestContext): Pick<Attempt, 'probe'> {
  return context.lastResort || context.candidates[context.index]?.probe === true ? { probe: true } : {};
}

/** CLI attempts: the continuation, and the history turns the prompt carried when the CLI ran. */
function continuationOf(context: RequestContext): Pick<Attempt, 'continuation' | 'historyTurns'> {
  if (context.continuation === undefined) return {};
  const historyTurns = context.run?.plan.historyTurns;
  return historyTurns === undefined ? { continuation: context.continuation } : { continuation: context.continuation, historyTurns };
}

/**
 * Attempt-log entry of a skipped candidate (it cools down, or the allowlist excludes it); 0 ms. A
 * cooling one carries `retryAfterMs`: how long until it may be tried again.
 */
export function skippedAttempt(context: RequestContext): Attempt {
  const skip = context.candidates[context.index]?.skip ?? { reason: 'unknown' as const, detail: 'skipped' };
  const back = skip.retryAfterMs === undefined ? {} : { retryAfterMs: skip.retryAfterMs };
  return { ...attemptOf(context), ok: false, reason: skip.reason, detail: skip.detail, skipped: true, ...back, durationMs: 0 };
}

/** The failure's Retry-After as applied (clamped to [1 s, 1 h], see `clampRetryAfter`), when it had one. */
function retryAfterOf(failure: AttemptFailure): Pick<Attempt, 'retryAfterMs'> {
  const applied = clampRetryAfter(failure.retryAfterMs);
  return applied === undefined ? {} : { retryAfterMs: applied };
}

/**
 * Attempt-log entry of the failed current attempt: its failure's fields (`retryAfterMs` as the
 * cooldown applied it), notices and duration (ms).
 */
export function failedAttempt(context: RequestContext): Attempt {
  const failure = context.failure ?? { reason: 'unknown' as const, message: 'the attempt failed' };
  return {
    ...attemptOf(context),
    ok: false,
    reason: failure.reason,
    detail: failure.message,
    ...(failure.exitCode === undefined ? {} : { exitCode: failure.exitCode }),
    ...(failure.status === undefined ? {} : { status: failure.status }),
    ...retryAfterOf(failure),
    ...(outputSent(failure) ? { outputSent: true as const } : {}),
    ...probeOf(context),
    ...noticesOf(context),
    ...continuationOf(context),
    durationMs: elapsed(context),
  };
}

/** Attempt-log entry of the answered current attempt: notices and duration (ms). */
export function answeredAttempt(context: RequestContext): Attempt {
  return {
    ...attemptOf(context),
    ok: true,
    ...probeOf(context),
    ...noticesOf(context),
    ...continuationOf(context),
    durationMs: elapsed(context),
  };
}

/** The failure of a candidate whose provider is neither a CLI backend nor an API provider (`config`). */
export function noBackendFailure(context: RequestContext): AttemptFailure {
  return {
    reason: 'config',
    message: `"${context.candidates[context.index]?.provider}" is neither a CLI backend nor an API provider: add it under agents.defaults.cliBackends or models.providers, or use a built-in one (claude-cli, codex-cli, anthropic, openai)`,
  };
}

/** The failure of an attempt that outlived `context.attemptTimeoutMs` (`timeout`). */
export function timeoutFailure(context: RequestContext): AttemptFailure {
  return {
    reason: 'timeout',
    message: `no answer within ${context.attemptTimeoutMs} ms (agents.defaults.timeoutSeconds); the CLI was stopped`,
  };
}

/**
 * Output when the machine reaches a final state: `aborted` when the caller aborted, `answered` with
 * the answer, else `failed`, marked `interrupted` when the last attempt failed after part of its
 * answer was streamed to the caller.
 */
export function requestOutput({ context }: Args): RequestOutput {
  if (context.failure?.reason === 'aborted') return { status: 'aborted', attempts: context.attempts };
  if (context.turn !== undefined) {
    const current = currentCandidate(context);
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
  const failed = { status: 'failed' as const, attempts: context.attempts, failure: context.failure };
  return outputSent(context.failure) ? { ...failed, interrupted: true } : failed;
}
