/**
 * The built-in `gemini-cli` backend (Google Gemini CLI). Rationale and measurements:
 * `docs/cli-contracts.md`, `docs/spec-compatibility.md#built-in-backends`.
 */
import { deepFreeze, PROMPT_PLACEHOLDER, SAFE_PROMPT_ARG_CHARS } from './backend-defaults.js';
import type { CliBackendConfig } from './types.js';

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
