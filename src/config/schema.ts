/**
 * Validation of the config file shape with zod 4 (`docs/spec-compatibility.md#config-keys`); the schemas
 * themselves are in `./schema-shapes.ts`.
 *
 * Only the keys safetynet reads are checked: `agents.defaults.{model, models, cliBackends,
 * timeoutSeconds}`, `models.providers` and safetynet's own `safetynet` section. Every other section
 * of the file is ignored, so an existing gateway config works unchanged. Inside `agents.defaults`
 * (and the object form of its `model`), a backend or provider entry and the `safetynet` section the
 * check is strict: an unknown key is an error with the closest valid key suggested (a misspelt
 * `sesionArg` or `fallback` would otherwise silently do nothing); the reference gateway's keys that
 * safetynet does not read are accepted and ignored (`./reference-keys.ts`). A top-level or `agents`
 * key that is close to a section safetynet reads (`agent`, `agents.default`) is an error too
 * (`./near-misses.ts`).
 *
 * Every problem is collected, then one {@link ConfigError} lists them all.
 *
 * This module loads zod: import it lazily (`await import('./schema.js')`), only when a config file
 * or an inline config exists (start-up speed).
 */
import type * as z from 'zod';
import type { ConfigProblem } from '../errors.js';
import { BUILTIN_BACKENDS, isBuiltinBackend } from './builtins.js';
import { isRecord } from './json-record.js';
import { closestKey, formatPath, invalidConfig, renderReceived, valueAt, type PathKey } from './problems.js';
import { providerId, splitModelRef } from './provider-id.js';
import { BUILTIN_API_PROVIDERS, isBuiltinApiProvider } from './providers.js';
import type { SafetynetConfigFile } from './types.js';
import { nearMissProblems } from './near-misses.js';
import {
  BACKEND_KEYS,
  DEFAULTS_KEYS,
  E,
  MODEL_KEYS,
  PROVIDER_KEYS,
  SAFETYNET_KEYS,
  SAFETYNET_SECTION_KEYS,
  fileSchema,
  watchdogShape,
} from './schema-shapes.js';

export { BACKEND_KEYS, PROVIDER_KEYS, SAFETYNET_KEYS, SAFETYNET_SECTION_KEYS } from './schema-shapes.js';
/** Keys of later gateway versions that safetynet does not implement; named in the hint. */
const NEWER_REFERENCE_KEYS = new Set([
  'jsonlDialect',
  'systemPromptFileArg',
  'systemPromptFileConfigArg',
  'systemPromptFileConfigKey',
  'imagePathScope',
  'bundleMcp',
  'bundleMcpMode',
  'liveSession',
]);

const BACKENDS_PATH = ['agents', 'defaults', 'cliBackends'];
const PROVIDERS_PATH = ['models', 'providers'];

/** Each key that repeats the id of an earlier key ({@link providerId}: ids are case-insensitive), mapped to that earlier key. */
function repeatedIds(keys: readonly string[]): Map<string, string> {
  const first = new Map<string, string>();
  const repeats = new Map<string, string>();
  for (const key of keys) {
    const earlier = first.get(providerId(key));
    if (earlier === undefined) first.set(providerId(key), key);
    else repeats.set(key, earlier);
  }
  return repeats;
}

/** True when `path` is inside a `models.providers.<id>` entry. */
function inProvider(path: readonly PathKey[]): boolean {
  return path.length > PROVIDERS_PATH.length && path[0] === PROVIDERS_PATH[0] && path[1] === PROVIDERS_PATH[1];
}

/** Provider keys whose values may be credentials (`apiKey`, `api_key`, `headers`, `token`, …). */
const SECRET_KEY = /key|token|secret|passw|auth|credential|headers/i;

/**
 * The received value as problems show it; inside a provider entry, values under a key that may
 * hold a credential are replaced by `(redacted)`, so a misplaced key never reaches an error message.
 */
function receivedAt(raw: unknown, path: readonly PathKey[]): string {
  if (inProvider(path) && path.slice(PROVIDERS_PATH.length + 1).some((key) => typeof key === 'string' && SECRET_KEY.test(key))) {
    return valueAt(raw, path) === undefined ? '(missing)' : '(redacted)';
  }
  return renderReceived(valueAt(raw, path));
}

/** True when `path` is `agents.defaults` or the object form of `agents.defaults.model`. */
function inDefaults(path: readonly PathKey[]): boolean {
  return path[0] === 'agents' && path[1] === 'defaults' && (path.length === 2 || (path.length === 3 && path[2] === 'model'));
}

/** The keys valid at an object path inside `agents.defaults`, a backend or provider entry, or the `safetynet` section (for suggestions). */
function validKeysAt(path: readonly PathKey[]): readonly string[] {
  if (inDefaults(path)) return path.length === 2 ? DEFAULTS_KEYS : MODEL_KEYS;
  if (path[0] === 'safetynet') return path.length === 1 ? SAFETYNET_KEYS : (SAFETYNET_SECTION_KEYS[String(path[1])] ?? []);
  if (inProvider(path)) return path.length === PROVIDERS_PATH.length + 1 ? PROVIDER_KEYS : ['source', 'provider', 'id'];
  const rest = path.slice(BACKENDS_PATH.length + 1);
  if (rest.length === 0) return BACKEND_KEYS;
  if (rest.length === 1) return ['watchdog'];
  if (rest.length === 2) return ['fresh', 'resume'];
  return Object.keys(watchdogShape);
}

type Issue = z.core.$ZodIssue;

/** Flattens a union failure to the branch that matched the value's type, when exactly one did. */
function flattenIssue(issue: Issue, prefix: readonly PathKey[]): Array<{ issue: Issue; path: PathKey[] }> {
  const path = [...prefix, ...issue.path.map((key) => (typeof key === 'symbol' ? String(key) : key))];
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    const typed = issue.errors.filter((branch) => !branch.some((inner) => inner.code === 'invalid_type' && inner.path.length === 0));
    if (typed.length === 1 && typed[0] !== undefined) return typed[0].flatMap((inner) => flattenIssue(inner, path));
  }
  return [{ issue, path }];
}

function problemsFromIssues(issues: readonly Issue[], raw: unknown, file: string): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const { issue, path } of issues.flatMap((i) => flattenIssue(i, []))) {
    if (issue.code === 'unrecognized_keys') {
      const valid = validKeysAt(path);
      for (const key of issue.keys) {
        const suggestion = closestKey(key, valid);
        const hint = NEWER_REFERENCE_KEYS.has(key)
          ? `"${key}" belongs to a newer gateway version and is not supported by safetynet; remove it`
          : suggestion !== undefined
            ? `did you mean "${suggestion}"?`
            : `valid keys: ${valid.join(', ')}`;
        const expected = inDefaults(path)
          ? `no unknown keys in ${formatPath(path)}`
          : inProvider(path)
            ? 'no unknown keys in a provider entry'
            : path[0] === 'safetynet'
              ? 'no unknown keys in the safetynet section'
              : 'no unknown keys in a backend entry';
        problems.push({ file, path: formatPath([...path, key]), expected, received: receivedAt(raw, [...path, key]), hint });
      }
      continue;
    }
    problems.push({ file, path: formatPath(path), expected: issue.message, received: receivedAt(raw, path) });
  }
  return problems;
}

/** True for an absolute http(s) URL. */
function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/**
 * Provider checks zod cannot express: duplicate ids, `api`/`baseUrl` required for non-built-ins, a
 * `baseUrl` that is not an http(s) URL (unless it uses `${VAR}`), and ids that collide with a CLI
 * backend id (built-in or configured).
 */
function providerChecks(raw: unknown, file: string): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const providers = valueAt(raw, PROVIDERS_PATH);
  if (!isRecord(providers)) return problems;
  const add = (path: PathKey[], expected: string, received: unknown, hint?: string) =>
    problems.push({ file, path: formatPath(path), expected, received: renderReceived(received), ...(hint === undefined ? {} : { hint }) });

  const backendIds = new Map<string, string>(Object.keys(BUILTIN_BACKENDS).map((id) => [id, `built-in CLI backend "${id}"`]));
  const configured = valueAt(raw, BACKENDS_PATH);
  if (isRecord(configured)) {
    for (const key of Object.keys(configured)) {
      const id = providerId(key);
      if (!backendIds.has(id)) backendIds.set(id, `CLI backend ${formatPath([...BACKENDS_PATH, key])}`);
    }
  }
  const builtins = Object.keys(BUILTIN_API_PROVIDERS).join(', ');
  const providerRepeats = repeatedIds(Object.keys(providers));
  for (const [key, entry] of Object.entries(providers)) {
    const id = providerId(key);
    const earlier = providerRepeats.get(key);
    if (earlier !== undefined)
      add([...PROVIDERS_PATH, key], 'one entry per provider id (ids are case-insensitive)', key, `also defined as "${earlier}"`);
    const backend = backendIds.get(id);
    if (backend !== undefined) {
      add(
        [...PROVIDERS_PATH, key],
        'a provider id that is not a CLI backend id',
        key,
        `API provider "${key}" collides with ${backend}; rename one of them`,
      );
    }
    if (!isRecord(entry)) continue;
    // A misspelt key (`baseURL`) is reported as unknown with a suggestion; no second "required" problem.
    const spelt = (name: string) => Object.keys(entry).some((k) => k.toLowerCase() === name.toLowerCase());
    if (!isBuiltinApiProvider(id)) {
      if (!spelt('api'))
        add(
          [...PROVIDERS_PATH, key, 'api'],
          'one of "anthropic-messages" | "openai-responses" | "openai-completions" (required for a provider that is not built in)',
          undefined,
          `built-in providers: ${builtins}`,
        );
      if (!spelt('baseUrl'))
        add(
          [...PROVIDERS_PATH, key, 'baseUrl'],
          'an http(s) base URL (required for a provider that is not built in)',
          undefined,
          `built-in providers: ${builtins}`,
        );
    }
    const baseUrl = entry['baseUrl'];
    if (typeof baseUrl === 'string' && baseUrl.trim() !== '' && !baseUrl.includes('${') && !isHttpUrl(baseUrl.trim())) {
      add([...PROVIDERS_PATH, key, 'baseUrl'], 'an http(s) base URL, e.g. "http://127.0.0.1:8080/v1"', baseUrl);
    }
    if (entry['timeoutMs'] !== undefined && entry['timeoutSeconds'] !== undefined) {
      add(
        [...PROVIDERS_PATH, key, 'timeoutSeconds'],
        'only one of timeoutMs and timeoutSeconds',
        entry['timeoutSeconds'],
        'timeoutMs is set too; remove one',
      );
    }
  }
  return problems;
}

/** Checks zod cannot express: required `command`, duplicate ids/aliases, watchdog bounds, model refs. */
function crossChecks(raw: unknown, file: string): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const add = (path: PathKey[], expected: string, received: unknown, hint?: string) =>
    problems.push({ file, path: formatPath(path), expected, received: renderReceived(received), ...(hint === undefined ? {} : { hint }) });

  problems.push(...nearMissProblems(raw, file), ...providerChecks(raw, file));
  const defaults = valueAt(raw, ['agents', 'defaults']);
  if (!isRecord(defaults)) return problems;

  const backends = defaults['cliBackends'];
  if (isRecord(backends)) {
    const backendRepeats = repeatedIds(Object.keys(backends));
    for (const [key, entry] of Object.entries(backends)) {
      const id = providerId(key);
      const earlier = backendRepeats.get(key);
      if (earlier !== undefined)
        add([...BACKENDS_PATH, key], 'one entry per backend id (ids are case-insensitive)', key, `also defined as "${earlier}"`);
      if (!isRecord(entry)) continue;
      if (entry['command'] === undefined && !isBuiltinBackend(id)) {
        add(
          [...BACKENDS_PATH, key, 'command'],
          `${E.nonEmpty} (required for a backend that is not built in)`,
          undefined,
          'built-in backends: claude-cli, codex-cli',
        );
      }
      for (const kind of ['fresh', 'resume'] as const) {
        const watchdog = valueAt(entry, ['reliability', 'watchdog', kind]);
        if (!isRecord(watchdog)) continue;
        const { minMs, maxMs } = watchdog;
        if (typeof minMs === 'number' && typeof maxMs === 'number' && minMs > maxMs) {
          add([...BACKENDS_PATH, key, 'reliability', 'watchdog', kind, 'minMs'], `at most maxMs (${maxMs})`, minMs);
        }
      }
    }
  }

  const aliases = new Map<string, { ref: string; alias: string }>();
  const models = defaults['models'];
  if (isRecord(models)) {
    for (const [ref, entry] of Object.entries(models)) {
      const alias = isRecord(entry) ? entry['alias'] : undefined;
      if (typeof alias !== 'string' || alias.trim() === '') continue;
      const lower = alias.trim().toLowerCase();
      const earlier = aliases.get(lower);
      if (earlier !== undefined)
        add(
          ['agents', 'defaults', 'models', ref, 'alias'],
          'an alias used by one model only (aliases are case-insensitive)',
          alias,
          `also the alias of "${earlier.ref}"`,
        );
      else aliases.set(lower, { ref, alias });
    }
  }

  const checkRef = (ref: unknown, path: PathKey[]) => {
    if (typeof ref !== 'string' || ref.trim() === '') return; // zod reported it
    const text = ref.trim();
    if (text.includes('/')) {
      if (splitModelRef(text) === undefined) add(path, '"<provider>/<model>" with both parts non-empty', ref);
      return;
    }
    const target = aliases.get(text.toLowerCase())?.ref;
    if (target === undefined) {
      const known = [...aliases.values()].map((entry) => JSON.stringify(entry.alias));
      add(
        path,
        '"<provider>/<model>" (e.g. "claude-cli/opus-4.6") or an alias defined in agents.defaults.models',
        ref,
        known.length > 0 ? `known aliases: ${known.join(', ')}` : 'no aliases are defined',
      );
    } else if (!target.includes('/')) {
      add(path, `an alias of a "<provider>/<model>" entry (alias points to "${target}")`, ref);
    }
  };
  const model = defaults['model'];
  if (typeof model === 'string') checkRef(model, ['agents', 'defaults', 'model']);
  else if (isRecord(model)) {
    checkRef(model['primary'], ['agents', 'defaults', 'model', 'primary']);
    const fallbacks = model['fallbacks'];
    if (Array.isArray(fallbacks)) {
      for (const [index, ref] of fallbacks.entries()) checkRef(ref, ['agents', 'defaults', 'model', 'fallbacks', index]);
    }
  }
  return problems;
}

/**
 * Validates a parsed config (a JSON5 file's value or an inline object) against the file shape.
 *
 * @param raw The parsed value.
 * @param file The absolute file path, or `<inline>`; named in every problem.
 * @returns `raw`, typed as the file shape (unknown keys outside backend entries are kept, unread).
 * @throws ConfigError `SAFETYNET_CONFIG_INVALID` with every problem found (`problems`: file, dotted
 *   key path, expected shape, received JSON truncated to 80 characters, optional hint), and a
 *   message listing them one per line.
 */
export function validateConfigFile(raw: unknown, file: string): SafetynetConfigFile {
  const result = fileSchema.safeParse(raw);
  const problems = [...(result.success ? [] : problemsFromIssues(result.error.issues, raw, file)), ...crossChecks(raw, file)];
  if (problems.length > 0) {
    throw invalidConfig(file, problems, result.success ? undefined : result.error);
  }
  return raw as SafetynetConfigFile;
}
