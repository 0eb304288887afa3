/**
 * Pure planning of one CLI turn: session resolution, argv, prompt delivery, cwd, parse mode and the
 * no-output watchdog. No I/O; the result is a plain {@link CliTurnPlan}.
 *
 * Rationale: `docs/cli-contracts.md#argv-order`, `#prompt-separator` (`--` before the prompt),
 * `#stdin` (/dev/null in arg mode), `#long-prompts`, `#deadlines-and-kill-order` (watchdog),
 * `#images`; `docs/sessions.md#session-modes` and `#working-directory` (sessions bound to their
 * cwd).
 */
import { randomUUID } from 'node:crypto';
import { PROMPT_PLACEHOLDER } from '../../config/builtins.js';
import type { ResolvedCliBackend, WatchdogConfig } from '../../config/types.js';
import { buildCliEnv } from './env.js';
import { DEFAULT_HISTORY_PROMPT_CHARS } from '../../config/session-defaults.js';
import { missedTurns } from '../../conversation/continuation.js';
import { composePrompt, renderHistoryBlock, selectHistory, type HistorySelection } from '../../conversation/history-block.js';
import type { CliTurnPlan, CliTurnRequest } from '../types.js';

/** Options of {@link planCliTurn}. */
export interface PlanCliTurnOptions {
  /** Inherited environment the child env is built from (see `buildCliEnv`). @default process.env */
  env?: NodeJS.ProcessEnv;
  /** Generates the id of a new session in `sessionMode: "always"`. @default crypto.randomUUID */
  newSessionId?: () => string;
}

/**
 * Map the model part of a ref to the CLI's model id (`modelAliases`, `docs/cli-contracts.md#argv-order`).
 *
 * Lookup: the exact key, then the trimmed key, then the lower-cased trimmed key in
 * `backend.modelAliases`; otherwise the trimmed model unchanged.
 *
 * @returns the CLI model id, or `''` for an empty/blank model (then no model arg is sent).
 */
export function resolveCliModel(backend: Pick<ResolvedCliBackend, 'modelAliases'>, model: string): string {
  const trimmed = model.trim();
  if (trimmed === '') return '';
  const aliases = backend.modelAliases;
  for (const key of [model, trimmed, trimmed.toLowerCase()]) {
    if (Object.hasOwn(aliases, key)) {
      const alias = aliases[key];
      if (alias !== undefined) return alias.trim();
    }
  }
  return trimmed;
}

/**
 * The no-output watchdog in ms for one run kind (`docs/cli-contracts.md#deadlines-and-kill-order`).
 *
 * A fixed `noOutputTimeoutMs` is floored and at least 1 000; otherwise
 * `clamp(floor(timeoutMs × ratio), minMs, maxMs)` with the ratio clamped to 0.05–0.95 (min and max
 * swapped when inverted). Either way capped at `max(1 000, timeoutMs − 1 000)`.
 *
 * @param profile - the `fresh` or `resume` watchdog of the backend.
 * @param timeoutMs - the attempt deadline in ms.
 */
export function resolveNoOutputTimeoutMs(
  profile: WatchdogConfig & Required<Pick<WatchdogConfig, 'noOutputTimeoutRatio' | 'minMs' | 'maxMs'>>,
  timeoutMs: number,
): number {
  let ms: number;
  if (profile.noOutputTimeoutMs !== undefined && Number.isFinite(profile.noOutputTimeoutMs)) {
    ms = Math.max(1000, Math.floor(profile.noOutputTimeoutMs));
  } else {
    const ratio = clamp(profile.noOutputTimeoutRatio, 0.05, 0.95);
    const low = Math.min(profile.minMs, profile.maxMs);
    const high = Math.max(profile.minMs, profile.maxMs);
    ms = clamp(Math.floor(timeoutMs * ratio), low, high);
  }
  return Math.min(ms, Math.max(1000, timeoutMs - 1000));
}

/** Replace every `{sessionId}` in every element. */
function substitute(args: readonly string[], sessionId: string): string[] {
  return args.map((arg) => arg.replaceAll('{sessionId}', sessionId));
}

/**
 * The base args with the prompt placed (`docs/cli-contracts.md#prompt-placeholder`): in arg mode every
 * {@link PROMPT_PLACEHOLDER} inside an element is replaced by the prompt (`--prompt={prompt}` →
 * `--prompt=<text>`, one element); in stdin mode the elements holding it are dropped. `placed` is
 * true when the base args carried the placeholder (then the prompt is not appended again).
 */
export function placePrompt(base: readonly string[], prompt: string, useStdin: boolean): { args: string[]; placed: boolean } {
  const placed = base.some((arg) => arg.includes(PROMPT_PLACEHOLDER));
  if (!placed) return { args: [...base], placed };
  if (useStdin) return { args: base.filter((arg) => !arg.includes(PROMPT_PLACEHOLDER)), placed };
  // A function replacer: `$&`, `$1`… in the prompt stay literal.
  return { args: base.map((arg) => arg.replaceAll(PROMPT_PLACEHOLDER, () => prompt)), placed };
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

/**
 * The history block of a turn and how it continues the conversation: a new session gets every
 * earlier turn (`reseed`; `new` when there are none), a continued one the turns after
 * `binding.seenSeq` (`catch-up`; `resume` when it missed none), within `historyChars`.
 */
function historyOf(
  request: CliTurnRequest,
  newSession: boolean,
): { block: string; continuation: CliTurnPlan['continuation']; sent: number } {
  const history = request.history ?? [];
  const dropped = request.historyDropped ?? 0;
  const turns = newSession ? history : missedTurns(request.binding, { turns: history, dropped });
  const continuation = newSession ? (turns.length === 0 ? 'new' : 'reseed') : turns.length === 0 ? 'resume' : 'catch-up';
  const budget = request.historyChars ?? DEFAULT_HISTORY_PROMPT_CHARS;
  if (turns.length === 0 || budget <= 0) return { block: '', continuation, sent: 0 };
  const selection: HistorySelection = selectHistory(turns, budget, newSession ? dropped : 0);
  return { block: renderHistoryBlock(newSession ? 'reseed' : 'catch-up', selection), continuation, sent: selection.turns.length };
}

/**
 * Plan one CLI turn.
 *
 * - **Session** (`docs/sessions.md#session-modes`): the stored id is
 *   `forceNewSession ? undefined : binding?.cliSessionId`. `none` sends no id (new session);
 *   `existing` sends the stored id or none; `always` sends the stored id or a new UUID. A turn is a
 *   new session when no stored id is sent. `resume` = a stored id is sent and `resumeArgs` is
 *   non-empty.
 * - **Prompt** (`docs/conversations.md#history-block`): the history block (a new session: every
 *   earlier turn, `reseed`; a continued one: the turns after `binding.seenSeq`, `catch-up`), then
 *   the image paths of a backend without `imageArg`, then the user's message, which is always last.
 * - **argv** order: base (`resumeArgs` with `{sessionId}` substituted, or `args`), model
 *   (`modelArg <id>`, fresh and resume), system prompt (`systemPromptArg <text>` when the text is
 *   non-blank and `systemPromptWhen` is `always`, or `first` on a new session), session args (fresh
 *   runs only: `sessionArgs` substituted, else `sessionArg <id>`), images (`imageArg`: `repeat` or
 *   `list`; unset → paths in the prompt, before the message), then the prompt:
 *   `[promptSeparator?, prompt]` in arg mode, nothing in stdin mode (`input: "stdin"`, or a prompt
 *   longer than `maxPromptArgChars`). Base args holding `{prompt}` (`--prompt={prompt}`) get the
 *   prompt in place instead, and are dropped in stdin mode ({@link placePrompt}).
 * - **cwd**: a turn continuing a stored session runs in `binding.cwd` (Claude and Gemini sessions
 *   resume only from their own cwd, `docs/sessions.md#working-directory`); otherwise `request.cwd`.
 * - **parseMode**: resume ? `resumeOutput ?? output` : `output`.
 * - **keepTempDir**: set when `backend.env.TMPDIR` is configured (no private temp folder then).
 *
 * @returns the plan; `stdin` is the prompt in stdin mode and `undefined` (= /dev/null) in arg mode.
 */
export function planCliTurn(request: CliTurnRequest, options: PlanCliTurnOptions = {}): CliTurnPlan {
  const { backend } = request;
  const stored = request.forceNewSession ? undefined : request.binding?.cliSessionId || undefined;

  let sessionId: string | undefined;
  if (backend.sessionMode === 'existing') sessionId = stored;
  else if (backend.sessionMode === 'always') sessionId = stored ?? (options.newSessionId ?? randomUUID)();
  const continuing = stored !== undefined && sessionId === stored;
  const newSession = !continuing;
  const resume = continuing && backend.resumeArgs.length > 0;

  const base: string[] = resume && sessionId !== undefined ? substitute(backend.resumeArgs, sessionId) : [...backend.args];
  const argv: string[] = [];

  const cliModel = resolveCliModel(backend, request.model);
  if (backend.modelArg !== undefined && cliModel !== '') argv.push(backend.modelArg, cliModel);

  const { systemPrompt } = request;
  const { systemPromptArg, systemPromptWhen } = backend;
  if (
    systemPrompt !== undefined &&
    systemPrompt.trim() !== '' &&
    systemPromptArg !== undefined &&
    (systemPromptWhen === 'always' || (systemPromptWhen === 'first' && newSession))
  ) {
    argv.push(systemPromptArg, systemPrompt);
  }

  let sessionIdSent: string | undefined = resume ? sessionId : undefined;
  if (!resume && sessionId !== undefined) {
    if (backend.sessionArgs.length > 0) {
      argv.push(...substitute(backend.sessionArgs, sessionId));
      sessionIdSent = sessionId;
    } else if (backend.sessionArg !== undefined) {
      argv.push(backend.sessionArg, sessionId);
      sessionIdSent = sessionId;
    }
  }

  const imagePaths = request.images.map((image) => image.path);
  if (imagePaths.length > 0 && backend.imageArg !== undefined) {
    if (backend.imageMode === 'list') argv.push(backend.imageArg, imagePaths.join(','));
    else for (const path of imagePaths) argv.push(backend.imageArg, path);
  }
  const history = historyOf(request, newSession);
  const prompt = composePrompt({
    history: history.block,
    imagePaths: backend.imageArg === undefined ? imagePaths : [],
    message: request.prompt,
  });

  const useStdin = backend.input === 'stdin' || (backend.maxPromptArgChars !== undefined && prompt.length > backend.maxPromptArgChars);
  const { args: baseArgs, placed } = placePrompt(base, prompt, useStdin);
  argv.unshift(...baseArgs);
  if (!useStdin && !placed) {
    if (backend.promptSeparator !== undefined) argv.push(backend.promptSeparator);
    argv.push(prompt);
  }

  const cwd = continuing && request.binding !== undefined ? request.binding.cwd : request.cwd;
  return {
    command: backend.command,
    argv,
    stdin: useStdin ? prompt : undefined,
    env: buildCliEnv(backend, options.env),
    cwd,
    resume,
    sessionIdSent,
    newSession,
    parseMode: resume ? (backend.resumeOutput ?? backend.output) : backend.output,
    noOutputTimeoutMs: resolveNoOutputTimeoutMs(resume ? backend.watchdog.resume : backend.watchdog.fresh, request.timeoutMs),
    continuation: history.continuation,
    historyTurns: history.sent,
    ...(backend.env.TMPDIR === undefined ? {} : { keepTempDir: true }),
  };
}
