/**
 * The request statechart: one instance per request. It selects a candidate model, runs it (an API
 * call, or a CLI backend as a child actor whose output it parses), records the success (CLI session
 * id, cooldown cleared), and falls back along the candidates when an attempt fails. The machine is
 * pure: every side effect is a named actor that the runtime injects with
 * `requestMachine.provide({ actors })` (see `src/actors/create-request-actors.ts`); the slots here
 * only reject. Actions write context only (`keep…`, `log…`); the stores are written by actors.
 *
 * Diagram: `visualizations/request.mmd` (generated from this definition).
 */
import { and, assign, fromPromise, not, setup } from 'xstate';
import type {
  CliRunOutput,
  CliTurnRequest,
  LoadSessionInput,
  LoadSessionOutput,
  ParseCliOutputInput,
  ParsedTurn,
  RecordFailureInput,
  RecordSuccessInput,
  SessionBinding,
} from '../actors/types.js';
import { MAX_TIMER_MS } from '../config/timeouts.js';
import { toAttemptFailure } from '../errors.js';
import {
  answeredAttempt,
  bindingSync,
  callApiInput,
  continuesSession,
  failedAttempt,
  freshContinuation,
  hasHistory,
  initialContext,
  keepsCliSession,
  lastResortIndex,
  loadSessionInput,
  noBackendFailure,
  outputSent,
  parseCliOutputInput,
  recordFailureInput,
  recordSuccessInput,
  requestOutput,
  runCliTurnInput,
  skipOf,
  skippedAttempt,
  timeoutFailure,
} from './request-context.js';
import type { CallApiInput, RequestContext, RequestInput, RequestOutput } from './types.js';

/**
 * External events: `CANCEL` (the caller aborted; the chain stops at once) and `cli.retry` (the
 * running CLI printed a retry notice; the runtime forwards it so attempts and traces show it).
 */
export type RequestEvent = { type: 'CANCEL' } | { type: 'cli.retry'; notice: string };

/** Params of `keepTurn` / `hasSuccessToRecord`: the answer of `callApi` or `parseCliOutput`. */
function turnParams({ event }: { event: { output: ParsedTurn } }): { turn: ParsedTurn } {
  return { turn: event.output };
}

/** Params of `keepBinding` and the session guards: the binding `loadSession` found. */
function bindingParams({ event }: { event: { output: LoadSessionOutput } }): { binding: SessionBinding | undefined } {
  return { binding: event.output.binding };
}

/** Params of the actions and guards that read an actor's rejection (`xstate.error.actor.*`). */
function errorParams({ event }: { event: { error: unknown } }): { error: unknown } {
  return { error: event.error };
}

function notProvided(name: string): () => Promise<never> {
  return () => Promise.reject(new TypeError(`request machine: actor "${name}" was not provided (use requestMachine.provide)`));
}

/**
 * The request machine. States: `selecting-model` → `calling-api` (API providers) or
 * `spawning-cli` → `parsing` (CLI backends) → `persisting-session` → `answered`, with
 * `falling-back` between candidates and the final states `answered`, `failed`, `aborted`.
 * A candidate that cools down (or that the allowlist excludes) is skipped in `selecting-model`.
 * When every other candidate has failed, the candidates skipped for a cooldown are tried, in order,
 * before the request fails (the last resort, `context.lastResort`; attempts `probe: true`).
 * A failure whose attempt had already streamed part of its answer (`AttemptFailure.outputSent`)
 * never falls back: its cooldown is recorded and the request ends in `failed`, output `interrupted`.
 *
 * Delay `attemptTimeout` = `context.attemptTimeoutMs` (default 600 000 ms from
 * `agents.defaults.timeoutSeconds`) + {@link ATTEMPT_BACKSTOP_MS}, at most 2^31 − 1 ms: a backstop. The API and CLI
 * actors enforce the attempt deadline themselves and reject with `timeout` (marked `outputSent`
 * when text was streamed); an attempt that has still not ended this much later is stopped (an API
 * call is aborted, a CLI's process group killed) and the request falls back with reason `timeout`.
 */
/**
 * How long after the attempt deadline the machine's own `attemptTimeout` fires (ms): longer than the
 * CLI runner's SIGTERM → SIGKILL grace (2 s), so the actor's own `timeout` (which knows whether text
 * was streamed, `docs/streaming.md`) always comes first. @default 5000
 */
export const ATTEMPT_BACKSTOP_MS = 5000;

export const requestMachine = setup({
  types: {
    context: {} as RequestContext,
    input: {} as RequestInput,
    output: {} as RequestOutput,
    events: {} as RequestEvent,
  },
  actors: {
    /**
     * Loads the stored CLI session of the candidate (none for one-shot requests, API candidates,
     * `sessionMode: "none"`, and sessions whose working directory is gone).
     */
    loadSession: fromPromise<LoadSessionOutput, LoadSessionInput>(notProvided('loadSession')),
    /** Calls an API provider through its official SDK (SDK retries off); rejects with the classified failure. */
    callApi: fromPromise<ParsedTurn, CallApiInput>(notProvided('callApi')),
    /** Spawns the CLI backend as a child process and collects its output. */
    runCliTurn: fromPromise<CliRunOutput, CliTurnRequest>(notProvided('runCliTurn')),
    /** Parses the CLI output; rejects with the classified failure. */
    parseCliOutput: fromPromise<ParsedTurn, ParseCliOutputInput>(notProvided('parseCliOutput')),
    /** Stores what a success changes: the CLI session binding, and clears the candidate's cooldown. */
    recordSuccess: fromPromise<SessionBinding | undefined, RecordSuccessInput>(notProvided('recordSuccess')),
    /** Bookkeeping for a failed attempt: puts the candidate (or its provider) in cooldown. */
    recordFailure: fromPromise<void, RecordFailureInput>(notProvided('recordFailure')),
  },
  guards: {
    /**
     * The current candidate is not tried: it cools down, or the allowlist excludes it. Never in the
     * last resort, which tries the candidates skipped for a cooldown.
     */
    isSkipped: ({ context }) => skipOf(context) !== undefined,
    /** The current candidate is served by a CLI backend. */
    isCliCandidate: ({ context }) => context.candidates[context.index]?.cli !== undefined,
    /** The current candidate is served by an API provider. */
    isApiCandidate: ({ context }) => context.candidates[context.index]?.api !== undefined,
    /**
     * The loaded CLI session has seen every turn of the conversation: resume it with the message
     * only. (The session guards imply a CLI candidate: `bindingSync` is `none` for any other.)
     */
    isSessionCurrent: ({ context }, params: { binding: SessionBinding | undefined }) => bindingSync(context, params.binding) === 'current',
    /** The loaded CLI session saw an earlier part of the conversation that still matches: catch it up. */
    isSessionBehind: ({ context }, params: { binding: SessionBinding | undefined }) => bindingSync(context, params.binding) === 'behind',
    /** The conversation has earlier turns: a new CLI session is reseeded with them. */
    hasHistory: ({ context }) => hasHistory(context),
    /**
     * The CLI rejected the stored session id as unknown (`session_expired`) while the attempt
     * continued it, and this candidate has not retried yet: retry once as a new session, reseeded
     * with the history (the binding is replaced on success). Never once part of the attempt's
     * answer reached the caller (`outputSent`): the retry's answer would be spliced onto it.
     */
    isStaleStoredSession: ({ context }, params: { error: unknown }) =>
      toAttemptFailure(params.error).reason === 'session_expired' &&
      !outputSent(toAttemptFailure(params.error)) &&
      context.binding !== undefined &&
      continuesSession(context) &&
      !context.forceNewSession &&
      !context.sessionRetried,
    /**
     * The success changes stored state: the transcript of a session key, a CLI session id to keep
     * (see `keepsCliSession`), or a cooldown entry of the candidate to clear.
     */
    hasSuccessToRecord: ({ context }, params: { turn: ParsedTurn }) =>
      context.sessionKey !== null ||
      keepsCliSession(context, params.turn.sessionId) ||
      context.candidates[context.index]?.hadCooldown === true,
    /** Another candidate follows the current one (in the first pass; the last resort has its own order). */
    hasNextCandidate: ({ context }) => !context.lastResort && context.index + 1 < context.candidates.length,
    /**
     * A candidate skipped for a cooldown has not had its last-resort try yet: when every live
     * candidate failed, the request tries it before failing (`config` skips are never tried).
     */
    hasLastResort: ({ context }) => lastResortIndex(context) !== -1,
    /**
     * Part of the failed attempt's answer already reached the caller (`RunRequest.onText`): the
     * request ends as failed (interrupted) instead of falling back, since another candidate's answer
     * would be spliced onto the partial one.
     */
    isOutputSent: ({ context }) => outputSent(context.failure),
  },
  actions: {
    /** Reset the per-attempt fields and start the attempt's clock. */
    startAttempt: assign(() => ({
      attemptStartedAt: performance.now(),
      binding: undefined,
      forceNewSession: false,
      sessionRetried: false,
      continuation: undefined,
      run: undefined,
      turn: undefined,
      failure: undefined,
      notices: [],
    })),
    /** Keep the stored CLI session loaded by `loadSession`. */
    keepBinding: assign((_, params: { binding: SessionBinding | undefined }) => ({ binding: params.binding })),
    /** Continue the stored CLI session with the user's message only. */
    resumeSession: assign(() => ({ continuation: 'resume' as const })),
    /** Continue the stored CLI session with the turns it missed, then the user's message. */
    catchUpSession: assign(() => ({ continuation: 'catch-up' as const })),
    /** Start a new CLI session with the whole history, then the user's message. */
    reseedSession: assign(() => ({ continuation: 'reseed' as const })),
    /** Start a new CLI session with the user's message only (there is no history). */
    startFreshSession: assign(() => ({ continuation: 'new' as const })),
    /** Keep the raw CLI output for parsing. */
    keepRun: assign((_, params: { run: CliRunOutput }) => ({ run: params.run })),
    /** Keep the parsed answer. */
    keepTurn: assign((_, params: { turn: ParsedTurn }) => ({ turn: params.turn })),
    /** Keep the classified failure of the attempt. */
    keepFailure: assign((_, params: { error: unknown }) => ({ failure: toAttemptFailure(params.error) })),
    /** The candidate's provider is neither a CLI backend nor an API provider. */
    keepNoBackendFailure: assign(({ context }) => ({ failure: noBackendFailure(context) })),
    /** Note a retry notice of the running CLI (a `cli.retry` event from the runtime). */
    keepRetryNotice: assign(({ context }, params: { notice: string }) => ({ notices: [...context.notices, params.notice] })),
    /** The attempt outlived its deadline. */
    keepTimeoutFailure: assign(({ context }) => ({ failure: timeoutFailure(context) })),
    /** The caller aborted. */
    keepAbortFailure: assign(() => ({ failure: { reason: 'aborted' as const, message: 'the request was aborted by the caller' } })),
    /** The answer stands, but recording it (its session id, the cooldown to clear) failed. */
    keepPersistWarning: assign((_, params: { error: unknown }) => ({ persistWarning: toAttemptFailure(params.error).message })),
    /** Retry the turn once as a new CLI session (reseeded with the history, if any). */
    startNewSession: assign(({ context }) => ({
      forceNewSession: true,
      sessionRetried: true,
      continuation: freshContinuation(context),
      run: undefined,
    })),
    /** Append a skipped attempt: the candidate cools down or is not allowed. */
    logSkippedAttempt: assign(({ context }) => ({ attempts: [...context.attempts, skippedAttempt(context)] })),
    /** Append the failed attempt to the attempt log (nothing when no candidate is current). */
    logFailedAttempt: assign(({ context }) =>
      context.index < context.candidates.length ? { attempts: [...context.attempts, failedAttempt(context)] } : {},
    ),
    /** Append the successful attempt to the attempt log. */
    logAnsweredAttempt: assign(({ context }) => ({ attempts: [...context.attempts, answeredAttempt(context)] })),
    /** Move to the next candidate. */
    nextCandidate: assign(({ context }) => ({ index: context.index + 1 })),
    /** Move to the next candidate skipped for a cooldown, tried although it cools down (the last resort). */
    nextLastResort: assign(({ context }) => ({ index: lastResortIndex(context), lastResort: true })),
  },
  delays: {
    // capped at setTimeout's bound: a longer delay would fire at once
    attemptTimeout: ({ context }) => Math.min(MAX_TIMER_MS, context.attemptTimeoutMs + ATTEMPT_BACKSTOP_MS),
  },
}).createMachine({
  id: 'request',
  // Stryker disable next-line StringLiteral: documentation only (state descriptions feed the diagram)
  description: 'One gateway request: try each candidate model in order until one answers.',
  context: initialContext,
  initial: 'selecting-model',
  on: {
    CANCEL: { target: '.aborted', actions: ['keepAbortFailure', 'logFailedAttempt'] },
  },
  states: {
    'selecting-model': {
      description:
        // Stryker disable next-line StringLiteral: documentation only (state descriptions feed the diagram)
        'Take the current candidate: skip it while it cools down (or the allowlist excludes it; in the last resort, a candidate skipped for a cooldown is tried), else load its stored CLI session and choose how to continue the conversation: resume, catch up, reseed or start fresh.',
      entry: 'startAttempt',
      always: [
        {
          guard: and(['isSkipped', 'hasNextCandidate']),
          target: 'selecting-model',
          reenter: true,
          actions: ['logSkippedAttempt', 'nextCandidate'],
        },
        {
          guard: and(['isSkipped', 'hasLastResort']),
          target: 'selecting-model',
          reenter: true,
          actions: ['logSkippedAttempt', 'nextLastResort'],
        },
        { guard: 'isSkipped', target: 'failed', actions: 'logSkippedAttempt' },
      ],
      invoke: {
        id: 'loadSession',
        src: 'loadSession',
        input: loadSessionInput,
        onDone: [
          { guard: 'isApiCandidate', target: 'calling-api' },
          {
            guard: { type: 'isSessionCurrent', params: bindingParams },
            target: 'spawning-cli',
            actions: [{ type: 'keepBinding', params: bindingParams }, 'resumeSession'],
          },
          {
            guard: { type: 'isSessionBehind', params: bindingParams },
            target: 'spawning-cli',
            actions: [{ type: 'keepBinding', params: bindingParams }, 'catchUpSession'],
          },
          {
            guard: and(['isCliCandidate', 'hasHistory']),
            target: 'spawning-cli',
            actions: [{ type: 'keepBinding', params: bindingParams }, 'reseedSession'],
          },
          {
            guard: 'isCliCandidate',
            target: 'spawning-cli',
            actions: [{ type: 'keepBinding', params: bindingParams }, 'startFreshSession'],
          },
          { target: 'falling-back', actions: 'keepNoBackendFailure' },
        ],
        onError: { target: 'falling-back', actions: { type: 'keepFailure', params: errorParams } },
      },
    },
    'calling-api': {
      // Stryker disable next-line StringLiteral: documentation only (state descriptions feed the diagram)
      description: "Call the API provider through its official SDK (the SDK's own retries off).",
      invoke: {
        id: 'callApi',
        src: 'callApi',
        input: callApiInput,
        onDone: [
          {
            guard: { type: 'hasSuccessToRecord', params: turnParams },
            target: 'persisting-session',
            actions: { type: 'keepTurn', params: turnParams },
          },
          { target: 'answered', actions: { type: 'keepTurn', params: turnParams } },
        ],
        onError: { target: 'falling-back', actions: { type: 'keepFailure', params: errorParams } },
      },
      after: {
        attemptTimeout: { target: 'falling-back', actions: 'keepTimeoutFailure' },
      },
    },
    'spawning-cli': {
      // Stryker disable next-line StringLiteral: documentation only (state descriptions feed the diagram)
      description: 'Run the CLI backend as a child process (its own process group).',
      invoke: {
        id: 'runCliTurn',
        src: 'runCliTurn',
        input: runCliTurnInput,
        onDone: { target: 'parsing', actions: { type: 'keepRun', params: ({ event }) => ({ run: event.output }) } },
        onError: { target: 'falling-back', actions: { type: 'keepFailure', params: errorParams } },
      },
      on: {
        'cli.retry': { actions: { type: 'keepRetryNotice', params: ({ event }) => ({ notice: event.notice }) } },
      },
      after: {
        attemptTimeout: { target: 'falling-back', actions: 'keepTimeoutFailure' },
      },
    },
    parsing: {
      // Stryker disable next-line StringLiteral: documentation only (state descriptions feed the diagram)
      description: 'Parse stdout (json | jsonl | text); is_error, turn.failed and exit codes are failures.',
      invoke: {
        id: 'parseCliOutput',
        src: 'parseCliOutput',
        input: parseCliOutputInput,
        onDone: [
          {
            guard: { type: 'hasSuccessToRecord', params: turnParams },
            target: 'persisting-session',
            actions: { type: 'keepTurn', params: turnParams },
          },
          { target: 'answered', actions: { type: 'keepTurn', params: turnParams } },
        ],
        onError: [
          // Not after streamed output: `isStaleStoredSession` reads the rejection's `outputSent`.
          { guard: { type: 'isStaleStoredSession', params: errorParams }, target: 'spawning-cli', actions: 'startNewSession' },
          { target: 'falling-back', actions: { type: 'keepFailure', params: errorParams } },
        ],
      },
    },
    'persisting-session': {
      description:
        // Stryker disable next-line StringLiteral: documentation only (state descriptions feed the diagram)
        "Write the exchange to the transcript with the CLI session id for (session key, backend), in one batch, and clear the candidate's cooldown; only successes get here, and a CANCEL no longer aborts.",
      // The answer is complete and its one-batch write is under way: a late cancel does not turn it into an abort.
      on: { CANCEL: {} },
      invoke: {
        id: 'recordSuccess',
        src: 'recordSuccess',
        input: recordSuccessInput,
        onDone: { target: 'answered' },
        onError: { target: 'answered', actions: { type: 'keepPersistWarning', params: errorParams } },
      },
    },
    'falling-back': {
      description:
        // Stryker disable next-line StringLiteral: documentation only (state descriptions feed the diagram)
        'Log the failed attempt and cool the candidate down, then move to the next candidate, or, after the last one, to the last resort (the candidates skipped for a cooldown, in order); a failure after part of the answer was streamed to the caller ends the request instead (no fallback after streamed output).',
      entry: 'logFailedAttempt',
      invoke: {
        id: 'recordFailure',
        src: 'recordFailure',
        input: recordFailureInput,
        onDone: [
          { guard: and(['hasNextCandidate', not('isOutputSent')]), target: 'selecting-model', actions: 'nextCandidate' },
          { guard: and(['hasLastResort', not('isOutputSent')]), target: 'selecting-model', actions: 'nextLastResort' },
          { target: 'failed' },
        ],
        onError: [
          { guard: and(['hasNextCandidate', not('isOutputSent')]), target: 'selecting-model', actions: 'nextCandidate' },
          { guard: and(['hasLastResort', not('isOutputSent')]), target: 'selecting-model', actions: 'nextLastResort' },
          { target: 'failed' },
        ],
      },
    },
    answered: { type: 'final', entry: 'logAnsweredAttempt' },
    failed: { type: 'final' },
    aborted: { type: 'final' },
  },
  output: requestOutput,
});

/** The machine's type, for `createActor` and `provide`. */
export type RequestMachine = typeof requestMachine;
