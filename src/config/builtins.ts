/**
 * The built-in CLI backends (`claude-cli`, `codex-cli`) and the defaults every backend starts from.
 *
 * Source: the spec page `../shared/spec/cli-backends.md` ("Defaults (built-in)") and the spec-era
 * reference gateway (`../shared/notes/reference-behaviour.md` §1.2–1.3, source S). Where safetynet
 * deliberately differs, the docstring of the constant says so and why (`../shared/notes/real-clis.md`
 * §12 has the measurements behind each difference).
 *
 * This module is dependency-free on purpose: resolving a config without a config file must not
 * load zod or json5 (start-up speed).
 */
import type { CliBackendConfig, ImageMode, InputMode, OutputMode, SessionMode, SystemPromptWhen, WatchdogConfig } from './types.js';

/** A watchdog with every bound set (the shape of the built-in defaults). */
export type FullWatchdog = Required<Pick<WatchdogConfig, 'noOutputTimeoutRatio' | 'minMs' | 'maxMs'>> & WatchdogConfig;

/** Recursively freezes a plain value so the shared constants below cannot be mutated by accident. */
function deepFreeze<T>(value: T): T {
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

/**
 * Model-part aliases of `claude-cli` (`claude-cli/<model>` → `--model <value>`). The spec-era
 * reference maps every `opus*` / `claude-opus-4*` name to `opus`, `sonnet*` / `claude-sonnet-4*` to
 * `sonnet`, and `haiku`, `haiku-3.5`, `claude-haiku-3-5` to `haiku`. The lookup is exact, then
 * lower-cased (no patterns), so the map lists dotted and dashed spellings explicitly; a model not
 * listed here is passed to `--model` unchanged (e.g. `claude-cli/claude-opus-4-8`).
 */
export const CLAUDE_MODEL_ALIASES: Readonly<Record<string, string>> = deepFreeze({
  opus: 'opus',
  'opus-4': 'opus',
  'opus-4.0': 'opus',
  'opus-4-0': 'opus',
  'opus-4.1': 'opus',
  'opus-4-1': 'opus',
  'opus-4.5': 'opus',
  'opus-4-5': 'opus',
  'opus-4.6': 'opus',
  'opus-4-6': 'opus',
  'claude-opus-4': 'opus',
  'claude-opus-4-0': 'opus',
  'claude-opus-4.0': 'opus',
  'claude-opus-4-1': 'opus',
  'claude-opus-4.1': 'opus',
  'claude-opus-4-5': 'opus',
  'claude-opus-4.5': 'opus',
  'claude-opus-4-6': 'opus',
  'claude-opus-4.6': 'opus',
  sonnet: 'sonnet',
  'sonnet-4': 'sonnet',
  'sonnet-4.0': 'sonnet',
  'sonnet-4-0': 'sonnet',
  'sonnet-4.1': 'sonnet',
  'sonnet-4-1': 'sonnet',
  'sonnet-4.5': 'sonnet',
  'sonnet-4-5': 'sonnet',
  'sonnet-4.6': 'sonnet',
  'sonnet-4-6': 'sonnet',
  'claude-sonnet-4': 'sonnet',
  'claude-sonnet-4-0': 'sonnet',
  'claude-sonnet-4.0': 'sonnet',
  'claude-sonnet-4-1': 'sonnet',
  'claude-sonnet-4.1': 'sonnet',
  'claude-sonnet-4-5': 'sonnet',
  'claude-sonnet-4.5': 'sonnet',
  'claude-sonnet-4-6': 'sonnet',
  'claude-sonnet-4.6': 'sonnet',
  haiku: 'haiku',
  'haiku-3.5': 'haiku',
  'haiku-3-5': 'haiku',
  'haiku-4.5': 'haiku',
  'haiku-4-5': 'haiku',
  'claude-haiku-3-5': 'haiku',
  'claude-haiku-3.5': 'haiku',
  'claude-haiku-4-5': 'haiku',
  'claude-haiku-4.5': 'haiku',
});

const CLAUDE_ARGS = ['-p', '--output-format', 'json', '--dangerously-skip-permissions'];

/**
 * Built-in `claude-cli` (Claude Code). Spec "Defaults (built-in)": `command`, `args`, `resumeArgs`,
 * `modelArg`, `systemPromptArg`, `sessionArg`, `systemPromptWhen`, `sessionMode` exactly as listed;
 * `sessionIdFields`, `clearEnv` (an inherited API key must not override the CLI's own login) and the
 * alias families from the spec-era reference (S).
 *
 * Differences from the reference, all deliberate:
 * - `promptSeparator: "--"`: a trailing prompt is otherwise swallowed by variadic flags or read as a
 *   flag when it starts with `-` (`real-clis.md` §1.3, §12);
 * - `maxPromptArgChars: 32768` ({@link SAFE_PROMPT_ARG_CHARS});
 * - `serialize: false` (the reference serializes).
 */
export const CLAUDE_CLI_BACKEND: Readonly<CliBackendConfig> = deepFreeze({
  command: 'claude',
  args: [...CLAUDE_ARGS],
  resumeArgs: [...CLAUDE_ARGS, '--resume', '{sessionId}'],
  output: 'json',
  input: 'arg',
  maxPromptArgChars: SAFE_PROMPT_ARG_CHARS,
  modelArg: '--model',
  modelAliases: { ...CLAUDE_MODEL_ALIASES },
  sessionArg: '--session-id',
  sessionMode: 'always',
  sessionIdFields: [...DEFAULT_SESSION_ID_FIELDS],
  systemPromptArg: '--append-system-prompt',
  systemPromptMode: 'append',
  systemPromptWhen: 'first',
  clearEnv: ['ANTHROPIC_API_KEY', 'ANTHROPIC_API_KEY_OLD'],
  promptSeparator: '--',
  serialize: false,
} satisfies CliBackendConfig);

const CODEX_EXEC_ARGS = ['exec', '--json', '--color', 'never', '--sandbox', 'read-only', '--skip-git-repo-check'];

/**
 * Built-in `codex-cli` (OpenAI Codex). Spec "Defaults (built-in)": `command`, `args`, `output: "jsonl"`,
 * `modelArg`, `imageArg`, `sessionMode: "existing"` exactly as listed; `sessionIdFields: ["thread_id"]`
 * from the spec-era reference (S).
 *
 * Differences from the spec, all deliberate (`real-clis.md` §12, measured with codex 0.169):
 * - `resumeArgs` are `exec --json --color never --sandbox read-only --skip-git-repo-check resume
 *   {sessionId}`: `exec resume` rejects `--color`/`--sandbox` after `resume`, while exec-level flags
 *   before the subcommand are accepted, which keeps the read-only sandbox on resume;
 * - `resumeOutput: "jsonl"` (spec: `text`): `exec resume` supports `--json` now, so resumed turns are
 *   parsed as structured events too;
 * - `promptSeparator: "--"`, `maxPromptArgChars: 32768`, `serialize: false` (as for claude-cli).
 */
export const CODEX_CLI_BACKEND: Readonly<CliBackendConfig> = deepFreeze({
  command: 'codex',
  args: [...CODEX_EXEC_ARGS],
  resumeArgs: [...CODEX_EXEC_ARGS, 'resume', '{sessionId}'],
  output: 'jsonl',
  resumeOutput: 'jsonl',
  input: 'arg',
  maxPromptArgChars: SAFE_PROMPT_ARG_CHARS,
  modelArg: '--model',
  imageArg: '--image',
  imageMode: 'repeat',
  sessionMode: 'existing',
  sessionIdFields: ['thread_id'],
  promptSeparator: '--',
  serialize: false,
} satisfies CliBackendConfig);

/**
 * The built-in backends by provider id (lower-case). A config entry with one of these ids is merged
 * over the built-in record ({@link mergeBackend}); any other id needs its own `command`.
 */
export const BUILTIN_BACKENDS: Readonly<Record<string, Readonly<CliBackendConfig>>> = deepFreeze({
  'claude-cli': CLAUDE_CLI_BACKEND,
  'codex-cli': CODEX_CLI_BACKEND,
});

/** True when `id` (compared lower-cased) names a built-in backend. */
export function isBuiltinBackend(id: string): boolean {
  return Object.hasOwn(BUILTIN_BACKENDS, id.toLowerCase());
}
