/**
 * A reference model of one request, written from the rules and not from the machine: a reducer over
 * the events the model-based test replays (`xstate.init`, actor results, the attempt deadline,
 * `CANCEL`, `cli.retry`) that computes the state the request must be in, the attempt log (with each
 * CLI attempt's continuation), every actor invocation with its input (the CLI's `forceNewSession` and
 * history, the transcript turns and binding a success writes), the persist warning and the final
 * output. The conversation rules (continuation, transcript) are in `request-reference-conversation.ts`.
 * It imports types only from `src/machines`.
 */
import type { EventObject } from 'xstate';
import { expect } from 'vitest';
import type { Continuation } from '../../src/conversation/types.js';
import type { Attempt, Candidate, RequestInput } from '../../src/machines/types.js';
import type { SessionBinding } from '../../src/actors/types.js';
import { type ActorRole, CLI_FIELD, roleOfEvent } from './request-names.js';
import { bindingView, expectedContinuation, expectedTranscript } from './request-reference-conversation.js';

/** The states a request can be in (`idle` before `xstate.init`). */
export type ExpectedState =
  | 'idle'
  | 'selecting-model'
  | 'calling-api'
  | 'spawning-cli'
  | 'parsing'
  | 'persisting-session'
  | 'falling-back'
  | 'answered'
  | 'failed'
  | 'aborted';

/** One actor invocation: its role and the parts of its input the rules decide. */
export interface Invocation {
  role: ActorRole;
  input: Record<string, unknown>;
}

/** An attempt-log entry as the rules decide it (`durationMs` is the clock's business). */
export type ExpectedAttempt = Omit<Attempt, 'durationMs'>;

/** What the request must look like after a sequence of events. */
export interface Expected {
  state: ExpectedState;
  index: number;
  /** The position in the order of tries (see `tryOrder`): every candidate, then the last resort. */
  position: number;
  attempts: ExpectedAttempt[];
  invocations: Invocation[];
  persistWarning: string | undefined;
  output: Record<string, unknown> | undefined;
  /**
   * Per attempt: the stored session loaded, how the CLI attempt continues the conversation, the
   * stale-session retry used, the CLI run, the answer, the failure, notices.
   */
  binding: SessionBinding | undefined;
  continuation: Continuation | undefined;
  retried: boolean;
  run: { stdout: string; plan: { cwd: string; newSession: boolean; historyTurns: number } } | undefined;
  turn: { text: string; sessionId?: string | undefined; usage?: unknown } | undefined;
  failure: Failure | undefined;
  notices: string[];
}

type Failure = { reason: string; message: string; retryAfterMs?: number; exitCode?: number; status?: number; outputSent?: true };

/** Part of the failed attempt's answer had reached the caller: the request may neither fall back nor retry. */
const streamed = (failure: Failure | undefined): boolean => failure?.outputSent === true;

/** Wording the machine chooses itself (timeout, abort, no backend): any text. */
const ITS_OWN_WORDS = expect.any(String) as unknown as string;

const FINAL: ReadonlySet<ExpectedState> = new Set(['answered', 'failed', 'aborted']);

/** The parts of an actor's input the rules decide, per role; the live recorder and the reference both use it. */
export function projectInput(role: ActorRole, input: unknown): Record<string, unknown> {
  // biome-ignore lint/suspicious/noExplicitAny: actor inputs differ per role; each branch reads its own fields.
  const i = input as any;
  switch (role) {
    case 'loadSession':
      return { ref: i.candidate.ref, sessionKey: i.sessionKey };
    case 'callApi':
      return { provider: i.provider.id, model: i.model, prompt: i.prompt, timeoutMs: i.timeoutMs, history: i.history };
    case 'runCliTurn':
      return {
        backend: i.backend.id,
        model: i.model,
        prompt: i.prompt,
        binding: bindingView(i.binding),
        forceNewSession: i.forceNewSession,
        timeoutMs: i.timeoutMs,
        history: i.history,
        historyDropped: i.historyDropped,
        historyChars: i.historyChars,
      };
    case 'parseCliOutput':
      return { stdout: i.run.stdout, backend: i.backend.id };
    case 'recordSuccess':
      return { transcript: i.transcript ?? null, session: i.session ?? null, clearCooldown: i.clearCooldown ?? null };
    case 'recordFailure':
      return { ref: i.candidate.ref, reason: i.failure.reason, message: i.failure.message };
  }
}

/** The per-attempt part of the reference state when a candidate is taken. */
const NEW_ATTEMPT: Pick<Expected, 'binding' | 'continuation' | 'retried' | 'run' | 'turn' | 'failure' | 'notices'> = {
  binding: undefined,
  continuation: undefined,
  retried: false,
  run: undefined,
  turn: undefined,
  failure: undefined,
  notices: [],
};

/** The reference state before `xstate.init`. */
export function initialExpected(): Expected {
  return {
    state: 'idle',
    index: 0,
    position: 0,
    attempts: [],
    invocations: [],
    persistWarning: undefined,
    output: undefined,
    ...NEW_ATTEMPT,
  };
}

/** One place in the order of tries: a candidate, and whether it comes as the last resort. */
type Turn = { index: number; lastResort: boolean };

/**
 * The order a request passes its candidates in: each candidate once, in order (skipped ones are
 * logged as skipped); then, as the last resort, every candidate that was skipped for a cooldown (not
 * for the config, reason `config`), in order, tried although it cools down.
 */
export function tryOrder(candidates: readonly Candidate[]): Turn[] {
  const first = candidates.map((_, index) => ({ index, lastResort: false }));
  const cooled = candidates.flatMap((c, index) =>
    c.skip !== undefined && c.skip.reason !== 'config' ? [{ index, lastResort: true }] : [],
  );
  return [...first, ...cooled];
}

/** The reference state after `event`, for a request with `input`. */
export function expectedAfter(r: Expected, event: EventObject, input: RequestInput): Expected {
  const candidates = input.candidates;
  const order = tryOrder(candidates);
  const current = (): Candidate => candidates[r.index]!;
  const cliOf = (c: Candidate) => c[CLI_FIELD];
  const kind = (c: Candidate): 'cli' | 'api' => (c.api !== undefined ? 'api' : 'cli');
  const invoke = (s: Expected, role: ActorRole, inputOf: Record<string, unknown>): Expected => ({
    ...s,
    invocations: [...s.invocations, { role, input: inputOf }],
  });
  const noticesOf = (s: Expected) => (s.notices.length === 0 ? {} : { notices: s.notices });
  // A candidate tried although cooling down (a half-open probe, or the last resort) says so on every attempt it ends with.
  const probeOf = (s: Expected) => (candidates[s.index]!.probe === true || order[s.position]!.lastResort ? { probe: true } : {});
  // CLI attempts say how they continued the conversation, and how many history turns the prompt carried once the CLI ran.
  const continuationOf = (s: Expected) => {
    if (s.continuation === undefined) return {};
    return s.run === undefined ? { continuation: s.continuation } : { continuation: s.continuation, historyTurns: s.run.plan.historyTurns };
  };
  const { conversation } = input;

  const enter = (s: Expected, position: number): Expected => {
    if (position >= order.length) return finish(s, 'failed');
    const { index, lastResort } = order[position]!;
    const c = candidates[index]!;
    const fresh: Expected = { ...s, index, position, ...NEW_ATTEMPT };
    if (c.skip === undefined || lastResort) {
      return invoke({ ...fresh, state: 'selecting-model' }, 'loadSession', { ref: c.ref, sessionKey: input.sessionKey });
    }
    const skipped: ExpectedAttempt = {
      model: c.ref,
      backend: kind(c),
      ok: false,
      reason: c.skip.reason,
      detail: c.skip.detail,
      skipped: true,
      ...(c.skip.retryAfterMs === undefined ? {} : { retryAfterMs: c.skip.retryAfterMs }),
    };
    return enter({ ...fresh, attempts: [...fresh.attempts, skipped] }, position + 1);
  };
  const finish = (s: Expected, state: 'answered' | 'failed' | 'aborted'): Expected => {
    if (state === 'aborted') return { ...s, state, output: { status: 'aborted', attempts: s.attempts } };
    if (state === 'failed') {
      const interrupted = streamed(s.failure) ? { interrupted: true } : {};
      return { ...s, state, output: { status: 'failed', attempts: s.attempts, failure: s.failure, ...interrupted } };
    }
    const c = candidates[s.index]!;
    const attempts = [...s.attempts, { model: c.ref, backend: kind(c), ok: true, ...probeOf(s), ...noticesOf(s), ...continuationOf(s) }];
    const turn = s.turn!;
    return {
      ...s,
      state,
      attempts,
      output: {
        status: 'answered',
        text: turn.text,
        model: c.ref,
        backend: kind(c),
        cliSessionId: turn.sessionId ?? null,
        usage: turn.usage,
        attempts,
        persistWarning: s.persistWarning,
      },
    };
  };
  const fail = (s: Expected, failure: Failure): Expected => {
    const c = current();
    const { reason, message, retryAfterMs, exitCode, status, outputSent } = failure;
    const attempt: ExpectedAttempt = {
      model: c.ref,
      backend: kind(c),
      ok: false,
      reason: reason as NonNullable<Attempt['reason']>,
      detail: message,
      ...(exitCode === undefined ? {} : { exitCode }),
      ...(status === undefined ? {} : { status }),
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      ...(outputSent === true ? { outputSent } : {}),
      ...probeOf(s),
      ...noticesOf(s),
      ...continuationOf(s),
    };
    const logged = { ...s, state: 'falling-back' as const, failure, attempts: [...s.attempts, attempt] };
    return invoke(logged, 'recordFailure', { ref: c.ref, reason, message });
  };
  // Only a resume or a catch-up sends the stored session; a reseed, a new session and the stale-session retry start a new one.
  const spawn = (s: Expected): Expected =>
    invoke({ ...s, state: 'spawning-cli' }, 'runCliTurn', {
      backend: cliOf(current())!.id,
      model: current().model,
      prompt: input.request.prompt,
      binding: bindingView(s.binding),
      forceNewSession: s.retried || (s.continuation !== 'resume' && s.continuation !== 'catch-up'),
      timeoutMs: input.attemptTimeoutMs,
      history: conversation.turns,
      historyDropped: conversation.dropped,
      historyChars: input.historyChars,
    });
  const succeed = (s: Expected, turn: NonNullable<Expected['turn']>): Expected => {
    const c = current();
    const cli = cliOf(c);
    const keepsSession =
      input.sessionKey !== null &&
      cli !== undefined &&
      cli.sessionMode !== 'none' &&
      typeof turn.sessionId === 'string' &&
      turn.sessionId !== '';
    // The binding is replaced when the turn started a new CLI session, continued otherwise.
    const session = keepsSession
      ? {
          sessionKey: input.sessionKey,
          backendId: cli!.id,
          cliSessionId: turn.sessionId,
          cwd: s.run!.plan.cwd,
          model: c.ref,
          replace: s.run!.plan.newSession,
        }
      : null;
    const clearCooldown = c.hadCooldown === true ? { ref: c.ref, provider: c.provider } : null;
    const transcript = expectedTranscript(input, c, turn.text);
    const answered = { ...s, turn };
    if (transcript === null && session === null && clearCooldown === null) return finish(answered, 'answered');
    return invoke({ ...answered, state: 'persisting-session' }, 'recordSuccess', { transcript, session, clearCooldown });
  };

  /** CANCEL: the current candidate is logged as aborted and nothing else runs. */
  const abort = (s: Expected): Expected => {
    const c = current();
    const attempt: ExpectedAttempt = {
      model: c.ref,
      backend: kind(c),
      ok: false,
      reason: 'aborted',
      detail: ITS_OWN_WORDS,
      ...probeOf(s),
      ...noticesOf(s),
      ...continuationOf(s),
    };
    return { ...s, failure: { reason: 'aborted', message: ITS_OWN_WORDS }, attempts: [...s.attempts, attempt] };
  };

  if (event.type === 'xstate.init') return enter(r, 0);
  if (FINAL.has(r.state) || r.state === 'idle') return r;
  if (event.type === 'CANCEL') {
    // The answer is complete once its write started: a late cancel changes nothing.
    return r.state === 'persisting-session' ? r : finish(abort(r), 'aborted');
  }
  if (event.type === 'cli.retry') {
    const notice = (event as EventObject & { notice: string }).notice;
    return r.state === 'spawning-cli' ? { ...r, notices: [...r.notices, notice] } : r;
  }
  if (event.type.startsWith('xstate.after.')) {
    return r.state === 'calling-api' || r.state === 'spawning-cli' ? fail(r, { reason: 'timeout', message: ITS_OWN_WORDS }) : r;
  }
  const result = roleOfEvent(event.type);
  if (result === undefined) throw new Error(`reference: unexpected event ${event.type}`);
  const output = (event as EventObject & { output?: unknown }).output;
  const error = (event as EventObject & { error?: Failure }).error!;
  const c = current();
  switch (`${r.state} ${result.kind} ${result.role}`) {
    case 'selecting-model done loadSession': {
      const binding = (output as { binding: SessionBinding | undefined }).binding;
      if (cliOf(c) !== undefined) return spawn({ ...r, binding, continuation: expectedContinuation(binding, conversation) });
      if (c.api !== undefined) {
        // An API provider is stateless: every call carries the whole history.
        const call = {
          provider: c.api.id,
          model: c.model,
          prompt: input.request.prompt,
          timeoutMs: input.attemptTimeoutMs,
          history: conversation.turns,
        };
        return invoke({ ...r, state: 'calling-api' }, 'callApi', call);
      }
      return fail(r, { reason: 'config', message: ITS_OWN_WORDS });
    }
    case 'spawning-cli done runCliTurn': {
      const run = output as NonNullable<Expected['run']>;
      return invoke({ ...r, state: 'parsing', run }, 'parseCliOutput', { stdout: run.stdout, backend: cliOf(c)!.id });
    }
    case 'calling-api done callApi':
    case 'parsing done parseCliOutput':
      return succeed(r, output as NonNullable<Expected['turn']>);
    case 'parsing error parseCliOutput':
      // A stored session the CLI does not know: once per candidate, only when the attempt continued it (resume or
      // catch-up), and never once part of the answer reached the caller; the retry is a new session, reseeded with the
      // history when there is one.
      if (
        error.reason === 'session_expired' &&
        (r.continuation === 'resume' || r.continuation === 'catch-up') &&
        !r.retried &&
        !streamed(error)
      ) {
        const continuation: Continuation = conversation.turns.length > 0 ? 'reseed' : 'new';
        return spawn({ ...r, retried: true, continuation, run: undefined });
      }
      return fail(r, error);
    case 'persisting-session done recordSuccess':
      return finish(r, 'answered');
    case 'persisting-session error recordSuccess':
      return finish({ ...r, persistWarning: error.message }, 'answered');
    case 'falling-back done recordFailure':
    case 'falling-back error recordFailure':
      // No fallback after streamed output: another candidate's answer would be spliced onto the partial one. Else the next
      // place in the order of tries, the last resort included.
      return streamed(r.failure) ? finish(r, 'failed') : enter(r, r.position + 1);
    case 'selecting-model error loadSession':
    case 'calling-api error callApi':
    case 'spawning-cli error runCliTurn':
      return fail(r, error);
    default:
      throw new Error(`reference: no rule for ${event.type} in ${r.state}`);
  }
}
