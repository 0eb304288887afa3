/**
 * Configuration: built-in backends and API providers, merge rules, config file lookup and loading,
 * model refs.
 *
 * `./schema.js` (zod) is deliberately **not** re-exported: importing this index must not load zod,
 * so that `safetynet agent` without a config file starts fast. {@link loadConfig} and
 * {@link validateAndResolve} import the schema lazily; import `./schema.js` directly for
 * `validateConfigFile`.
 */
export {
  BACKEND_DEFAULTS,
  BUILTIN_BACKENDS,
  CLAUDE_CLI_BACKEND,
  CLAUDE_MODEL_ALIASES,
  CODEX_CLI_BACKEND,
  DEFAULT_SESSION_ID_FIELDS,
  DEFAULT_WATCHDOG,
  GEMINI_CLI_BACKEND,
  PROMPT_PLACEHOLDER,
  SAFE_PROMPT_ARG_CHARS,
  isBuiltinBackend,
  type FullWatchdog,
} from './builtins.js';
export { expandHome, safetynetHome, userHome } from './home.js';
export { mergeBackend, mergeBackendConfig } from './merge.js';
export {
  CONFIG_FILE_NAME,
  DEFAULT_ATTEMPT_TIMEOUT_MS,
  INLINE_SOURCE,
  loadConfig,
  resolveConfig,
  resolveConfigPath,
  validateAndResolve,
  type ConfigEnv,
  type ConfigPathOrigin,
  type ConfigPathResolution,
} from './load.js';
export { formatProblem, invalidConfig } from './problems.js';
export { DEFAULT_SAME_CANDIDATE_MAX_MS, resolveFailoverSettings, type CooldownSettings, type RetrySettings } from './failover-settings.js';
export { DAY_MS, DEFAULT_TRACE_MAX_AGE_DAYS, DEFAULT_TRACE_MAX_AGE_MS, DEFAULT_TRACE_MAX_COUNT } from './trace-defaults.js';
export {
  API_KINDS,
  BUILTIN_API_PROVIDERS,
  apiKeySource,
  isBuiltinApiProvider,
  resolveApiProviders,
  resolveSecret,
  substituteEnv,
  type BuiltinApiProvider,
  type Substituted,
} from './providers.js';
export { entriesById, providerId, splitModelRef } from './provider-id.js';
export {
  MAX_TIMEOUT_SECONDS,
  MAX_TIMER_MS,
  TIMEOUT_MS_EXPECTED,
  TIMEOUT_SECONDS_EXPECTED,
  isTimeoutMs,
  isTimeoutSeconds,
  timeoutSecondsToMs,
} from './timeouts.js';
export { parseModelRef, resolveCandidates, type CandidateList, type ModelRef, type SkippedCandidate } from './model-refs.js';
export type * from './types.js';
