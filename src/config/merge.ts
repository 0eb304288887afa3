/**
 * Merging a user's `agents.defaults.cliBackends.<id>` entry over a built-in backend, then filling
 * every unset key with its default. Rules from the reference gateway's `mergeBackendConfig`
 * (`docs/spec-compatibility.md#merge-rules`), the same in the spec era and later.
 */
import { BACKEND_DEFAULTS, builtinArgsForOutput, type FullWatchdog } from './builtins.js';
import { invalidConfig, renderReceived } from './problems.js';
import { providerId } from './provider-id.js';
import type { CliBackendConfig, ResolvedCliBackend, WatchdogConfig } from './types.js';

/** Keys whose override replaces the base list whole (no concatenation). */
const REPLACED_LISTS = ['args', 'resumeArgs', 'sessionArgs', 'sessionIdFields'] as const;

/** Drops keys whose value is `undefined` (an inline config may carry them; they mean "not set"). */
function defined<T extends object>(value: T | undefined): Partial<T> {
  const out: Partial<T> = {};
  if (value === undefined) return out;
  for (const [key, inner] of Object.entries(value)) {
    if (inner !== undefined) (out as Record<string, unknown>)[key] = inner;
  }
  return out;
}

function mergeWatchdog(base: WatchdogConfig | undefined, override: WatchdogConfig | undefined): WatchdogConfig | undefined {
  if (base === undefined && override === undefined) return undefined;
  return { ...defined(base), ...defined(override) };
}

/**
 * Merges two backend entries (the override over the base) without applying defaults.
 *
 * - `args`, `resumeArgs`, `sessionArgs`, `sessionIdFields`: the override's list replaces the base's whole;
 * - `env`, `modelAliases`: merged per key, the override's value wins;
 * - `clearEnv`: the union of both lists (base order first, no duplicates);
 * - `reliability.watchdog.fresh` / `.resume`: deep-merged per key;
 * - every other key: shallow, the override wins when it sets the key (`undefined` means unset).
 *
 * Returns a new object; arrays and maps are copied, so neither input is shared or mutated.
 */
export function mergeBackendConfig(base: CliBackendConfig | undefined, override: CliBackendConfig | undefined): CliBackendConfig {
  const b = defined(base);
  const o = defined(override);
  const merged: CliBackendConfig = { ...b, ...o };

  for (const key of REPLACED_LISTS) {
    const list = o[key] ?? b[key];
    if (list === undefined) delete merged[key];
    else merged[key] = [...list];
  }
  if (b.env !== undefined || o.env !== undefined) merged.env = { ...b.env, ...o.env };
  if (b.modelAliases !== undefined || o.modelAliases !== undefined) merged.modelAliases = { ...b.modelAliases, ...o.modelAliases };
  if (b.clearEnv !== undefined || o.clearEnv !== undefined) merged.clearEnv = [...new Set([...(b.clearEnv ?? []), ...(o.clearEnv ?? [])])];

  const baseWatchdog = b.reliability?.watchdog;
  const overrideWatchdog = o.reliability?.watchdog;
  if (b.reliability !== undefined || o.reliability !== undefined) {
    const fresh = mergeWatchdog(baseWatchdog?.fresh, overrideWatchdog?.fresh);
    const resume = mergeWatchdog(baseWatchdog?.resume, overrideWatchdog?.resume);
    merged.reliability = {
      watchdog: { ...(fresh === undefined ? {} : { fresh }), ...(resume === undefined ? {} : { resume }) },
    };
  }
  return merged;
}

/**
 * Output normalization: when the user picks an `output` (or `resumeOutput`) other than the built-in's
 * for a built-in backend, the built-in's argv for that mode replaces its own in the base, so that
 * the parser and the CLI's output format agree (`claude-cli` + `output: "json"` → the spec's
 * `--output-format json` argv instead of the built-in `stream-json` one). The user's own
 * `args`/`resumeArgs` still replace the result whole. `base` is returned unchanged otherwise.
 */
function withOutputArgs(base: CliBackendConfig | undefined, override: CliBackendConfig | undefined): CliBackendConfig | undefined {
  if (base === undefined || override === undefined) return base;
  const output = override.output;
  const resumeOutput = override.resumeOutput ?? output;
  const baseResumeOutput = base.resumeOutput ?? base.output;
  const args = output !== undefined && output !== base.output ? builtinArgsForOutput(base, output)?.args : undefined;
  const resumeArgs =
    resumeOutput !== undefined && resumeOutput !== baseResumeOutput ? builtinArgsForOutput(base, resumeOutput)?.resumeArgs : undefined;
  if (args === undefined && resumeArgs === undefined) return base;
  return {
    ...base,
    ...(args === undefined ? {} : { args: [...args] }),
    ...(resumeArgs === undefined ? {} : { resumeArgs: [...resumeArgs] }),
  };
}

function fullWatchdog(defaults: FullWatchdog, configured: WatchdogConfig | undefined): FullWatchdog {
  return { ...defaults, ...defined(configured) };
}

/** The backend's slot count: `maxConcurrent`, else 1 with `serialize: true`, else unbounded (`undefined`). */
function concurrencyOf(backendId: string, m: CliBackendConfig, file: string): number | undefined {
  if (m.serialize !== true) return m.maxConcurrent;
  if (m.maxConcurrent === undefined || m.maxConcurrent === 1) return 1;
  const path = `agents.defaults.cliBackends.${backendId}.maxConcurrent`;
  const expected = '1 or unset (serialize: true runs one turn at a time; drop serialize to allow more)';
  throw invalidConfig(file, [{ file, path, expected, received: renderReceived(m.maxConcurrent) }]);
}

/**
 * Resolves one backend: merges `override` (the user's config entry) over `base` (the built-in record,
 * or `undefined` for a custom CLI) with {@link mergeBackendConfig}, trims `command`, and fills every
 * unset key from {@link BACKEND_DEFAULTS} (output `json`, input `arg`, sessionMode `always`,
 * systemPromptWhen `first`, imageMode `repeat`, serialize `false`, maxQueue 32, empty lists and maps, the default
 * watchdogs in ms; maxConcurrent is 1 with `serialize: true`, else unbounded). Keys without a default stay `undefined`. An empty `promptSeparator` (`""`) turns
 * the built-in `--` separator off (resolved as `undefined`, so no empty argv element is sent).
 * An `output`/`resumeOutput` differing from a built-in's own selects the built-in's argv for that
 * mode first (`claude-cli` + `output: "json"` → the spec's argv; see `builtinArgsForOutput`).
 *
 * @param id The provider id (stored lower-cased as `id`).
 * @param options.file Config file named in the error (default `<inline>`).
 * @throws ConfigError `SAFETYNET_CONFIG_INVALID` when the merged `command` is missing or blank (the
 *   schema reports this earlier for config files; this guards direct library use), or when
 *   `serialize: true` comes with a `maxConcurrent` other than 1.
 */
export function mergeBackend(
  id: string,
  base: CliBackendConfig | undefined,
  override: CliBackendConfig | undefined,
  options: { file?: string } = {},
): ResolvedCliBackend {
  const m = mergeBackendConfig(withOutputArgs(base, override), override);
  const backendId = providerId(id);
  const command = typeof m.command === 'string' ? m.command.trim() : '';
  if (command === '') {
    const file = options.file ?? '<inline>';
    const path = `agents.defaults.cliBackends.${backendId}.command`;
    const expected = base === undefined ? 'a non-empty string (required for a backend that is not built in)' : 'a non-empty string';
    throw invalidConfig(file, [{ file, path, expected, received: renderReceived(m.command) }]);
  }
  const d = BACKEND_DEFAULTS;
  const maxConcurrent = concurrencyOf(backendId, m, options.file ?? '<inline>');
  return {
    id: backendId,
    command,
    args: [...(m.args ?? [])],
    resumeArgs: [...(m.resumeArgs ?? d.resumeArgs)],
    output: m.output ?? d.output,
    resumeOutput: m.resumeOutput,
    input: m.input ?? d.input,
    maxPromptArgChars: m.maxPromptArgChars,
    env: { ...d.env, ...m.env },
    clearEnv: [...(m.clearEnv ?? d.clearEnv)],
    modelArg: m.modelArg,
    modelAliases: { ...d.modelAliases, ...m.modelAliases },
    sessionArg: m.sessionArg,
    sessionArgs: [...(m.sessionArgs ?? d.sessionArgs)],
    sessionMode: m.sessionMode ?? d.sessionMode,
    sessionIdFields: [...(m.sessionIdFields ?? d.sessionIdFields)],
    systemPromptArg: m.systemPromptArg,
    systemPromptWhen: m.systemPromptWhen ?? d.systemPromptWhen,
    imageArg: m.imageArg,
    imageMode: m.imageMode ?? d.imageMode,
    serialize: m.serialize ?? d.serialize,
    maxConcurrent,
    maxQueue: m.maxQueue ?? d.maxQueue,
    promptSeparator: m.promptSeparator === '' ? undefined : m.promptSeparator,
    watchdog: {
      fresh: fullWatchdog(d.watchdog.fresh, m.reliability?.watchdog?.fresh),
      resume: fullWatchdog(d.watchdog.resume, m.reliability?.watchdog?.resume),
    },
  };
}
