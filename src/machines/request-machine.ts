/**
 * The request statechart: one instance per request. It selects a candidate model, runs it (a CLI
 * backend as a child actor), parses the output, persists the CLI session, and falls back along the
 * candidates when an attempt fails. The machine is pure: every side effect is a named actor that
 * the runtime injects with `requestMachine.provide({ actors })`; the placeholders here throw.
 *
 * Diagram: `visualizations/request.mmd` (generated from this definition).
 */
import { and, assign, setup } from 'xstate';
import type { RequestContext, RequestInput, RequestOutput } from './types.js';
import { requestActors } from './actor-slots.js';
import { requestUpdates as update } from './request-actions.js';
import { requestGuards } from './request-guards.js';
import {
  callApiInput,
  parseCliOutputInput,
  persistSessionInput,
  recordFailureInput,
  requestContext,
  requestOutput,
  runCliTurnInput,
  selectCandidateInput,
} from './request-mappers.js';

/**
 * External events: `CANCEL` (the caller aborted; the chain stops at once) and `cli.retry` (the
 * running CLI printed a retry notice; the runtime forwards it so attempts and traces show it).
 */
export type RequestEvent = { type: 'CANCEL' } | { type: 'cli.retry'; notice: string };

/**
 * The request machine. States: `selecting-model` → `calling-api` (API providers) or
 * `spawning-cli` → `parsing` (CLI backends) → `persisting-session` → `answered`, with
 * `falling-back` between candidates and the final states `answered`, `failed`, `aborted`.
 * A candidate that cools down (or that the allowlist excludes) is skipped in `selecting-model`.
 *
 * Delay `attemptTimeout` = `context.attemptTimeoutMs` (default 600 000 ms from
 * `agents.defaults.timeoutSeconds`): an attempt that has not ended by then is stopped (an API call
 * is aborted, a CLI's process group killed) and the request falls back with reason `timeout`.
 */
export const requestMachine = setup({
  types: {
    context: {} as RequestContext,
    input: {} as RequestInput,
    output: {} as RequestOutput,
    events: {} as RequestEvent,
  },
  actors: requestActors,
  guards: requestGuards,
  actions: {
    startAttempt: assign(update.startAttempt),
    storeBinding: assign(update.storeBinding),
    storeRun: assign(update.storeRun),
    storeTurn: assign(update.storeTurn),
    recordFailure: assign(update.recordFailure),
    recordNoBackend: assign(update.recordNoBackend),
    recordRetry: assign(update.recordRetry),
    logSkippedAttempt: assign(update.logSkippedAttempt),
    recordTimeout: assign(update.recordTimeout),
    recordAbort: assign(update.recordAbort),
    startNewSession: assign(update.startNewSession),
    logFailedAttempt: assign(update.logFailedAttempt),
    logAnsweredAttempt: assign(update.logAnsweredAttempt),
    nextCandidate: assign(update.nextCandidate),
    notePersistFailure: assign(update.notePersistFailure),
  },
  delays: {
    attemptTimeout: ({ context }) => context.attemptTimeoutMs,
  },
}).createMachine({
  id: 'request',
  description: 'One gateway request: try each candidate model in order until one answers.',
  context: requestContext,
  initial: 'selecting-model',
  on: {
    CANCEL: { target: '.aborted', actions: ['recordAbort', 'logFailedAttempt'] },
  },
  states: {
    'selecting-model': {
      description:
        'Take the current candidate: skip it while it cools down (or the allowlist excludes it), else load its stored CLI session.',
      entry: 'startAttempt',
      always: [
        {
          guard: and(['isSkipped', 'hasNextCandidate']),
          target: 'selecting-model',
          reenter: true,
          actions: ['logSkippedAttempt', 'nextCandidate'],
        },
        { guard: 'isSkipped', target: 'failed', actions: 'logSkippedAttempt' },
      ],
      invoke: {
        id: 'selectCandidate',
        src: 'selectCandidate',
        input: selectCandidateInput,
        onDone: [
          { guard: 'isCliCandidate', target: 'spawning-cli', actions: 'storeBinding' },
          { guard: 'isApiCandidate', target: 'calling-api' },
          { target: 'falling-back', actions: 'recordNoBackend' },
        ],
        onError: { target: 'falling-back', actions: 'recordFailure' },
      },
    },
    'calling-api': {
      description: "Call the API provider through its official SDK (the SDK's own retries off).",
      invoke: {
        id: 'callApi',
        src: 'callApi',
        input: callApiInput,
        onDone: [
          { guard: 'shouldPersistSession', target: 'persisting-session', actions: 'storeTurn' },
          { target: 'answered', actions: 'storeTurn' },
        ],
        onError: { target: 'falling-back', actions: 'recordFailure' },
      },
      after: {
        attemptTimeout: { target: 'falling-back', actions: 'recordTimeout' },
      },
    },
    'spawning-cli': {
      description: 'Run the CLI backend as a child process (its own process group).',
      invoke: {
        id: 'runCliTurn',
        src: 'runCliTurn',
        input: runCliTurnInput,
        onDone: { target: 'parsing', actions: 'storeRun' },
        onError: { target: 'falling-back', actions: 'recordFailure' },
      },
      on: {
        'cli.retry': { actions: 'recordRetry' },
      },
      after: {
        attemptTimeout: { target: 'falling-back', actions: 'recordTimeout' },
      },
    },
    parsing: {
      description: 'Parse stdout (json | jsonl | text); is_error, turn.failed and exit codes are failures.',
      invoke: {
        id: 'parseCliOutput',
        src: 'parseCliOutput',
        input: parseCliOutputInput,
        onDone: [
          { guard: 'shouldPersistSession', target: 'persisting-session', actions: 'storeTurn' },
          { target: 'answered', actions: 'storeTurn' },
        ],
        onError: [
          { guard: 'isStaleStoredSession', target: 'spawning-cli', actions: 'startNewSession' },
          { target: 'falling-back', actions: 'recordFailure' },
        ],
      },
    },
    'persisting-session': {
      description: "Store the CLI session id for (session key, backend) and clear the candidate's cooldown; only successes get here.",
      invoke: {
        id: 'persistSession',
        src: 'persistSession',
        input: persistSessionInput,
        onDone: { target: 'answered' },
        onError: { target: 'answered', actions: 'notePersistFailure' },
      },
    },
    'falling-back': {
      description: 'Log the failed attempt and cool the candidate down, then move to the next candidate.',
      entry: 'logFailedAttempt',
      invoke: {
        id: 'recordFailure',
        src: 'recordFailure',
        input: recordFailureInput,
        onDone: [{ guard: 'hasNextCandidate', target: 'selecting-model', actions: 'nextCandidate' }, { target: 'failed' }],
        onError: [{ guard: 'hasNextCandidate', target: 'selecting-model', actions: 'nextCandidate' }, { target: 'failed' }],
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
