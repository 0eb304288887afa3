/**
 * The built-in `claude-cli` backend (Claude Code): its argv per output mode, model aliases and
 * environment bounds. Rationale and measurements: `docs/cli-contracts.md`, `docs/spec-compatibility.md`.
 */
import { DEFAULT_SESSION_ID_FIELDS, deepFreeze, SAFE_PROMPT_ARG_CHARS } from './backend-defaults.js';
import type { CliBackendConfig } from './types.js';

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
