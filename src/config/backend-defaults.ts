/**
 * The defaults every CLI backend starts from (watchdog, session id fields, per-key defaults, the
 * argv size bound) and the prompt placeholder. Source: the spec's "Defaults (built-in)" and the
 * spec-era reference gateway; deliberate differences are documented on each constant.
 *
 * Dependency-free on purpose: resolving a config without a config file must not load zod or json5.
 */
import type { ImageMode, InputMode, OutputMode, SessionMode, SystemPromptWhen, WatchdogConfig } from './types.js';

/** A watchdog with every bound set (the shape of the built-in defaults). */
export type FullWatchdog = Required<Pick<WatchdogConfig, 'noOutputTimeoutRatio' | 'minMs' | 'maxMs'>> & WatchdogConfig;

/** Recursively freezes a plain value so the shared constants below cannot be mutated by accident. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value as Record<string, unknown>)) deepFreeze(inner);
  }
  return value;
}

/**
 * Default no-output watchdogs, in milliseconds (reference gateway `cli-watchdog-defaults.ts`, the same
 * values in S and A):
 * - `fresh` (a new CLI session): 80 % of the attempt timeout, clamped to 180 000–600 000 ms;
 * - `resume` (a resumed CLI session): 30 % of the attempt timeout, clamped to 60 000–180 000 ms.
 *
 * Kept as they are for the built-ins too (fast failover does not rest on them): a healthy CLI is
 * legitimately silent for minutes (Claude prints nothing while a long answer streams or a tool such
 * as a test run works; Codex prints nothing while it reasons), and both CLIs print their first line
 * within ~0.5 s even when the provider hangs, so a first-output deadline would catch nothing. A
 * failing provider is given up through the retry watch (`src/actors/cli/watch.ts`) and the bounded
 * CLI retries ({@link CLAUDE_BOUNDS_ENV}); a silent hang is bounded by the watchdog, which the
 * planner caps at the attempt deadline minus 1 s, and by the attempt deadline itself
 * (`agents.defaults.timeoutSeconds`, which the process runner also enforces as an overall deadline).
 *
 * Frozen; {@link mergeBackend} copies it.
 */
export const DEFAULT_WATCHDOG: { readonly fresh: FullWatchdog; readonly resume: FullWatchdog } = deepFreeze({
  fresh: { noOutputTimeoutRatio: 0.8, minMs: 180_000, maxMs: 600_000 },
  resume: { noOutputTimeoutRatio: 0.3, minMs: 60_000, maxMs: 180_000 },
});

/** JSON fields read for the CLI session id when a backend sets none (spec-era reference default). */
export const DEFAULT_SESSION_ID_FIELDS: readonly string[] = deepFreeze(['session_id', 'sessionId', 'conversation_id', 'conversationId']);

/**
 * The value of every key that neither the built-in backend nor the user sets.
 *
 * Spec: `output: "json"` (default) and `input: "arg"` (default); `sessionMode`, `systemPromptWhen`,
 * `imageMode`, `sessionIdFields` and the watchdogs follow the spec-era reference (S).
 *
 * Difference: `serialize` defaults to `false` (the reference serializes every backend unless it is
 * explicitly `false`; safetynet runs turns of one backend concurrently unless asked not to).
 * Extension: `maxQueue` (32 waiting turns per backend; `maxConcurrent` defaults to unbounded, 1 with
 * `serialize: true`): bounded, so a burst fails over at once instead of piling up waiting turns.
 * Keys absent here (`modelArg`, `sessionArg`, `systemPromptArg`, `imageArg`, `resumeOutput`,
 * `maxPromptArgChars`, `promptSeparator`) default to "unset".
 */
export const BACKEND_DEFAULTS: {
  readonly output: OutputMode;
  readonly input: InputMode;
  readonly sessionMode: SessionMode;
  readonly systemPromptWhen: SystemPromptWhen;
  readonly imageMode: ImageMode;
  readonly sessionIdFields: readonly string[];
  readonly serialize: boolean;
  readonly maxQueue: number;
  readonly resumeArgs: readonly string[];
  readonly sessionArgs: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly clearEnv: readonly string[];
  readonly modelAliases: Readonly<Record<string, string>>;
  readonly watchdog: typeof DEFAULT_WATCHDOG;
} = deepFreeze({
  output: 'json',
  input: 'arg',
  sessionMode: 'always',
  systemPromptWhen: 'first',
  imageMode: 'repeat',
  sessionIdFields: DEFAULT_SESSION_ID_FIELDS,
  serialize: false,
  maxQueue: 32,
  resumeArgs: [],
  sessionArgs: [],
  env: {},
  clearEnv: [],
  modelAliases: {},
  watchdog: DEFAULT_WATCHDOG,
});

/**
 * Linux refuses a single argv element longer than 128 KiB (`MAX_ARG_STRLEN`, E2BIG at spawn).
 * 32 768 characters stays below it even when every character takes 4 bytes in UTF-8, so longer
 * prompts go over stdin instead. safetynet addition: the spec leaves `maxPromptArgChars` unset.
 */
export const SAFE_PROMPT_ARG_CHARS = 32_768;

/** The placeholder an argv element may carry for the prompt (`--prompt={prompt}`); see `planCliTurn`. */
export const PROMPT_PLACEHOLDER = '{prompt}';
