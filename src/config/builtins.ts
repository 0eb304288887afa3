/**
 * The built-in CLI backends by provider id (`claude-cli`, `codex-cli`, `gemini-cli`) and the argv
 * variants of their output modes. Each backend's record lives in its own file (`builtin-claude.ts`,
 * `builtin-codex.ts`, `builtin-gemini.ts`), the defaults every backend starts from in
 * `backend-defaults.ts`; this module re-exports them as the one place to import them from.
 *
 * Source: the spec's "Defaults (built-in)" and the spec-era reference gateway. Where safetynet
 * deliberately differs, the docstring of the constant says so and why
 * (`docs/spec-compatibility.md#built-in-backends` lists each difference, `docs/cli-contracts.md`
 * the measurements behind it).
 *
 * Dependency-free on purpose: resolving a config without a config file must not load zod or json5
 * (start-up speed).
 */
import { deepFreeze } from './backend-defaults.js';
import { CLAUDE_CLI_BACKEND, CLAUDE_SPEC_JSON_ARGS, CLAUDE_TEXT_ARGS } from './builtin-claude.js';
import { CODEX_CLI_BACKEND } from './builtin-codex.js';
import { GEMINI_CLI_BACKEND } from './builtin-gemini.js';
import { providerId } from './provider-id.js';
import type { CliBackendConfig, OutputMode } from './types.js';

export {
  BACKEND_DEFAULTS,
  DEFAULT_SESSION_ID_FIELDS,
  DEFAULT_WATCHDOG,
  type FullWatchdog,
  PROMPT_PLACEHOLDER,
  SAFE_PROMPT_ARG_CHARS,
} from './backend-defaults.js';
export {
  CLAUDE_BOUNDS_ENV,
  CLAUDE_CLI_BACKEND,
  CLAUDE_MODEL_ALIASES,
  CLAUDE_SPEC_JSON_ARGS,
  CLAUDE_STREAM_JSON_ARGS,
  CLAUDE_TEXT_ARGS,
} from './builtin-claude.js';
export { CODEX_CLI_BACKEND } from './builtin-codex.js';
export { GEMINI_CLI_BACKEND, GEMINI_ENV } from './builtin-gemini.js';

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
