/**
 * The trace of one request, recorded from its inspection events (an observer fanned out next to
 * `--verbose` and the inspector) and completed with how the request ended.
 */
import type { InspectionEvent, Observer } from 'xstate';
import { RequestError, SafetynetError } from '../errors.js';
import { keepsCliSession } from '../machines/request-context.js';
import type { RequestTrace, TraceSession, TraceStatus } from '../store/trace-types.js';
import { createSanitizer } from './sanitize.js';
import { RequestProgress } from './progress.js';

/** Options of {@link TraceRecorder}. */
export interface TraceRecorderOptions {
  /** The request id. */
  requestId: string;
  /** The caller's conversation key, or `null`. */
  sessionKey: string | null;
  /** Exact credentials scrubbed from every string of the trace (see `configSecrets`). */
  secrets?: Iterable<string>;
}

/** How the request ended, as the runtime saw it. */
export interface TraceOutcome {
  /** What `run()` threw, if it threw. */
  error?: unknown;
  /** Warnings of the request (e.g. the CLI session id could not be stored). */
  warnings?: readonly string[];
}

/**
 * Records one request. Pass {@link TraceRecorder.inspect} to `createActor` (through `fanOut`), then
 * call {@link TraceRecorder.finish} once the request ended, whatever way it ended.
 *
 * @example
 * const recorder = new TraceRecorder({ requestId, sessionKey: null });
 * createActor(machine, { input, inspect: fanOut([recorder.inspect, userObserver]) });
 * // … after the request:
 * await traceStore.write(recorder.finish({ error }));
 */
export class TraceRecorder {
  /** The inspection observer feeding this recorder. */
  readonly inspect: Observer<InspectionEvent>;
  readonly #progress: RequestProgress;
  readonly #options: TraceRecorderOptions;
  readonly #createdAt = Date.now();
  readonly #createdAtPerf = performance.now();

  constructor(options: TraceRecorderOptions) {
    this.#options = options;
    this.#progress = new RequestProgress();
    this.inspect = this.#progress;
  }

  /**
   * The finished trace: states, attempts, the answering model and CLI session, and the outcome.
   * Strings are scrubbed of the configured secrets and of credentials inside URLs, and the prompt
   * and system prompt (8+ characters, and each of their lines of 8+ characters) are replaced by
   * `(prompt)` wherever they occur (a CLI's stderr tail that echoes them). Call it after the request ended.
   *
   * @param now epoch ms of the end. @default Date.now()
   */
  finish(outcome: TraceOutcome = {}, now: number = Date.now()): RequestTrace {
    const progress = this.#progress;
    const output = progress.output;
    const context = progress.context;
    const startedAt = progress.startedAt ?? this.#createdAt;
    const status: TraceStatus =
      output?.status ?? (SafetynetError.is(outcome.error) && outcome.error.code === 'SAFETYNET_ABORTED' ? 'aborted' : 'error');
    const trace: RequestTrace = {
      version: 1,
      requestId: this.#options.requestId,
      startedAt,
      endedAt: now,
      durationMs:
        progress.startedAt === undefined ? Math.max(0, Math.round(performance.now() - this.#createdAtPerf)) : Math.max(0, now - startedAt),
      status,
      ...(output?.status === 'answered' ? { model: output.model } : {}),
      sessionKey: this.#options.sessionKey,
      session: this.#session(),
      ...(context === undefined
        ? {}
        : {
            promptChars: context.request.prompt.length,
            ...(context.request.systemPrompt === undefined ? {} : { systemPromptChars: context.request.systemPrompt.length }),
            images: context.request.images.length,
          }),
      steps: [...progress.steps],
      attempts: [...progress.attempts],
    };
    if (outcome.error !== undefined && !(outcome.error instanceof RequestError && outcome.error.code === 'SAFETYNET_ABORTED')) {
      trace.error = {
        code: SafetynetError.is(outcome.error) ? outcome.error.code : 'UNKNOWN',
        message: outcome.error instanceof Error ? outcome.error.message : String(outcome.error),
      };
    }
    if (outcome.warnings !== undefined && outcome.warnings.length > 0) trace.warnings = [...outcome.warnings];
    // A trace keeps no prompt: a CLI that echoes it on stderr has it cut from the stored tails.
    const prompts = context === undefined ? [] : [context.request.prompt, context.request.systemPrompt ?? ''];
    return createSanitizer({ secrets: this.#options.secrets ?? [], prompts })(trace) as RequestTrace;
  }

  /** The CLI session binding of the answer, when it keeps one (`keepsCliSession`). */
  #session(): TraceSession | null {
    const { output, context } = this.#progress;
    if (output?.status !== 'answered' || context === undefined || !keepsCliSession(context, output.cliSessionId)) return null;
    const cli = context.candidates[context.index]?.cli;
    if (context.sessionKey === null || cli === undefined || output.cliSessionId === null) return null;
    return {
      sessionKey: context.sessionKey,
      backendId: cli.id,
      cliSessionId: output.cliSessionId,
      resumed: context.run?.plan.newSession === false,
    };
  }
}
