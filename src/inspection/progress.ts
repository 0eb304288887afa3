/**
 * Reads one request's inspection events (see `./inspection.ts`) and turns them into what traces
 * and `--verbose` show: the states entered with their times, and each attempt with its argv, exit
 * code or HTTP status, reason and session, as soon as it ends. It keeps no bookkeeping of its own
 * beyond the events: states come from the root actor's microsteps and snapshots, attempts from the
 * machine context's attempt log, argv from the CLI run in context (or the `runCliTurn` child's input).
 */
import type { InspectionEvent, Observer } from 'xstate';
import { planCliTurn } from '../actors/cli/plan.js';
import type { CliTurnRequest } from '../actors/types.js';
import type { CallApiInput, RequestContext, RequestOutput, RequestSpec } from '../machines/types.js';
import type { TraceAttempt, TraceStep } from '../store/trace-types.js';

/** How a request's machine ended, with the machine output. */
export interface ProgressEnd {
  status: RequestOutput['status'];
  /** ms since the request's actor started. */
  atMs: number;
  output: RequestOutput;
}

/** Callbacks of {@link RequestProgress}, called synchronously as the events arrive. */
export interface ProgressHandlers {
  /** A state was entered. */
  onStep?: (step: TraceStep) => void;
  /** An attempt ended (skipped, failed or answered). */
  onAttempt?: (attempt: TraceAttempt) => void;
  /** The machine reached a final state. */
  onEnd?: (end: ProgressEnd) => void;
}

/** True when a transition of a microstep enters a state (it has a target). */
function hasTarget(transition: unknown): boolean {
  const target = (transition as { target?: readonly unknown[] | undefined }).target;
  return target !== undefined && target.length > 0;
}

/** Shown in a planned argv instead of a session id that a new session would have generated. */
export const NEW_SESSION_PLACEHOLDER = '<new-session-id>';

/**
 * Replace the prompt (also with image paths appended to it) and the system prompt in `argv` by
 * `<prompt:N chars>` / `<system-prompt:N chars>` (N = length of the whole prompt argument: history block, image paths and message; or of the system prompt).
 * A prompt attached to a flag keeps the flag: `--prompt=<text>` → `--prompt=<prompt:N chars>`.
 */
export function redactArgv(argv: readonly string[], request: Pick<RequestSpec, 'prompt' | 'systemPrompt' | 'images'>): string[] {
  const { prompt, systemPrompt } = request;
  // The prompt argument ends with the user's message (after any history block and image paths).
  const last = prompt !== '' ? prompt : request.images.map((image) => image.path).join('\n');
  return argv.map((arg) => {
    // The prompt is its own element, or attached to a flag (`--prompt=<prompt>`, gemini-cli).
    const flag = /^--?[\w-]+=/.exec(arg)?.[0] ?? '';
    const value = arg.slice(flag.length);
    if (last !== '' && (value === last || value.endsWith(`\n\n${last}`))) return `${flag}<prompt:${value.length} chars>`;
    if (systemPrompt !== undefined && systemPrompt !== '' && arg === systemPrompt) return `<system-prompt:${systemPrompt.length} chars>`;
    return arg;
  });
}

type RootSnapshot = { value?: unknown; status?: string; context?: RequestContext; output?: RequestOutput };

/**
 * An inspection observer for one request (the first root actor it sees; events of other roots are
 * ignored). Pass it, or a fan-out containing it, as `inspect` to `createActor`.
 */
export class RequestProgress implements Observer<InspectionEvent> {
  /** Every state entered, in order. */
  readonly steps: TraceStep[] = [];
  /** Every attempt that ended, in order. */
  readonly attempts: TraceAttempt[] = [];
  /** Epoch ms of the first event (the actor's creation); `undefined` before any event. */
  startedAt: number | undefined;
  /** The root actor's latest context. */
  context: RequestContext | undefined;
  /** The machine output once it ended. */
  output: RequestOutput | undefined;
  readonly #handlers: ProgressHandlers;
  #rootId: string | undefined;
  #t0 = 0;
  #attemptStartMs = 0;
  #cliInput: CliTurnRequest | undefined;
  #apiInput: CallApiInput | undefined;

  constructor(handlers: ProgressHandlers = {}) {
    this.#handlers = handlers;
  }

  /** ms since the first event. */
  #now(): number {
    return Math.max(0, Math.round(performance.now() - this.#t0));
  }

  /** Take one inspection event (events of other root actors than the first one seen are ignored). */
  next(event: InspectionEvent): void {
    if (this.#rootId === undefined) {
      this.#rootId = event.rootId;
      this.#t0 = performance.now();
      this.startedAt = Date.now();
    }
    if (event.rootId !== this.#rootId) return;
    const isRoot = event.actorRef.sessionId === this.#rootId;
    if (!isRoot) {
      if (event.type === '@xstate.snapshot') this.#childInput(event);
      return;
    }
    if (event.type !== '@xstate.microstep' && event.type !== '@xstate.snapshot') return;
    const snapshot = event.snapshot as RootSnapshot;
    const context = snapshot.context;
    if (context === undefined) return;
    this.context = context;
    if (this.steps.length === 0 && event.type === '@xstate.microstep' && event.event.type === 'xstate.init') {
      // the initial state is entered without a microstep of its own; its eventless transitions have one
      const source = (event._transitions[0] as { source?: { key?: unknown } } | undefined)?.source?.key;
      if (typeof source === 'string') this.#step(source, context, 0);
    }
    this.#newAttempts(context);
    // A targetless transition (a CLI retry notice recorded by an action) enters no state: no step.
    const entersState = event.type !== '@xstate.microstep' || event._transitions.some((transition) => hasTarget(transition));
    if ((event.type === '@xstate.microstep' && entersState) || this.steps.length === 0)
      this.#step(String(snapshot.value), context, context.index);
    if (event.type === '@xstate.snapshot' && snapshot.status === 'done' && this.output === undefined && snapshot.output !== undefined) {
      this.output = snapshot.output;
      this.#handlers.onEnd?.({ status: snapshot.output.status, atMs: this.#now(), output: snapshot.output });
    }
  }

  /** Keep the input of the current attempt's CLI turn or API call (for argv and the API endpoint). */
  #childInput(event: InspectionEvent & { type: '@xstate.snapshot' }): void {
    const id = (event.actorRef as { id?: unknown }).id;
    const input = (event.snapshot as { input?: unknown }).input;
    if (input === undefined) return;
    if (id === 'runCliTurn') this.#cliInput = input as CliTurnRequest;
    else if (id === 'callApi') this.#apiInput = input as CallApiInput;
  }

  #step(state: string, context: RequestContext, index: number): void {
    const atMs = this.#now();
    const candidate = context.candidates[index]?.ref;
    const step: TraceStep = { state, atMs, ...(candidate === undefined ? {} : { candidate }) };
    if (state === 'falling-back' && context.failure !== undefined) {
      step.reason = context.failure.reason;
      step.detail = context.failure.message;
    }
    if (state === 'selecting-model') {
      this.#attemptStartMs = atMs;
      this.#cliInput = undefined;
      this.#apiInput = undefined;
    }
    this.steps.push(step);
    this.#handlers.onStep?.(step);
  }

  #newAttempts(context: RequestContext): void {
    for (let i = this.attempts.length; i < context.attempts.length; i++) {
      const attempt = this.#attempt(context, i);
      this.attempts.push(attempt);
      this.#handlers.onAttempt?.(attempt);
    }
  }

  #attempt(context: RequestContext, i: number): TraceAttempt {
    const logged = context.attempts[i]!;
    const candidate = context.candidates.find((entry) => entry.ref === logged.model);
    const attempt: TraceAttempt = {
      index: i + 1,
      model: logged.model,
      backend: logged.backend,
      provider: candidate?.provider ?? '',
      ok: logged.ok,
      ...(logged.skipped ? { skipped: true } : {}),
      ...(logged.probe === true ? { probe: true } : {}),
      ...(logged.retryAfterMs === undefined ? {} : { retryAfterMs: logged.retryAfterMs }),
      ...(logged.reason === undefined ? {} : { reason: logged.reason }),
      ...(logged.detail === undefined ? {} : { detail: logged.detail }),
      startedAtMs: logged.skipped ? this.#now() : this.#attemptStartMs,
      endedAtMs: this.#now(),
      durationMs: logged.durationMs,
    };
    if (logged.skipped) return attempt;
    const failure = logged.ok ? undefined : context.failure;
    const { run } = context;
    const exitCode = logged.exitCode ?? failure?.exitCode ?? run?.exitCode;
    if (exitCode !== undefined) attempt.exitCode = exitCode;
    const signal = failure?.signal ?? run?.signal;
    if (signal !== undefined) attempt.signal = signal;
    if (failure?.status !== undefined) attempt.status = failure.status;
    if (logged.notices !== undefined) attempt.notices = logged.notices;
    if (logged.backend === 'api') {
      const provider = this.#apiInput?.provider ?? candidate?.api;
      if (provider !== undefined)
        attempt.api = { kind: provider.api, ...(provider.baseUrl === undefined ? {} : { baseUrl: provider.baseUrl }) };
      return attempt;
    }
    if (run !== undefined) {
      Object.assign(attempt, {
        command: run.plan.command,
        argv: redactArgv(run.plan.argv, context.request),
        cwd: run.plan.cwd,
        stdinChars: run.plan.stdinChars,
        session: {
          ...(context.binding === undefined ? {} : { stored: context.binding.cliSessionId }),
          ...(run.plan.sessionIdSent === undefined ? {} : { sent: run.plan.sessionIdSent }),
          resume: run.plan.resume,
          newSession: run.plan.newSession,
          continuation: run.plan.continuation,
          historyTurns: run.plan.historyTurns,
        },
      });
    } else if (this.#cliInput !== undefined) {
      const plan = planCliTurn(this.#cliInput, { env: {}, newSessionId: () => NEW_SESSION_PLACEHOLDER });
      Object.assign(attempt, {
        command: plan.command,
        argv: redactArgv(plan.argv, context.request),
        // a process that ran (it exited or was killed) ran this argv; else it is what would have run
        ...(attempt.exitCode === undefined && attempt.signal === undefined ? { argvPlanned: true } : {}),
        cwd: plan.cwd,
        stdinChars: plan.stdin?.length ?? 0,
        session: {
          ...(this.#cliInput.binding === undefined ? {} : { stored: this.#cliInput.binding.cliSessionId }),
          ...(plan.sessionIdSent === undefined ? {} : { sent: plan.sessionIdSent }),
          resume: plan.resume,
          newSession: plan.newSession,
          continuation: plan.continuation,
          historyTurns: plan.historyTurns,
        },
      });
    }
    return attempt;
  }
}
