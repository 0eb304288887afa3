/**
 * The runtime an embedding gateway (or the `safetynet` CLI) creates once: it holds the resolved
 * config, the session store and the request machine with its actors injected, and runs requests.
 */
import { join, resolve } from 'node:path';
import { createActor, toPromise } from 'xstate';
import { customAlphabet } from 'nanoid';
import { loadConfig, resolveCandidates } from '../config/index.js';
import type { ResolvedConfig } from '../config/types.js';
import { stageImages } from './images.js';
import { RUN_FOLDER_NAME, reapOrphans } from '../actors/cli/orphans.js';
import { safetynetHome } from '../config/home.js';
import type { CliRunOutput, CliTurnRequest } from '../actors/types.js';
import { RequestError, SafetynetError, AttemptError, UsageError } from '../errors.js';
import { requestMachine, type RequestEvent } from '../machines/request-machine.js';
import type { CliProcessEvent } from '../actors/cli/process.js';
import type { Candidate, RequestInput, RequestOutput } from '../machines/types.js';
import type { CooldownEntry } from '../store/index.js';
import type { StoreHealth } from '../store/ports.js';
import { defaultStoreLocation } from '../store/state-location.js';
import { withLockDeadline } from '../store/lock-deadline.js';
import type { CandidateList } from '../config/index.js';
import { forPassthrough, inConfiguredOrder, withProviders } from './candidates.js';
import { RuntimeState } from './runtime-state.js';
import { DEFAULT_STORE_IDLE_CLOSE_MS, type RuntimeOptions } from './runtime-options.js';

export type { RuntimeOptions };

/**
 * A new request id: 21 characters of `0-9A-Za-z` (about 125 bits, as nanoid's default). Without
 * nanoid's `-` and `_`, an id never starts with `-`, so `safetynet trace <id>` never reads it as a flag.
 */
const newRequestId = customAlphabet('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', 21);
import { PassthroughCalls } from './passthrough-calls.js';
import type { PassthroughFormat } from '../actors/api/types.js';
import { formatAttempts } from '../failover/advice.js';
import { createRequestActors } from '../actors/create-request-actors.js';
import { CliTurns, type CliStats } from './cli-turns.js';
import { callWithSameCandidateRetry } from '../actors/api/same-candidate-retry.js';
import { reportAttempts, requestParts, toRunResult, validateRunRequest, type RunRequest, type RunResult } from './request.js';
import { fanOut, type InspectObserver } from '../inspection/fan-out.js';
import type { SessionLanes } from './session-lane.js';
import { imagePlaceholders, loadConversation, sessionsApi, type SessionsApi } from './conversation.js';
import { cooldownsApi, type CooldownsApi } from './cooldowns-api.js';

export type { SessionsApi };
import { RequestTracing, type TracesApi } from './tracing.js';
import { redactAttempt, redactError, redactRunResult, runtimeRedactor, type Redact } from './redaction.js';
import { AnswerStreams } from './answer-streams.js';

/**
 * A safetynet runtime. Create it with {@link createRuntime}, call {@link Runtime.run} per request,
 * and {@link Runtime.close} when done (waits for running requests, then closes the store).
 */
export class Runtime {
  /** The validated, merged configuration. */
  readonly config: ResolvedConfig;
  readonly #runDir: string | undefined;
  /** The state stores, and the rules of reading and writing them around requests. */
  readonly #state: RuntimeState;
  readonly #machine;
  /** The session lanes (on the store's lane locks), loaded on the first keyed request. */
  #sessionLanes: Promise<SessionLanes> | undefined;
  /** The CLI turns, in their backend slots (`maxConcurrent`, `maxQueue`). */
  readonly #cliTurns = new CliTurns();
  readonly #running = new Set<Promise<unknown>>();
  #closed = false;
  readonly #tracing: RequestTracing;
  #api: Promise<typeof import('../actors/api/call-api.js')> | undefined;
  /** The running request actors, by request id (CLI retry notices are sent to them). */
  readonly #actors = new Map<string, { send(event: RequestEvent): void }>();
  /** Arrival number of each running request (its place in the backends' lines of waiting turns), by request id. */
  readonly #arrivals = new Map<string, number>();
  #arrived = 0;
  readonly #inspect: InspectObserver | undefined;
  /** The `onText` callers of the running requests. */
  readonly #answers = new AnswerStreams();
  /** The passthrough requests in flight (bodies, raw-event callers, final messages). */
  readonly #passthroughs = new PassthroughCalls();
  readonly #onWarning: ((message: string) => void) | undefined;
  /** The clock of cooldowns and probes (`RuntimeOptions.now`). */
  readonly #now: () => number;
  /** Scrubs credentials from what leaves `run()`: attempts, warnings, errors (`./redaction.ts`). */
  readonly #redact: Redact;

  constructor(
    config: ResolvedConfig,
    storeLocation: string,
    options: Pick<RuntimeOptions, 'inspect' | 'onWarning' | 'storeIdleCloseMs' | 'now'> & {
      /**
       * Folder of the crash records: the CLI process groups and temp image folders alive in this
       * process, reaped by the next runtime created on the same folder if this process dies without
       * cleaning up (e.g. `kill -9`; see `src/actors/cli/orphans.ts`). Linux only. Unset: nothing is
       * recorded ({@link createRuntime} sets `$SAFETYNET_HOME/run`).
       */
      runDir?: string;
    } = {},
  ) {
    this.config = config;
    this.#runDir = options.runDir;
    this.#inspect = options.inspect;
    this.#redact = runtimeRedactor(config);
    const { onWarning } = options;
    this.#onWarning = onWarning === undefined ? undefined : (message) => onWarning(this.#redact(message));
    this.#now = options.now ?? Date.now;
    this.#state = new RuntimeState({
      config,
      storeLocation,
      idleCloseMs: options.storeIdleCloseMs ?? DEFAULT_STORE_IDLE_CLOSE_MS,
      now: this.#now,
      warn: (message) => this.#onWarning?.(message),
    });
    this.#tracing = new RequestTracing(
      config,
      () => this.#state.traces(),
      (traces) => this.#state.saveTraces(traces),
    );
    this.#machine = requestMachine.provide({
      actors: createRequestActors({
        sessions: () => this.#state.sessions(),
        cooldowns: async () => (await this.#state.open()).cooldowns,
        runTurn: (input, signal) => this.#runTurn(input, signal),
        callApi: async (input, signal) => {
          const model = `${input.provider.id}/${input.model}`;
          const passthrough = this.#passthroughs.attempt(input.requestId, model);
          const turn = await callWithSameCandidateRetry(
            (await this.#apiModule()).callApi,
            { ...input, clocks: this.config.streaming, ...passthrough.input },
            signal,
            this.config.retry.sameCandidateMaxMs,
            { ...this.#answers.attempt(input.requestId, model), ...passthrough.options },
          );
          this.#passthroughs.answered(input.requestId, turn);
          return turn;
        },
        inBackground: (write) => this.#state.writeCooldown(write),
        now: this.#now,
        hostId: config.store.hostId,
      }),
    });
  }

  /**
   * Run one request through the request machine: candidates in order (the requested model or the
   * configured primary, then the fallbacks), each CLI candidate as a child process, until one
   * answers. With a session key, the conversation so far (the key's transcript, or `messages`) goes
   * to every candidate, and the exchange is added to the transcript when it was answered.
   *
   * @returns the answer, the model that gave it, the CLI session id and every attempt.
   * @throws {UsageError} `SAFETYNET_USAGE`, `SAFETYNET_MODEL_NOT_ALLOWED`, `SAFETYNET_IMAGE_INVALID` for a bad request.
   * @throws {RequestError} `SAFETYNET_ALL_CANDIDATES_FAILED` (with `attempts`) or `SAFETYNET_ABORTED`.
   * @throws {StoreError} with a session key, before any candidate runs, when its transcript cannot be
   *   read: `SAFETYNET_STORE_LOCKED` (the state folder stayed locked by another process until the
   *   deadline), `SAFETYNET_STORE_FAILED` (damaged, read-only or not creatable; the message ends with
   *   the fix, `safetynet doctor --repair` for a damaged folder), `SAFETYNET_STORE_UNAVAILABLE` (Redis).
   *   A one-shot request never fails for the store: cooldown reads fail open (one warning per outage,
   *   see `StoreOutage`), trace and cooldown writes only warn.
   * @throws {SessionBusyError} `SAFETYNET_SESSION_BUSY` when another turn of the session key (in this
   *   process or another one) held the lane past the attempt deadline.
   */
  run(request: RunRequest): Promise<RunResult> {
    if (this.#closed)
      return Promise.reject(new SafetynetError('SAFETYNET_RUNTIME_CLOSED', 'this safetynet runtime was closed; create a new one'));
    const running = this.#run(request);
    this.#running.add(running);
    void running.finally(() => this.#running.delete(running)).catch(() => undefined);
    return running;
  }

  /**
   * The CLI turns right now (read-only, e.g. for `/metrics`): `running` turns hold one of their
   * backend's `maxConcurrent` slots (a process starting, running or being read), `waiting` ones wait
   * for a slot (at most `maxQueue` per backend); `byBackend` lists busy backends only. A fresh object each call.
   */
  cliStats(): CliStats {
    return this.#cliTurns.stats();
  }

  /**
   * The cooldowns in force now (`until` later than now), sorted by key, e.g. for `/metrics`; a state
   * folder that does not exist yet holds none and is not created.
   * @throws {StoreError} `SAFETYNET_STORE_LOCKED` / `SAFETYNET_STORE_FAILED` when the folder cannot be read.
   */
  activeCooldowns(): Promise<CooldownEntry[]> {
    return this.#state.activeCooldowns();
  }

  /**
   * Check the state store now (`/readyz`, `safetynet doctor`): Redis answers `PING` (with its version
   * and the round trip in ms), or the LevelDB folder can be read. Never rejects.
   */
  storeHealth(): Promise<StoreHealth> {
    return this.#state.health();
  }

  /** How many cooldown reads failed open since the start (the shared store was unavailable; routed as if nothing cooled down). */
  get failOpenReads(): number {
    return this.#state.failOpenReads;
  }

  /** The cooldowns of the state store: `list()` those in force, `clear(ref | provider | 'all')` (see `CooldownsApi`). */
  get cooldowns(): CooldownsApi {
    return cooldownsApi(() => this.#state.cooldownStorage(), this.config, this.#now);
  }

  /** The stored CLI sessions. */
  get sessions(): SessionsApi {
    return sessionsApi(() => this.#state.sessions(), Object.keys(this.config.backends));
  }

  /** The stored request traces (newest first; see `safetynet trace`), including those still being written. */
  get traces(): TracesApi {
    const { api } = this.#tracing;
    return {
      last: async () => {
        await this.#state.writesDone();
        return api.last();
      },
      find: async (id) => {
        await this.#state.writesDone();
        return api.find(id);
      },
      list: async (limit) => {
        await this.#state.writesDone();
        return api.list(limit);
      },
    };
  }

  /** Wait for running requests to end, then release the store. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled([...this.#running]);
    await this.#state.writesDone();
    await (await this.#sessionLanes?.catch(() => undefined))?.close();
    await this.#state.close();
  }

  /** Run the request with its trace recorder among the inspection observers; store the trace at the end. */
  async #run(request: RunRequest): Promise<RunResult> {
    validateRunRequest(request);
    const requestId = newRequestId();
    this.#arrivals.set(requestId, ++this.#arrived);
    const recorder = this.#tracing.start(requestId, request.sessionKey ?? null);
    const closeStream = this.#answers.open(requestId, request.onText);
    const closePassthrough = this.#passthroughs.open(requestId, request);
    try {
      const answer = await this.#execute(request, requestId, fanOut([recorder?.inspect, this.#inspect, request.inspect]));
      const passthrough = this.#passthroughs.result(requestId);
      const result = passthrough === undefined ? answer : { ...answer, passthrough };
      this.#saveTrace(recorder, { warnings: result.warnings });
      return redactRunResult(result, this.#redact);
    } catch (error) {
      // A usage error (bad model ref, model not allowed, bad image) ends the request before any
      // attempt: it leaves no trace, so it never becomes `trace --last`.
      if (!(error instanceof UsageError)) this.#saveTrace(recorder, { error });
      throw redactError(error, this.#redact);
    } finally {
      closeStream();
      closePassthrough();
      this.#arrivals.delete(requestId);
    }
  }

  /**
   * Store the trace off the request's path (it starts after the caller got the answer and does not
   * wait for LevelDB, `RuntimeState.writeTrace`); `close()` and the trace readers wait for pending
   * writes. A failed write goes to `onWarning`.
   */
  #saveTrace(recorder: Parameters<RequestTracing['save']>[0], outcome: Parameters<RequestTracing['save']>[1]): void {
    if (recorder === undefined) return;
    const endedAt = Date.now();
    this.#state.writeTrace(() => this.#tracing.save(recorder, outcome, endedAt));
  }

  /** The session lanes, on the store's lane locks; one-shot requests never load them. */
  #lanes(): Promise<SessionLanes> {
    this.#sessionLanes ??= Promise.all([import('./session-lane.js'), this.#state.open()]).then(
      ([{ SessionLanes }, { lanes }]) => new SessionLanes({ locks: lanes, onWarning: (message) => this.#onWarning?.(message) }),
    );
    return this.#sessionLanes;
  }

  /** The API actors, loaded on the first API call (the CLI-only path never loads the SDKs). */
  #apiModule(): Promise<typeof import('../actors/api/call-api.js')> {
    this.#api ??= import('../actors/api/call-api.js');
    return this.#api;
  }

  /**
   * Run the request with the store's lock waits bounded by its deadline (`timeoutMs`): a state folder
   * kept locked by another process fails the request's store calls then, not after a fixed budget.
   */
  #execute(request: RunRequest, requestId: string, inspect: InspectObserver | undefined): Promise<RunResult> {
    return withLockDeadline(request.timeoutMs ?? this.config.attemptTimeoutMs, () => this.#executeInDeadline(request, requestId, inspect));
  }

  async #executeInDeadline(request: RunRequest, requestId: string, inspect: InspectObserver | undefined): Promise<RunResult> {
    const startedAt = performance.now();
    const { signal } = request;
    if (signal?.aborted)
      throw new RequestError('SAFETYNET_ABORTED', 'the request was aborted before it started', { attempts: [], requestId });
    const parts = requestParts(request);
    const refs = resolveCandidates(this.config, request.model);
    const sessionKey = request.sessionKey ?? null;
    // A passthrough request stores no transcript and no CLI session (the client keeps the tool conversation).
    const storedKey = request.passthrough === undefined ? sessionKey : null;
    const attemptTimeoutMs = request.timeoutMs ?? this.config.attemptTimeoutMs;
    const staged = await stageImages(parts.images, this.#runDir === undefined ? {} : { runDir: this.#runDir });
    try {
      // Inside the lane: the conversation is read after the previous turn of the key was written.
      const output = await this.#inSessionLane(sessionKey, attemptTimeoutMs, signal, async () => {
        const input: RequestInput = {
          requestId,
          candidates: await this.#candidates(refs, request.passthrough?.format, storedKey !== null),
          sessionKey: storedKey,
          attemptTimeoutMs,
          request: {
            prompt: parts.message,
            systemPrompt: parts.systemPrompt,
            images: staged.images,
            imagePlaceholders: imagePlaceholders(parts.images, staged.images),
            cwd: resolve(request.cwd ?? '.'),
          },
          conversation: await loadConversation(() => this.#state.sessions(), {
            sessionKey: storedKey,
            history: parts.history,
            requestId,
          }),
          historyChars: this.config.sessions.historyChars,
        };
        return this.#drive(input, signal, request.onAttempt, inspect);
      });
      const timeoutName = request.timeoutName ?? (request.timeoutMs === undefined ? undefined : 'timeoutMs');
      return this.#finish(output, { sessionKey, requestId }, startedAt, timeoutName);
    } finally {
      await this.#cliTurns.ended(requestId);
      await staged.dispose();
    }
  }

  /**
   * Requests of one session key run one at a time, in arrival order, across the processes sharing
   * the state folder (one conversation, one turn; `docs/sessions.md#session-lanes-across-processes`).
   * The wait is bounded by the attempt deadline.
   * @throws {SessionBusyError} `SAFETYNET_SESSION_BUSY` when the lane stayed busy for the whole wait.
   */
  async #inSessionLane(
    sessionKey: string | null,
    waitMs: number,
    signal: AbortSignal | undefined,
    task: () => Promise<RequestOutput>,
  ): Promise<RequestOutput> {
    if (sessionKey === null) return task();
    try {
      return await (await this.#lanes()).run(sessionKey, task, { waitMs, signal });
    } catch (error) {
      if (error instanceof AttemptError && error.reason === 'aborted') return { status: 'aborted', attempts: [] };
      throw error;
    }
  }

  async #drive(
    input: RequestInput,
    signal: AbortSignal | undefined,
    onAttempt: RunRequest['onAttempt'],
    inspect: InspectObserver | undefined,
  ): Promise<RequestOutput> {
    const actor = createActor(this.#machine, { input, id: `request-${input.requestId}`, ...(inspect === undefined ? {} : { inspect }) });
    this.#actors.set(input.requestId, actor);
    const cancel = () => actor.send({ type: 'CANCEL' });
    signal?.addEventListener('abort', cancel, { once: true });
    if (onAttempt !== undefined) reportAttempts(actor, (attempt) => onAttempt(redactAttempt(attempt, this.#redact)));
    try {
      actor.start();
      if (signal?.aborted) cancel();
      return await toPromise(actor);
    } finally {
      this.#actors.delete(input.requestId);
      signal?.removeEventListener('abort', cancel);
      actor.stop();
    }
  }

  #finish(
    output: RequestOutput,
    input: Pick<RequestInput, 'sessionKey' | 'requestId'>,
    startedAt: number,
    timeoutName: string | undefined,
  ): RunResult {
    const durationMs = Math.round(performance.now() - startedAt);
    if (output.status === 'answered') return toRunResult(output, input, durationMs);
    if (output.status === 'aborted') {
      throw new RequestError('SAFETYNET_ABORTED', 'the request was aborted by the caller', {
        attempts: output.attempts,
        requestId: input.requestId,
      });
    }
    if (output.interrupted === true) {
      const message = `the answer was interrupted after part of it was streamed (no fallback after streamed output):\n${formatAttempts(output.attempts, timeoutName)}`;
      throw new RequestError('SAFETYNET_STREAM_INTERRUPTED', message, { attempts: output.attempts, requestId: input.requestId });
    }
    // Candidates, not attempts: one skipped for its cooldown and tried as the last resort has two attempts.
    const tried = new Set(output.attempts.filter((attempt) => !attempt.skipped).map((attempt) => attempt.model)).size;
    const total = new Set(output.attempts.map((attempt) => attempt.model)).size;
    const message = `every candidate failed (${tried} tried of ${total}):\n${formatAttempts(output.attempts, timeoutName)}`;
    throw new RequestError('SAFETYNET_ALL_CANDIDATES_FAILED', message, { attempts: output.attempts, requestId: input.requestId });
  }

  /** Run a CLI turn in its backend's slots; the request waits for it before it returns. */
  #runTurn(input: CliTurnRequest, signal: AbortSignal): Promise<CliRunOutput> {
    const order = this.#arrivals.get(input.requestId ?? '');
    // The CLI's retry notices go to the request's machine, so attempts, traces and the inspector see them.
    const onEvent = (event: CliProcessEvent) => {
      if (event.type === 'cli.retry') this.#actors.get(input.requestId ?? '')?.send({ type: 'cli.retry', notice: event.message });
    };
    return this.#cliTurns.run(input, signal, {
      onEvent,
      ...this.#answers.attempt(input.requestId, `${input.backend.id}/${input.model}`),
      ...(order === undefined ? {} : { order }),
      ...(this.#runDir === undefined ? {} : { runDir: this.#runDir }),
    });
  }

  /**
   * Attach each candidate's provider (CLI backend or API provider) and cooldown state (read from the
   * store at every request, `RuntimeState.withCooldowns`). For a passthrough request, the candidates
   * that cannot serve its format are skipped first (`forPassthrough`).
   */
  async #candidates(refs: CandidateList, passthrough: PassthroughFormat | undefined, keyed: boolean): Promise<Candidate[]> {
    const candidates = await this.#state.withCooldowns(forPassthrough(withProviders(refs, this.config), passthrough), keyed);
    return inConfiguredOrder(candidates, refs.skipped);
  }
}

/**
 * Create a runtime from a config object, a config file, or the default config lookup
 * (`SAFETYNET_CONFIG`, else `$SAFETYNET_HOME/config.json5`, else built-in defaults).
 *
 * On Linux, first reaps what a safetynet process that died without cleaning up (`kill -9`) left
 * behind, from the crash records in `$SAFETYNET_HOME/run` (its CLI process groups and temp image
 * folders; `src/actors/cli/orphans.ts`); the runtime records its own there. Costs one `readdir`
 * when there is nothing to reap.
 *
 * @throws {ConfigError} `SAFETYNET_CONFIG_NOT_FOUND`, `SAFETYNET_CONFIG_SYNTAX`, `SAFETYNET_CONFIG_INVALID`.
 */
export async function createRuntime(options: RuntimeOptions = {}): Promise<Runtime> {
  const env = options.env ?? process.env;
  const config = await loadConfig({
    env,
    ...(options.configFile === undefined ? {} : { file: options.configFile }),
    ...(options.config === undefined ? {} : { inline: options.config }),
  });
  // Crash records under $SAFETYNET_HOME/run: what a dead safetynet process left is reaped here.
  const runDir = join(safetynetHome(env), RUN_FOLDER_NAME);
  await reapOrphans(runDir);
  // Resolved once: the trace journal beside the folder and the folder's LevelDB handle (opened
  // later) must name the same place even if the working directory changes meanwhile.
  return new Runtime(config, resolve(options.storeLocation ?? defaultStoreLocation(env)), {
    runDir,
    ...(options.inspect === undefined ? {} : { inspect: options.inspect }),
    ...(options.onWarning === undefined ? {} : { onWarning: options.onWarning }),
    ...(options.storeIdleCloseMs === undefined ? {} : { storeIdleCloseMs: options.storeIdleCloseMs }),
    ...(options.now === undefined ? {} : { now: options.now }),
  });
}
