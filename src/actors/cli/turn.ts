/**
 * The CLI child actor of a request: plan → preflight → (serialize lane) → run the process.
 *
 * Rationale: `docs/sessions.md#serialize-lanes` (only the spawn/wait step is queued, one lane per
 * backend id), `docs/sessions.md#working-directory` (a session resumes only from its own cwd),
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
  /** Lanes of `serialize: true` backends (keyed by backend id); the runtime owns one per instance. */
  queue: KeyedQueue;
  /** Place in the serialize lane (the request's arrival number; lower first). @default arrival at the lane */
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
  watch?: Omit<CliWatchOptions, 'cli' | 'backendId'> | false;
  /**
   * Receives the answer text as the CLI prints it (`output: "jsonl"` runs only, see
   * `CliTextStream`). When it got any text, the output carries it (`streamedText`) and a failure of
   * the run is marked `outputSent`.
   */
  onText?: (text: string) => void;
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
 * once with the classified reason. The attempt's `timeoutMs` is also the process's overall
 * deadline, so the run ends by itself even without the request machine's timer.
 *
 * @throws {AttemptError} from the preflight (`config`), the queue (`aborted` while waiting) or
 *   {@link runCliProcess}.
 */
export async function executeCliTurnRequest(input: CliTurnRequest, signal: AbortSignal, deps: RunCliTurnDeps): Promise<CliRunOutput> {
  let plan = planCliTurn(input, deps.plan);
  if (!plan.newSession && input.binding !== undefined && !(await isDirectory(input.binding.cwd))) {
    plan = planCliTurn({ ...input, forceNewSession: true }, deps.plan);
  }
  checkCliPreflight(plan, { backendId: input.backend.id, ...(deps.uid === undefined ? {} : { uid: deps.uid }) });
  const runProcess = deps.runProcess ?? runCliProcess;
  const watching = plan.parseMode === 'jsonl' && deps.watch !== false;
  const stream = plan.parseMode === 'jsonl' && deps.onText !== undefined ? new TextForwarder(deps.onText) : undefined;
  const run = (): Promise<CliRunOutput> =>
    runProcess(plan, {
      ...(stream === undefined ? {} : { onOutput: stream.onOutput }),
      signal,
      backendId: input.backend.id,
      deadlineMs: input.timeoutMs,
      ...(watching
        ? { watch: new CliOutputWatcher({ ...deps.watch, cli: cliLabel(plan.command, input.backend.id), backendId: input.backend.id }) }
        : {}),
      ...(deps.onEvent === undefined ? {} : { onEvent: deps.onEvent }),
    });
  const running = input.backend.serialize ? deps.queue.run(input.backend.id, run, signal, deps.order) : run();
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
