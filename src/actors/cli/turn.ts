/**
 * The CLI child actor of a request: plan → preflight → a backend slot → run the process.
 *
 * Rationale: `docs/sessions.md#serialize-lanes` and `docs/sessions.md#backend-slots` (only the
 * spawn/wait step is queued, one lane per backend id, bounded by `maxConcurrent` and `maxQueue`),
 * `docs/sessions.md#working-directory` (a session resumes only from its own cwd),
 * `docs/cli-contracts.md#retry-watch` (JSONL runs are watched for retry notices so a failing
 * provider is given up in seconds).
 */
import { stat } from 'node:fs/promises';
import { planCliTurn, type PlanCliTurnOptions } from './plan.js';
import { checkCliPreflight } from './preflight.js';
import { runCliProcess, type CliProcessEvent } from './process.js';
import { CliOutputWatcher, type CliWatchOptions } from './watch.js';
import type { KeyedQueue } from './queue.js';
import { cliLabel } from './parse/index.js';
import type { CliRunOutput, CliTurnRequest } from '../types.js';
import { CliTextStream } from './stream-text.js';
import { withOutputSent } from '../../errors.js';

/** Dependencies of {@link executeCliTurnRequest} (the runtime passes its own lanes and event sink). */
export interface RunCliTurnDeps {
  /** The backend slots (keyed by backend id; every turn goes through them); the runtime owns one per instance. */
  queue: KeyedQueue;
  /** Place in the backend's line of waiting turns (the request's arrival number; lower first). @default arrival at the queue */
  order?: number;
  /** Runs the planned process. @default {@link runCliProcess} */
  runProcess?: typeof runCliProcess;
  /** Passed to `planCliTurn` (base env, session id generator). */
  plan?: PlanCliTurnOptions;
  /** Effective uid for the root preflight. @default process.getuid() */
  uid?: number;
  /** Receives the running CLI's retry notices and the decision to give up (traces, `--verbose`). */
  onEvent?: (event: CliProcessEvent) => void;
  /** Limits of the retry watch (`CliOutputWatcher`); `false` turns the watch off. @default {} (the watch's own defaults) */
  watch?: Omit<CliWatchOptions, 'cli' | 'backendId' | 'source'> | false;
  /**
   * Receives the answer text as the CLI prints it (`output: "jsonl"` runs only, see
   * `CliTextStream`). When it got any text, the output carries it (`streamedText`) and a failure of
   * the run is marked `outputSent`.
   */
  onText?: (text: string) => void;
  /** Folder of the crash records of the spawned process group (`RunCliProcessOptions.runDir`). Unset: not recorded. */
  runDir?: string;
}

/** Whether `path` is an existing directory (a CLI session's cwd still there); never throws. */
export async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Run one CLI turn (without the actor wrapper). A stored session whose cwd no longer exists is
 * planned as a new session instead of failing to resume.
 *
 * Runs parsed as `jsonl` (Claude `stream-json`, Codex `--json`) are watched while they run
 * (`CliOutputWatcher`): a retry notice that cannot heal (401/403, quota, unknown model), Codex
 * waiting for an unreachable network, a long announced wait or too many retries ends the attempt at
 * once with the classified reason. Every run's stderr is watched for Gemini's `Attempt N failed with
 * status S` notices the same way. The attempt's `timeoutMs` is also the process's overall
 * deadline, counted from the start of this call (the wait for a backend slot uses it up), so the run
 * ends by itself even without the request machine's timer.
 *
 * The turn waits for one of the backend's `maxConcurrent` slots (unbounded unless set; 1 with
 * `serialize: true`) in arrival order; with `maxQueue` turns already waiting it fails at once with
 * `queue_full` and spawns nothing, and so does a turn still waiting at its attempt deadline.
 *
 * @throws {AttemptError} from the preflight (`config`), the queue (`aborted` while waiting,
 *   `queue_full` with a `retryAfterMs` estimate) or {@link runCliProcess}.
 */
export async function executeCliTurnRequest(input: CliTurnRequest, signal: AbortSignal, deps: RunCliTurnDeps): Promise<CliRunOutput> {
  let plan = planCliTurn(input, deps.plan);
  if (!plan.newSession && input.binding !== undefined && !(await isDirectory(input.binding.cwd))) {
    plan = planCliTurn({ ...input, forceNewSession: true }, deps.plan);
  }
  checkCliPreflight(plan, { backendId: input.backend.id, ...(deps.uid === undefined ? {} : { uid: deps.uid }) });
  const runProcess = deps.runProcess ?? runCliProcess;
  const watching = plan.parseMode === 'jsonl' && deps.watch !== false;
  const watchNames = { cli: cliLabel(plan.command, input.backend.id), backendId: input.backend.id };
  const stream = plan.parseMode === 'jsonl' && deps.onText !== undefined ? new TextForwarder(deps.onText) : undefined;
  const queuedAt = performance.now();
  const run = (): Promise<CliRunOutput> =>
    runProcess(plan, {
      ...(stream === undefined ? {} : { onOutput: stream.onOutput }),
      signal,
      backendId: input.backend.id,
      deadlineMs: Math.max(1, Math.round(input.timeoutMs - (performance.now() - queuedAt))),
      ...(watching ? { watch: new CliOutputWatcher({ ...deps.watch, ...watchNames }) } : {}),
      ...(deps.watch === false ? {} : { watchStderr: new CliOutputWatcher({ ...deps.watch, ...watchNames, source: 'stderr' }) }),
      ...(deps.onEvent === undefined ? {} : { onEvent: deps.onEvent }),
      ...(deps.runDir === undefined ? {} : { runDir: deps.runDir }),
    });
  const { maxConcurrent, maxQueue } = input.backend;
  const running = deps.queue.run(input.backend.id, run, {
    signal,
    order: deps.order,
    limit: maxConcurrent ?? Number.POSITIVE_INFINITY,
    maxWaiting: maxQueue,
    maxWaitMs: input.timeoutMs,
  });
  if (stream === undefined) return running;
  try {
    const output = await running;
    return stream.text === '' ? output : { ...output, streamedText: stream.text };
  } catch (error) {
    throw stream.text === '' ? error : withOutputSent(error);
  }
}

/** Feeds stdout to a {@link CliTextStream} and forwards its text, keeping what was forwarded. */
class TextForwarder {
  text = '';
  readonly #text = new CliTextStream();
  readonly #onText: (text: string) => void;

  constructor(onText: (text: string) => void) {
    this.#onText = onText;
  }

  readonly onOutput = (stream: 'stdout' | 'stderr', chunk: string): void => {
    if (stream !== 'stdout') return;
    for (const piece of this.#text.feed(chunk)) {
      this.text += piece;
      this.#onText(piece);
    }
  };
}
