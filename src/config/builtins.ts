/**
 * The built-in CLI backends (`claude-cli`, `codex-cli`, `gemini-cli`) and the defaults every backend starts from.
 *
 * Source: the spec's "Defaults (built-in)" and the spec-era reference gateway. Where safetynet
 * deliberately differs, the docstring of the constant says so and why
 * (`docs/spec-compatibility.md#built-in-backends` lists each difference, `docs/cli-contracts.md`
 * the measurements behind it).
 *
 * This module is dependency-free on purpose: resolving a config without a config file must not
 * load zod or json5 (start-up speed).
 */
import { providerId } from './provider-id.js';
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

/** The spec's `claude-cli` argv (`--output-format json`): used when a user sets `output: "json"`. */
export const CLAUDE_SPEC_JSON_ARGS: readonly string[] = deepFreeze(['-p', '--output-format', 'json', '--dangerously-skip-permissions']);

/** `claude-cli` argv when a user sets `output: "text"` (plain reply on stdout). */
export const CLAUDE_TEXT_ARGS: readonly string[] = deepFreeze(['-p', '--output-format', 'text', '--dangerously-skip-permissions']);

/** safetynet's `claude-cli` argv: the spec's, with `--output-format stream-json --verbose`. */
export const CLAUDE_STREAM_JSON_ARGS: readonly string[] = deepFreeze([
  '-p',
  '--output-format',
  'stream-json',
  '--verbose',
  '--dangerously-skip-permissions',
]);

/**
 * Environment bounds of the built-in `claude-cli`, so that a failing provider is reported in
 * seconds (`docs/cli-contracts.md#cli-retries`; fixtures `claude/*-max-retries-2`, `claude/stream-json-*`):
 *
 * - `CLAUDE_CODE_MAX_RETRIES: "2"` (Claude's default is 10, clamped to 15): with the default, a
 *   401/429/5xx/529 or refused connection is still retried after 60 s (attempts at ~0.5, 1.1, 2.3,
 *   4.6, 9.2, 18, 36 s); with 2 it ends by itself after 3 requests in ~2.2 s (2.7 s for a 429 with
 *   `retry-after: 1`), and a single transient error (one 529, then OK) is still absorbed.
 * - `API_TIMEOUT_MS: "120000"` (default 600 000): Claude's per-request timeout. Measured: it bounds
 *   the wait for the response headers of a streaming request (an answer streamed over 8 s went
 *   through with `API_TIMEOUT_MS=3000`), and the whole body only of the non-streaming fallback
 *   request (Claude's own cap there is 300 s), so long streamed answers are not cut. 120 s leaves
 *   room for slow first bytes of very large prompts, while a provider that never answers costs
 *   3 × 120 s + ~2 s backoff ≈ 362 s, below the default 600 s attempt deadline and the 480 s
 *   no-output watchdog, so Claude reports its own `Request timed out` (reason `timeout`).
 *
 * `env` merges per key: a user's `cliBackends["claude-cli"].env` value wins over these.
 */
export const CLAUDE_BOUNDS_ENV: Readonly<Record<string, string>> = deepFreeze({
  CLAUDE_CODE_MAX_RETRIES: '2',
  API_TIMEOUT_MS: '120000',
});

/**
 * Built-in `claude-cli` (Claude Code). Spec "Defaults (built-in)": `command`, `modelArg`,
 * `systemPromptArg`, `sessionArg`, `systemPromptWhen`, `sessionMode` exactly as listed;
 * `sessionIdFields`, `clearEnv` (an inherited API key must not override the CLI's own login) and the
 * alias families from the spec-era reference (S).
 *
 * Differences from the spec and the reference, all deliberate:
 * - `args`/`resumeArgs` use `--output-format stream-json --verbose` ({@link CLAUDE_STREAM_JSON_ARGS})
 *   with `output: "jsonl"` instead of `--output-format json` with `output: "json"`: stream-json
 *   prints each internal retry as a `system`/`api_retry` line with `error_status` while Claude is
 *   still retrying, the only way to classify a failure before it gives up
 *   (`docs/cli-contracts.md#retry-watch`), and ends with the same `result` object as `json` (same text, session id, usage,
 *   `is_error`). `--include-partial-messages` is not added: it prints one ~250-byte line per text
 *   delta (measured), which brings a long answer near the 16 MiB stdout cap, and the retry notices
 *   come without it. A user who sets `output` without `args` gets matching argv instead
 *   ({@link builtinArgsForOutput}: `json` → the spec's argv, `text` → `--output-format text`);
 * - `env` {@link CLAUDE_BOUNDS_ENV}: bounded internal retries and request timeout;
 * - `promptSeparator: "--"`: a trailing prompt is otherwise swallowed by variadic flags or read as a
 *   flag when it starts with `-` (`docs/cli-contracts.md#prompt-separator`);
 * - `maxPromptArgChars: 32768` ({@link SAFE_PROMPT_ARG_CHARS});
 * - `serialize: false` (the reference serializes).
 */
export const CLAUDE_CLI_BACKEND: Readonly<CliBackendConfig> = deepFreeze({
  command: 'claude',
  args: [...CLAUDE_STREAM_JSON_ARGS],
  resumeArgs: [...CLAUDE_STREAM_JSON_ARGS, '--resume', '{sessionId}'],
  output: 'jsonl',
  input: 'arg',
  env: { ...CLAUDE_BOUNDS_ENV },
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
 * Differences from the spec, all deliberate (`docs/spec-compatibility.md#built-in-backends`, measured with codex 0.169):
 * - `resumeArgs` are `exec --json --color never --sandbox read-only --skip-git-repo-check resume
 *   {sessionId}`: `exec resume` rejects `--color`/`--sandbox` after `resume`, while exec-level flags
 *   before the subcommand are accepted, which keeps the read-only sandbox on resume;
 * - `resumeOutput: "jsonl"` (spec: `text`): `exec resume` supports `--json` now, so resumed turns are
 *   parsed as structured events too;
 * - `promptSeparator: "--"`, `maxPromptArgChars: 32768`, `serialize: false` (as for claude-cli).
 *
 * No retry or timeout bounds are passed, because none apply generally in codex 0.169 (verified
 * against the stub): the knobs are per provider (`model_providers.<id>.request_max_retries` /
 * `stream_max_retries` / `stream_idle_timeout_ms`), `-c model_providers.openai.…` is a fatal config
 * error (`model_providers contains reserved built-in provider IDs: openai. Built-in providers cannot
 * be overridden.`, exit 1), top-level keys of those names are ignored with a warning, and the id of
 * a custom provider is only known to the user's `config.toml`. Fast failover for Codex comes from
 * watching its `Reconnecting... n/m (<cause>)` notices instead (`src/actors/cli/watch.ts`): the
 * first one already follows a whole round of Codex's inner HTTP retries (~0.3 s for a 401, ~3 s for
 * 5xx). Users of a custom provider can set the knobs in their `[model_providers.<id>]` table.
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

/** The placeholder an argv element may carry for the prompt (`--prompt={prompt}`); see `planCliTurn`. */
export const PROMPT_PLACEHOLDER = '{prompt}';

/**
 * Environment of the built-in `gemini-cli`: `GEMINI_CLI_NO_RELAUNCH=true`. By default gemini 0.61
 * loads its whole bundle, then spawns itself again as a child `node --max-old-space-size=<half the
 * RAM>` that loads it a second time and does the work, while the parent ignores SIGTERM/SIGINT/SIGHUP
 * (fixture `process-tree-kill.json`: SIGTERM to the pid alone left both alive). Without the relaunch
 * one process does the work: `gemini --version` took 9.4–10.1 s instead of 13.6–17.8 s on a loaded
 * 2-core machine (3 runs each), and a SIGTERM reaches the worker. Node's default heap limit stays
 * (2–4 GiB), ample for headless one-turn runs. A user's `env` value wins (merged per key).
 */
export const GEMINI_ENV: Readonly<Record<string, string>> = deepFreeze({ GEMINI_CLI_NO_RELAUNCH: 'true' });

/** `gemini-cli`'s options shared by fresh and resume runs (JSON output, no trust prompt). */
const GEMINI_BASE_ARGS = ['--output-format', 'json', '--skip-trust'];

/**
 * Built-in `gemini-cli` (Google Gemini CLI, `@google/gemini-cli`; measured with 0.61.0, fixtures
 * `../shared/fixtures/real-cli/gemini/*`). Not in the spec; the reference gateway's later
 * `google-gemini-cli` backend is the model (`--output-format json`, `output: "json"`, `modelArg
 * --model`, `sessionIdFields: session_id, sessionId`), with these choices:
 * - the prompt is one argv element `--prompt=<text>` ({@link PROMPT_PLACEHOLDER} in `args` and
 *   `resumeArgs`): a separate value starting with `-` is read as a flag (`-p "-x marks the spot"` →
 *   `Not enough arguments following: p`, exit 1), the attached form is not. Gemini has no `--`
 *   handling for it; `promptSeparator` is therefore unset. Over `maxPromptArgChars` (32 768) the
 *   element is dropped and the prompt goes over stdin, which gemini reads when stdin is not a TTY;
 * - `--skip-trust`: a headless run in a folder the user never trusted fails before any request
 *   (exit 55, `Gemini CLI is not running in a trusted directory`);
 * - sessions like Claude's: `sessionMode: "always"` with `sessionArg --session-id <uuid>` on the
 *   first turn, `--resume <uuid>` after (the printed `session_id` is the id sent); the session is
 *   bound to the cwd (`Error resuming session: No previous sessions found for this project.`, exit
 *   42 → `session_expired`, and a new session is started);
 * - no `systemPromptArg` (gemini has no flag for it: `GEMINI_SYSTEM_MD` replaces its whole system
 *   prompt from a file) and no `imageArg` (gemini loads `@<path>` files only inside the workspace);
 * - `env` {@link GEMINI_ENV}: no self-relaunch;
 * - no retry bounds: gemini 0.61 reads them from `general.maxAttempts` in its settings file only
 *   (no flag or environment variable), and retries 429/5xx for over a minute (requests at 1.4,
 *   7.8, 20, 44 s); the attempt deadline and the no-output watchdog bound it, as do the user's
 *   own settings.
 */
export const GEMINI_CLI_BACKEND: Readonly<CliBackendConfig> = deepFreeze({
  command: 'gemini',
  args: [...GEMINI_BASE_ARGS, `--prompt=${PROMPT_PLACEHOLDER}`],
  resumeArgs: [...GEMINI_BASE_ARGS, '--resume', '{sessionId}', `--prompt=${PROMPT_PLACEHOLDER}`],
  output: 'json',
  input: 'arg',
  env: { ...GEMINI_ENV },
  maxPromptArgChars: SAFE_PROMPT_ARG_CHARS,
  modelArg: '--model',
  sessionArg: '--session-id',
  sessionMode: 'always',
  sessionIdFields: ['session_id', 'sessionId'],
  serialize: false,
} satisfies CliBackendConfig);

/** An argv pair matching one output mode. */
export interface OutputArgs {
  args: readonly string[];
  resumeArgs: readonly string[];
}

/** Per built-in record: the argv to use when a user picks another output mode without `args`. */
const OUTPUT_VARIANTS: ReadonlyMap<Readonly<CliBackendConfig>, Partial<Record<OutputMode, OutputArgs>>> = new Map([
  [
    CLAUDE_CLI_BACKEND,
    {
      json: { args: CLAUDE_SPEC_JSON_ARGS, resumeArgs: deepFreeze([...CLAUDE_SPEC_JSON_ARGS, '--resume', '{sessionId}']) },
      text: { args: CLAUDE_TEXT_ARGS, resumeArgs: deepFreeze([...CLAUDE_TEXT_ARGS, '--resume', '{sessionId}']) },
    },
  ],
]);

/**
 * The argv of a built-in backend for an output mode other than its own, so that `output` and the
 * CLI's `--output-format` never disagree: `claude-cli` with `output: "json"` gets the spec's argv
 * (`-p --output-format json --dangerously-skip-permissions`, resume `… --resume {sessionId}`),
 * i.e. exactly the spec's behaviour; `output: "text"` gets `--output-format text`.
 *
 * @param base - the built-in record itself (matched by identity; any other object has no variants).
 * @returns `undefined` when `base` is not a built-in record or has no variant for `output`.
 */
export function builtinArgsForOutput(base: Readonly<CliBackendConfig> | undefined, output: OutputMode): OutputArgs | undefined {
  return base === undefined ? undefined : OUTPUT_VARIANTS.get(base)?.[output];
}

/**
 * The built-in backends by provider id (lower-case). A config entry with one of these ids is merged
 * over the built-in record ({@link mergeBackend}); any other id needs its own `command`.
 */
export const BUILTIN_BACKENDS: Readonly<Record<string, Readonly<CliBackendConfig>>> = deepFreeze({
  'claude-cli': CLAUDE_CLI_BACKEND,
  'codex-cli': CODEX_CLI_BACKEND,
  'gemini-cli': GEMINI_CLI_BACKEND,
});

/** True when `id` (compared lower-cased) names a built-in backend. */
export function isBuiltinBackend(id: string): boolean {
  return Object.hasOwn(BUILTIN_BACKENDS, providerId(id));
}
