/**
 * Named context updates of the request machine, as plain functions; the machine wraps each in
 * `assign()` under the same name in `setup({ actions })`.
 */
import type { EventObject } from 'xstate';
import type { CliRunOutput, ParsedTurn } from '../actors/types.js';
import { toAttemptFailure } from '../errors.js';
import { errorOf, outputOf } from './request-guards.js';
import type { Attempt, RequestContext, SelectCandidateOutput } from './types.js';

type ActionArgs = { context: RequestContext; event: EventObject };
type Update = Partial<RequestContext>;

function elapsed(context: RequestContext): number {
  return Math.max(0, Math.round(performance.now() - context.attemptStartedAt));
}

function currentRef(context: RequestContext): string {
  return context.candidates[context.index]?.ref ?? '(none)';
}

function currentKind(context: RequestContext): 'cli' | 'api' {
  return context.candidates[context.index]?.api !== undefined ? 'api' : 'cli';
}

/** The context updates by action name; `request-machine.ts` registers each as `assign(update)`. */
export const requestUpdates = {
  /** Reset the per-attempt fields and start the attempt's clock. */
  startAttempt: (): Update => ({
    attemptStartedAt: performance.now(),
    binding: undefined,
    forceNewSession: false,
    sessionRetried: false,
    run: undefined,
    turn: undefined,
    failure: undefined,
    notices: [],
  }),
  /** Keep the stored CLI session loaded by `selectCandidate`. */
  storeBinding: ({ event }: ActionArgs): Update => ({ binding: outputOf<SelectCandidateOutput>(event).binding }),
  /** Note a retry notice of the running CLI (a `cli.retry` event from the runtime). */
  recordRetry: ({ context, event }: ActionArgs): Update => ({
    notices: [...context.notices, String((event as EventObject & { notice?: unknown }).notice ?? 'the CLI retried')],
  }),
  /** Keep the raw CLI output for parsing. */
  storeRun: ({ event }: ActionArgs): Update => ({ run: outputOf<CliRunOutput>(event) }),
  /** Keep the parsed answer. */
  storeTurn: ({ event }: ActionArgs): Update => ({ turn: outputOf<ParsedTurn>(event) }),
  /** Keep the classified failure of the attempt. */
  recordFailure: ({ event }: ActionArgs): Update => ({ failure: toAttemptFailure(errorOf(event)) }),
  /** The candidate's provider is neither a CLI backend nor an API provider. */
  recordNoBackend: ({ context }: ActionArgs): Update => ({
    failure: {
      reason: 'config',
      message: `"${context.candidates[context.index]?.provider}" is neither a CLI backend nor an API provider: add it under agents.defaults.cliBackends or models.providers, or use a built-in one (claude-cli, codex-cli, anthropic, openai)`,
    },
  }),
  /** Append a skipped attempt: the candidate cools down or is not allowed. */
  logSkippedAttempt: ({ context }: ActionArgs): Update => {
    const skip = context.candidates[context.index]?.skip ?? { reason: 'unknown' as const, detail: 'skipped' };
    const attempt: Attempt = {
      model: currentRef(context),
      backend: currentKind(context),
      ok: false,
      reason: skip.reason,
      detail: skip.detail,
      skipped: true,
      durationMs: 0,
    };
    return { attempts: [...context.attempts, attempt] };
  },
  /** The attempt outlived its deadline. */
  recordTimeout: ({ context }: ActionArgs): Update => ({
    failure: {
      reason: 'timeout',
      message: `no answer within ${context.attemptTimeoutMs} ms (agents.defaults.timeoutSeconds); the CLI was stopped`,
    },
  }),
  /** The caller aborted. */
  recordAbort: (): Update => ({ failure: { reason: 'aborted', message: 'the request was aborted by the caller' } }),
  /** Retry the turn once as a new CLI session. */
  startNewSession: (): Update => ({ forceNewSession: true, sessionRetried: true, run: undefined }),
  /** Append the failed attempt to the attempt log. */
  logFailedAttempt: ({ context }: ActionArgs): Update => {
    const failure = context.failure ?? { reason: 'unknown' as const, message: 'the attempt failed' };
    const attempt: Attempt = {
      model: currentRef(context),
      backend: currentKind(context),
      ok: false,
      reason: failure.reason,
      detail: failure.message,
      ...(failure.exitCode === undefined ? {} : { exitCode: failure.exitCode }),
      ...(failure.status === undefined ? {} : { status: failure.status }),
      ...(failure.retryAfterMs === undefined ? {} : { retryAfterMs: failure.retryAfterMs }),
      ...(context.notices.length === 0 ? {} : { notices: context.notices }),
      durationMs: elapsed(context),
    };
    return context.index < context.candidates.length ? { attempts: [...context.attempts, attempt] } : {};
  },
  /** Append the successful attempt to the attempt log. */
  logAnsweredAttempt: ({ context }: ActionArgs): Update => ({
    attempts: [
      ...context.attempts,
      {
        model: currentRef(context),
        backend: currentKind(context),
        ok: true,
        ...(context.notices.length === 0 ? {} : { notices: context.notices }),
        durationMs: elapsed(context),
      },
    ],
  }),
  /** Move to the next candidate. */
  nextCandidate: ({ context }: ActionArgs): Update => ({ index: context.index + 1 }),
  /** The answer stands, but its session id could not be stored. */
  notePersistFailure: ({ event }: ActionArgs): Update => ({ persistWarning: toAttemptFailure(errorOf(event)).message }),
};
