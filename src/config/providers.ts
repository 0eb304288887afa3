/**
 * API providers: the built-ins (`anthropic`, `openai`), `${VAR}` substitution and secret
 * references, and the resolution of `models.providers.<id>` into {@link ResolvedApiProvider}s.
 *
 * The entry shape is the reference gateway's (`models.providers.<id> = { api, baseUrl, apiKey,
 * headers, models, … }`), so such configs carry over; its `${VAR_NAME}` substitution and its
 * `{ source: "env", id }` secret references are honoured for `baseUrl`, `apiKey` and `headers`.
 *
 * Zod-free and synchronous (start-up speed): {@link resolveApiProviders} expects a validated entry
 * map (`validateConfigFile` in `./schema.js` checks shapes, required keys and id collisions).
 */
import type { ConfigProblem } from '../errors.js';
import { formatPath, invalidConfig, renderReceived } from './problems.js';
import { entriesById, providerId } from './provider-id.js';
import { timeoutSecondsToMs } from './timeouts.js';
import type { ApiKind, ApiProviderConfig, ResolvedApiProvider, SecretInput } from './types.js';

/** Environment variables read for substitution (a subset of `process.env`). */
type Env = Readonly<Record<string, string | undefined>>;

/** Every supported `api` value, in documentation order. */
export const API_KINDS: readonly ApiKind[] = Object.freeze(['anthropic-messages', 'openai-responses', 'openai-completions']);

/** A built-in API provider: its protocol and the environment variables it honours. */
export interface BuiltinApiProvider {
  api: ApiKind;
  /** Environment variable holding the API key, e.g. `ANTHROPIC_API_KEY`. */
  apiKeyEnv: string;
  /** Environment variable holding the base URL, e.g. `ANTHROPIC_BASE_URL`. */
  baseUrlEnv: string;
}

/**
 * The built-in API providers. `models.providers.<id>` entries for these ids override them per key
 * (an explicit `apiKey` or `baseUrl` wins over the environment variable).
 */
export const BUILTIN_API_PROVIDERS: Readonly<Record<string, Readonly<BuiltinApiProvider>>> = Object.freeze({
  anthropic: Object.freeze({ api: 'anthropic-messages', apiKeyEnv: 'ANTHROPIC_API_KEY', baseUrlEnv: 'ANTHROPIC_BASE_URL' } as const),
  openai: Object.freeze({ api: 'openai-responses', apiKeyEnv: 'OPENAI_API_KEY', baseUrlEnv: 'OPENAI_BASE_URL' } as const),
});

/** True for `anthropic` and `openai` (case-insensitive). */
export function isBuiltinApiProvider(id: string): boolean {
  return Object.hasOwn(BUILTIN_API_PROVIDERS, providerId(id));
}

/** Where a provider's API key comes from, for messages (`OPENAI_API_KEY or models.providers.openai.apiKey`). */
export function apiKeySource(id: string): string {
  const builtin = BUILTIN_API_PROVIDERS[providerId(id)];
  const path = formatPath(['models', 'providers', id, 'apiKey']);
  return builtin === undefined ? path : `${builtin.apiKeyEnv} or ${path}`;
}

/** The outcome of resolving a secret or substituting variables. */
export interface Substituted {
  /** The value; `undefined` when a referenced variable is missing or empty. */
  value: string | undefined;
  /** Names of the referenced variables that are missing or empty. */
  missing: string[];
}

const VARIABLE = /\$?\$\{([A-Z_][A-Z0-9_]*)\}/g;

function nonEmpty(value: string | undefined): value is string {
  return value !== undefined && value !== '';
}

/**
 * Substitutes `${VAR_NAME}` (upper-case names only, as in the reference gateway) from `env`;
 * `$${VAR}` yields a literal `${VAR}`. A missing or empty variable makes the whole value
 * `undefined` (it is never sent half-substituted) and is listed in `missing`.
 */
export function substituteEnv(text: string, env: Env): Substituted {
  if (!text.includes('${')) return { value: text, missing: [] };
  const missing: string[] = [];
  const value = text.replace(VARIABLE, (match, name: string) => {
    if (match.startsWith('$$')) return match.slice(1);
    const found = env[name];
    if (nonEmpty(found)) return found;
    missing.push(name);
    return match;
  });
  return missing.length === 0 ? { value, missing } : { value: undefined, missing };
}

/** Resolves a {@link SecretInput}: a string (with `${VAR}` substitution) or `{ source: "env", id }`. */
export function resolveSecret(input: SecretInput | undefined, env: Env): Substituted {
  if (input === undefined) return { value: undefined, missing: [] };
  if (typeof input === 'string') return substituteEnv(input, env);
  const found = env[input.id];
  return nonEmpty(found) ? { value: found, missing: [] } : { value: undefined, missing: [input.id] };
}

/** Model ids of a `models` list (strings or `{ id }` entries), trimmed, deduplicated, in order. */
function modelIds(models: ApiProviderConfig['models']): string[] | undefined {
  if (models === undefined) return undefined;
  const ids = new Set<string>();
  for (const model of models) {
    const id = (typeof model === 'string' ? model : model.id).trim();
    if (id !== '') ids.add(id);
  }
  return [...ids];
}

/** Builds the provider object; `apiKey` is non-enumerable (see {@link ResolvedApiProvider.apiKey}). */
function makeProvider(fields: Omit<ResolvedApiProvider, 'apiKey'>, apiKey: string | undefined): ResolvedApiProvider {
  const provider = { ...fields } as ResolvedApiProvider;
  Object.defineProperty(provider, 'apiKey', { value: apiKey, enumerable: false, writable: false, configurable: false });
  return provider;
}

/**
 * Resolves the API providers: the built-ins merged with their entries (per key; an entry's
 * `apiKey`/`baseUrl` wins over `ANTHROPIC_*`/`OPENAI_*`), plus every other configured provider.
 *
 * - `apiKey`: `${VAR}`/secret-ref resolved from `env`; a missing variable leaves it `undefined` and
 *   sets `apiKeyMissing` (naming the key path and the variable: calls then fail with `config`);
 * - `baseUrl`: substituted, trailing `/` removed; for built-ins `undefined` means the SDK default;
 * - `headers`: substituted; a header whose variable is missing is left out;
 * - `timeoutMs`: `timeoutMs`, else `timeoutSeconds × 1000`, else `undefined` (the attempt deadline);
 * - `models`: the ids of the `models` list;
 * - `authHeader`: set (`true`) only when the entry says `authHeader: true`.
 *
 * @param entries `models.providers` of a **validated** config, or `undefined`.
 * @param env The environment (`loadConfig`'s `env`), read for the built-ins and `${VAR}`.
 * @param file The config file (named in problems), or `<inline>`.
 * @param unsupported Collects providers whose `api` safetynet does not speak (id → api), e.g.
 *   `google-generative-ai` in a reference-gateway config: they are left out, not an error.
 * @throws ConfigError `SAFETYNET_CONFIG_INVALID` when a `baseUrl` references a missing variable, or
 *   (unvalidated input only) a custom provider lacks `api` or `baseUrl`.
 */
export function resolveApiProviders(
  entries: Record<string, ApiProviderConfig> | undefined,
  env: Env,
  file: string,
  unsupported: Record<string, string> = {},
): Record<string, ResolvedApiProvider> {
  const byId = entriesById(entries);
  const problems: ConfigProblem[] = [];
  const providers: Record<string, ResolvedApiProvider> = {};

  const resolveOne = (id: string, key: string, entry: ApiProviderConfig | undefined, builtin: BuiltinApiProvider | undefined): void => {
    const at = (name: string) => formatPath(['models', 'providers', key, name]);
    const api = entry?.api ?? builtin?.api;
    let baseUrl: string | undefined;
    if (entry?.baseUrl !== undefined) {
      const resolved = substituteEnv(entry.baseUrl, env);
      if (resolved.value === undefined) {
        problems.push({
          file,
          path: at('baseUrl'),
          expected: `a base URL (environment variable ${resolved.missing.join(', ')} is not set)`,
          received: renderReceived(entry.baseUrl),
        });
      }
      baseUrl = resolved.value;
    } else if (builtin !== undefined && nonEmpty(env[builtin.baseUrlEnv])) {
      baseUrl = env[builtin.baseUrlEnv];
    }
    if (api === undefined)
      problems.push({
        file,
        path: at('api'),
        expected: 'one of "anthropic-messages" | "openai-responses" | "openai-completions"',
        received: '(missing)',
      });
    if (builtin === undefined && entry?.baseUrl === undefined)
      problems.push({
        file,
        path: at('baseUrl'),
        expected: 'a base URL (required for a provider that is not built in)',
        received: '(missing)',
      });
    if (api === undefined) return;
    if (!(API_KINDS as readonly string[]).includes(api)) {
      unsupported[id] = api;
      return;
    }

    let apiKey: string | undefined;
    let apiKeyMissing: string | undefined;
    if (entry?.apiKey !== undefined) {
      // A key naming an unset variable: never a request sent without it. Not a config error (unlike
      // baseUrl), so that the other candidates still answer and a reference config still loads.
      const resolved = resolveSecret(entry.apiKey, env);
      if (resolved.value === undefined) {
        const names = resolved.missing.join(', ');
        apiKeyMissing = `${at('apiKey')} names the environment variable ${names}, which is not set`;
      }
      apiKey = resolved.value;
    } else if (builtin !== undefined) apiKey = env[builtin.apiKeyEnv] || undefined;
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(entry?.headers ?? {})) {
      const resolved = resolveSecret(value, env).value;
      if (resolved !== undefined) headers[name] = resolved;
    }
    const timeoutMs = entry?.timeoutMs ?? (entry?.timeoutSeconds === undefined ? undefined : timeoutSecondsToMs(entry.timeoutSeconds));
    const fields: Omit<ResolvedApiProvider, 'apiKey'> = {
      id,
      api,
      baseUrl: baseUrl?.replace(/\/+$/, ''),
      headers,
      timeoutMs,
      models: modelIds(entry?.models),
    };
    if (entry?.authHeader === true) fields.authHeader = true;
    if (apiKeyMissing !== undefined) fields.apiKeyMissing = apiKeyMissing;
    providers[id] = makeProvider(fields, apiKey);
  };

  for (const [id, builtin] of Object.entries(BUILTIN_API_PROVIDERS)) {
    const found = byId.get(id);
    resolveOne(id, found?.key ?? id, found?.entry, builtin);
  }
  for (const [id, { key, entry }] of byId) {
    if (!Object.hasOwn(BUILTIN_API_PROVIDERS, id)) resolveOne(id, key, entry, undefined);
  }
  if (problems.length > 0) throw invalidConfig(file, problems);
  return providers;
}
