/**
 * The built-in `codex-cli` backend (OpenAI Codex `exec`). Rationale and measurements:
 * `docs/cli-contracts.md`, `docs/spec-compatibility.md#built-in-backends`.
 */
import { deepFreeze, SAFE_PROMPT_ARG_CHARS } from './backend-defaults.js';
import type { CliBackendConfig } from './types.js';

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
