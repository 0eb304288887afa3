/**
 * Finding, reading, parsing and resolving the config file.
 *
 * Lookup order: `--config <file>`, else `$SAFETYNET_CONFIG`, else `$SAFETYNET_HOME/config.json5`
 * (`~/.safetynet/config.json5`), else the built-in backends alone.
 *
 * Start-up speed: json5 and zod (`./schema.js`) are imported lazily, only when a config file or an
 * inline config exists. Resolving the built-in defaults alone loads neither. A config file validated
 * before in the same version (`./config-cache.ts`) is parsed but not validated again: no zod.
 */
import { open } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import { BUILTIN_BACKENDS } from './builtins.js';
import { CACHE_FOLDER_NAME, configFileStamp, isKnownValid, rememberValid, type ConfigFileStamp } from './config-cache.js';
import { expandHome, nonBlank, safetynetHome } from './home.js';
import { mergeBackend } from './merge.js';
import { entriesById } from './provider-id.js';
import { DAY_MS, DEFAULT_TRACE_MAX_AGE_DAYS, DEFAULT_TRACE_MAX_COUNT } from './trace-defaults.js';
import { DEFAULT_SESSION_BOUNDS } from './session-defaults.js';
import { DEFAULT_FIRST_TOKEN_SECONDS, DEFAULT_STREAM_IDLE_SECONDS } from './streaming-defaults.js';
import { resolveFailoverSettings } from './failover-settings.js';
import { resolveServeSettings } from './serve-defaults.js';
import { resolveStoreSettings } from './store-defaults.js';
import { resolveApiProviders } from './providers.js';
import { timeoutSecondsToMs } from './timeouts.js';
import type { ModelEntry, ResolvedCliBackend, ResolvedConfig, SafetynetConfigFile } from './types.js';

/** Environment variables read here (a subset of `process.env`). */
export type ConfigEnv = Readonly<Record<string, string | undefined>>;

/** Default deadline of one attempt: 600 s, in ms (the reference gateway's default `timeoutSeconds`). */
export const DEFAULT_ATTEMPT_TIMEOUT_MS = 600_000;

/** Name of the config file inside the safetynet home folder. */
export const CONFIG_FILE_NAME = 'config.json5';

/** The `source` of a config object passed directly to the library. */
export const INLINE_SOURCE = '<inline>';

/** Where a config path came from (named in `SAFETYNET_CONFIG_NOT_FOUND` errors). */
export type ConfigPathOrigin = '--config' | 'SAFETYNET_CONFIG' | 'default';

/** The config file to read. */
export interface ConfigPathResolution {
  /** Absolute path. */
  path: string;
  /** True when the user named the file (`--config` or `SAFETYNET_CONFIG`): it must exist. */
  explicit: boolean;
  /** Which rule chose the path. */
  origin: ConfigPathOrigin;
}

/**
 * Chooses the config file: `file` (the `--config <file>` flag, explicit), else
 * `$SAFETYNET_CONFIG` (explicit), else `$SAFETYNET_HOME/config.json5` (not explicit: it may be
 * missing). Relative paths resolve against the current directory; a leading `~/` is expanded.
 */
export function resolveConfigPath(options: { file?: string | undefined; env?: ConfigEnv | undefined } = {}): ConfigPathResolution {
  const env = options.env ?? process.env;
  if (nonBlank(options.file)) return { path: resolve(expandHome(options.file, env)), explicit: true, origin: '--config' };
  const fromEnv = env['SAFETYNET_CONFIG'];
  if (nonBlank(fromEnv)) return { path: resolve(expandHome(fromEnv, env)), explicit: true, origin: 'SAFETYNET_CONFIG' };
  return { path: join(safetynetHome(env), CONFIG_FILE_NAME), explicit: false, origin: 'default' };
}

/** The text of the config file, and the stamp of the version read. */
interface ConfigText {
  text: string;
  stamp: ConfigFileStamp;
}

/**
 * Reads the file and its stamp through one descriptor (the stamp is taken before the text, so an
 * edit during the read makes the remembered verdict a miss next time, never a false hit);
 * `undefined` when it does not exist and was not named explicitly.
 */
async function readConfigText(where: ConfigPathResolution): Promise<ConfigText | undefined> {
  try {
    const handle = await open(where.path, 'r');
    try {
      const stamp = configFileStamp(await handle.stat());
      return { stamp, text: await handle.readFile('utf8') };
    } finally {
      await handle.close();
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const from =
      where.origin === '--config'
        ? 'given with --config'
        : where.origin === 'SAFETYNET_CONFIG'
          ? 'named by SAFETYNET_CONFIG'
          : 'the default config file';
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      if (!where.explicit) return undefined;
      const fix = where.origin === '--config' ? 'check the --config path' : 'fix or unset SAFETYNET_CONFIG';
      throw new ConfigError('SAFETYNET_CONFIG_NOT_FOUND', `Config file not found: ${where.path} (${from}) — ${fix}`, {
        file: where.path,
        cause: error,
      });
    }
    const what = code === 'EISDIR' ? 'is a folder, not a file' : `cannot be read (${code ?? String(error)})`;
    throw new ConfigError('SAFETYNET_CONFIG_NOT_FOUND', `Config file ${where.path} (${from}) ${what}`, { file: where.path, cause: error });
  }
}

/** Parses JSON5 text. @throws ConfigError `SAFETYNET_CONFIG_SYNTAX` with `file`, `line`, `column`. */
async function parseJson5(text: string, file: string): Promise<unknown> {
  const { default: JSON5 } = await import('json5');
  try {
    return JSON5.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (error) {
    const { lineNumber, columnNumber } = error as { lineNumber?: unknown; columnNumber?: unknown };
    const line = typeof lineNumber === 'number' ? lineNumber : 1;
    const column = typeof columnNumber === 'number' ? columnNumber : 1;
    const raw = error instanceof Error ? error.message : String(error);
    const what = raw.replace(/^JSON5:\s*/, '').replace(/\s+at \d+:\d+$/, '');
    throw new ConfigError('SAFETYNET_CONFIG_SYNTAX', `${file}:${line}:${column}: ${what} — fix the syntax`, {
      file,
      line,
      column,
      cause: error,
    });
  }
}

/**
 * Loads the configuration.
 *
 * - `inline`: a config object passed by a library user (source `<inline>`); the file lookup is skipped;
 * - otherwise the file from {@link resolveConfigPath}; when the default file does not exist, the
 *   built-in backends alone are used (`source: null`) and neither json5 nor zod is loaded. A file
 *   is validated once per version (size, mtime, ctime, inode) and schema: the verdict is remembered
 *   in `$SAFETYNET_HOME/cache` (`./config-cache.ts`; a cache that cannot be written is skipped). The
 *   file is read and `${VAR}` references resolved on every call.
 *
 * @throws ConfigError `SAFETYNET_CONFIG_NOT_FOUND` (an explicit path is missing or unreadable; names
 *   the path and the flag or variable it came from), `SAFETYNET_CONFIG_SYNTAX` (JSON5 error, with
 *   `line`/`column`), `SAFETYNET_CONFIG_INVALID` (schema problems, all of them in `problems`).
 */
export async function loadConfig(
  options: { file?: string | undefined; env?: ConfigEnv | undefined; inline?: unknown } = {},
): Promise<ResolvedConfig> {
  const env = options.env ?? process.env;
  if (options.inline !== undefined) return validateAndResolve(options.inline, INLINE_SOURCE, env);
  const where = resolveConfigPath(options);
  const read = await readConfigText(where);
  if (read === undefined) return resolveConfig(null, null, env);
  const cacheDir = join(safetynetHome(env), CACHE_FOLDER_NAME);
  const [raw, known] = await Promise.all([parseJson5(read.text, where.path), isKnownValid(cacheDir, where.path, read.stamp)]);
  // A version of the file validated before: its parsed value is what validation returned then.
  if (known) return resolveConfig(raw as SafetynetConfigFile, where.path, env);
  const config = await validateAndResolve(raw, where.path, env);
  await rememberValid(cacheDir, where.path, read.stamp);
  return config;
}

/**
 * Validates a parsed config value with the schema (imported lazily) and resolves it.
 * @param env The environment for the built-in API providers and `${VAR}` substitution; default `process.env`.
 * @throws ConfigError `SAFETYNET_CONFIG_INVALID`.
 */
export async function validateAndResolve(raw: unknown, source: string, env: ConfigEnv = process.env): Promise<ResolvedConfig> {
  const { validateConfigFile } = await import('./schema.js');
  return resolveConfig(validateConfigFile(raw, source), source, env);
}

/** The keys of `value` whose value is not `undefined` (so they can be spread over defaults). */
function definedOnly<T extends object>(value: T | undefined): Partial<T> {
  if (value === undefined) return {};
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * Builds the {@link ResolvedConfig} from a **validated** file shape (see `validateConfigFile` in
 * `./schema.js`; {@link loadConfig} and {@link validateAndResolve} validate first). Synchronous and
 * zod-free, so `resolveConfig(null, null)` gives the built-in defaults without loading the schema.
 *
 * - `backends`: the built-ins, each merged with the user's entry of the same id (ids lower-cased,
 *   case-insensitive), plus every other configured backend (merged over nothing);
 * - `primary` / `fallbacks`: from `agents.defaults.model` (a string is the primary), trimmed;
 * - `allowlist`: `agents.defaults.models`, or `undefined` when absent;
 * - `attemptTimeoutMs`: `timeoutSeconds × 1000`, default {@link DEFAULT_ATTEMPT_TIMEOUT_MS};
 * - `traces`: `safetynet.traces` (`maxCount`, `maxAgeDays` → `maxAgeMs`), default 500 and 7 days;
 * - `sessions`: `safetynet.sessions` (`maxTurns`, `maxChars`, `historyChars`), defaults in `./session-defaults.ts`;
 * - `streaming`: `safetynet.streaming` in ms (`firstTokenMs`, `idleMs`), defaults in `./streaming-defaults.ts`;
 * - `cooldowns`, `retry`: `safetynet.cooldowns.probeIntervalSeconds` (→ `probeIntervalMs`, default 5 000)
 *   and `safetynet.retry.sameCandidateMaxMs` (default 0), in `./failover-settings.ts`;
 * - `serve`: `safetynet.serve` plus the keys of `SAFETYNET_API_KEYS`, defaults in `./serve-defaults.ts`;
 * - `providers`: the API providers (`resolveApiProviders` in `./providers.js`): the built-ins
 *   `anthropic`/`openai` from `env`, overridden per key by `models.providers`, plus custom ones.
 *
 * @param file The validated config, or `null`/`undefined` for built-in defaults only.
 * @param source The file path, `<inline>`, or `null` (built-ins only).
 * @param env The environment (`ANTHROPIC_API_KEY`, `ANTHROPIC_BASE_URL`, `OPENAI_API_KEY`,
 *   `OPENAI_BASE_URL`, and `${VAR}` references); default `process.env`.
 * @throws ConfigError `SAFETYNET_CONFIG_INVALID` if a backend ends up without a command or a custom
 *   provider without `api`/`baseUrl` (only possible when `file` was not validated), or a provider's
 *   `baseUrl` references an environment variable that is not set.
 */
export function resolveConfig(
  file: SafetynetConfigFile | null | undefined,
  source: string | null,
  env: ConfigEnv = process.env,
): ResolvedConfig {
  const defaults = file?.agents?.defaults;
  const entries = entriesById(defaults?.cliBackends);
  const mergeOptions = { file: source ?? INLINE_SOURCE };

  const backends: Record<string, ResolvedCliBackend> = {};
  for (const [id, builtin] of Object.entries(BUILTIN_BACKENDS))
    backends[id] = mergeBackend(id, builtin, entries.get(id)?.entry, mergeOptions);
  for (const [id, { entry }] of entries) {
    if (!Object.hasOwn(backends, id)) backends[id] = mergeBackend(id, undefined, entry, mergeOptions);
  }

  const model = defaults?.model;
  const primary = typeof model === 'string' ? model : model?.primary;
  const fallbacks = typeof model === 'object' ? (model.fallbacks ?? []) : [];
  const allowlist: Record<string, ModelEntry> | undefined = defaults?.models === undefined ? undefined : { ...defaults.models };
  const timeoutSeconds = defaults?.timeoutSeconds;
  const unsupportedProviders: Record<string, string> = {};
  const providers = resolveApiProviders(file?.models?.providers, env, source ?? INLINE_SOURCE, unsupportedProviders);

  return {
    source,
    primary: primary === undefined || primary.trim() === '' ? undefined : primary.trim(),
    fallbacks: fallbacks.map((ref) => ref.trim()).filter((ref) => ref !== ''),
    allowlist,
    backends,
    attemptTimeoutMs: timeoutSeconds === undefined ? DEFAULT_ATTEMPT_TIMEOUT_MS : timeoutSecondsToMs(timeoutSeconds),
    providers,
    unsupportedProviders,
    traces: {
      maxCount: file?.safetynet?.traces?.maxCount ?? DEFAULT_TRACE_MAX_COUNT,
      maxAgeMs: Math.round((file?.safetynet?.traces?.maxAgeDays ?? DEFAULT_TRACE_MAX_AGE_DAYS) * DAY_MS),
    },
    sessions: { ...DEFAULT_SESSION_BOUNDS, ...definedOnly(file?.safetynet?.sessions) },
    streaming: {
      firstTokenMs: Math.round((file?.safetynet?.streaming?.firstTokenSeconds ?? DEFAULT_FIRST_TOKEN_SECONDS) * 1000),
      idleMs: Math.round((file?.safetynet?.streaming?.idleSeconds ?? DEFAULT_STREAM_IDLE_SECONDS) * 1000),
    },
    ...resolveFailoverSettings(file?.safetynet),
    serve: resolveServeSettings(file?.safetynet?.serve, env),
    store: resolveStoreSettings(file?.safetynet?.store, env, source ?? INLINE_SOURCE),
  };
}
