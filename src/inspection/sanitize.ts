/**
 * The one redaction of safetynet's outputs. {@link createRedactor} scrubs a text (known secrets,
 * credentials inside URLs); {@link createSanitizer} turns anything an inspection event carries into
 * plain JSON without credentials before it is written or sent anywhere; {@link configSecrets}
 * gathers the secrets to scrub (configured keys, the standard key variables of the environment, the
 * Redis URL's password); {@link toInspectionRecord} is the record written for `--inspect=file:`.
 *
 * Every output path uses them: `safetynet agent` stderr and `--json`, the runtime's results, errors
 * and attempts (and so `safetynet serve` error bodies), traces (text and `--json`), the inspector.
 */
import type { InspectionEvent } from 'xstate';
import type { ResolvedConfig } from '../config/types.js';

/** Replaces a credential wherever it appears. */
export const REDACTED = '(redacted)';

/** Replaces the text of the request's prompt in stored traces (see {@link SanitizeOptions.prompts}). */
export const PROMPT_REMOVED = '(prompt)';

/**
 * The standard environment variables holding a credential, scrubbed wherever their values appear
 * (see {@link envSecrets}): the Anthropic, OpenAI, Codex and Gemini keys and tokens, and
 * safetynet's own `SAFETYNET_API_KEYS` (comma-separated) and `SAFETYNET_REDIS_URL` (its password).
 */
export const STANDARD_KEY_VARIABLES: readonly string[] = Object.freeze([
  'ANTHROPIC_API_KEY',
  'ANTHROPIC_AUTH_TOKEN',
  'ANTHROPIC_API_KEY_OLD',
  'CLAUDE_CODE_OAUTH_TOKEN',
  'OPENAI_API_KEY',
  'CODEX_API_KEY',
  'GEMINI_API_KEY',
  'GOOGLE_API_KEY',
  'SAFETYNET_API_KEYS',
  'SAFETYNET_REDIS_URL',
]);

/** Other variables whose names say they hold a credential (`GITHUB_TOKEN`, `AZURE_OPENAI_API_KEY`, …); values of 8+ characters only. */
const CREDENTIAL_VARIABLE = /(?:^|_)(?:API_?KEY|TOKEN|SECRET|PASSWORD|ACCESS_KEY)$/i;

/** `scheme://userinfo@`: the whole userinfo (user and password) is a credential. */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@"'<>`]+@/gi;
/** `?key=…` / `&api_key=…` / `token=…` / `access_token=…` / `sig=…` / `password=…` values inside URLs (a trailing `.,;:)]` is kept as prose). */
const URL_SECRET_PARAM =
  /([?&;](?:key|api[-_]?key|apikey|token|access[-_]?token|refresh[-_]?token|auth|password|passwd|secret|client[-_]?secret|sig|signature)=)(?!\(redacted\))[^&#\s"'<>`]*[^&#\s"'<>`.,;:)\]]/gi;

/**
 * A text redactor: every occurrence of one of `secrets` (4+ characters, longest first) becomes
 * `(redacted)`, then credentials inside URLs: the userinfo of `scheme://user:password@host`
 * (`scheme://(redacted)@host`, Redis URLs included) and the values of credential query parameters
 * (`?key=`, `api_key=`, `token=`, `access_token=`, `password=`, `secret=`, `sig=`, …). Idempotent.
 *
 * @param secrets exact strings to scrub (see {@link configSecrets}).
 * @param prompts texts replaced by `(prompt)` (8+ characters, and each of their lines of 8+
 *   characters), applied before the secrets; see {@link SanitizeOptions.prompts}.
 */
export function createRedactor(secrets: Iterable<string> = [], prompts: Iterable<string> = []): (text: string) => string {
  const exact = [...new Set(secrets)]
    .filter((secret) => typeof secret === 'string' && secret.length >= 4)
    .sort((a, b) => b.length - a.length);
  const promptTexts = new Set<string>();
  for (const prompt of prompts) {
    if (typeof prompt !== 'string') continue;
    for (const part of [prompt.trim(), ...prompt.split(/\r?\n/).map((line) => line.trim())]) if (part.length >= 8) promptTexts.add(part);
  }
  const prompted = [...promptTexts].sort((a, b) => b.length - a.length);
  const replace = (text: string, needles: readonly string[], by: string): string =>
    needles.reduce((result, needle) => (result.includes(needle) ? result.split(needle).join(by) : result), text);
  return (text) => {
    let result = replace(replace(text, prompted, PROMPT_REMOVED), exact, REDACTED);
    if (result.includes('://')) result = result.replace(URL_USERINFO, `$1${REDACTED}@`);
    if (result.includes('=')) result = result.replace(URL_SECRET_PARAM, `$1${REDACTED}`);
    return result;
  };
}

/**
 * The credentials of an environment: the values of {@link STANDARD_KEY_VARIABLES} (each key of
 * `SAFETYNET_API_KEYS`, the password and user of `SAFETYNET_REDIS_URL`) and of other variables
 * named like a credential (`*_API_KEY`, `*_TOKEN`, `*_SECRET`, `*_PASSWORD`) with 8+ characters.
 *
 * @param env @default process.env
 */
export function envSecrets(env: Readonly<Record<string, string | undefined>> = process.env): string[] {
  const secrets = new Set<string>();
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || value.trim() === '') continue;
    if (name === 'SAFETYNET_API_KEYS') for (const key of value.split(',')) secrets.add(key.trim());
    else if (name === 'SAFETYNET_REDIS_URL') for (const part of urlCredentials(value)) secrets.add(part);
    else if (STANDARD_KEY_VARIABLES.includes(name)) secrets.add(value);
    else if (CREDENTIAL_VARIABLE.test(name) && value.length >= 8) secrets.add(value);
  }
  return [...secrets].filter((secret) => secret.length >= 4);
}

/** The decoded user and password of a URL (`redis://user:pass@host`), when it has them. */
function urlCredentials(url: string): string[] {
  try {
    const parsed = new URL(url);
    return [parsed.username, parsed.password].filter((part) => part !== '').flatMap((part) => [part, decodeURIComponent(part)]);
  } catch {
    return [];
  }
}

/** Options of {@link createSanitizer}. */
export interface SanitizeOptions {
  /**
   * Exact secret strings (API keys, header values, see {@link configSecrets}) replaced by
   * `(redacted)` wherever they occur inside any string. Strings shorter than 4 characters are ignored.
   * Credentials inside URLs are always redacted (see {@link createRedactor}).
   */
  secrets?: Iterable<string>;
  /**
   * Texts of the request (the prompt, the system prompt) replaced by `(prompt)` wherever they occur,
   * e.g. in the stderr tail of a CLI that echoes its prompt (traces keep no prompt). Texts shorter
   * than 8 characters are kept. @default []
   */
  prompts?: Iterable<string>;
  /** Objects nested deeper than this become `"[depth]"`. @default 12 */
  maxDepth?: number;
}

/** Object keys whose string values are credentials, anywhere: `apiKey`, `api_key`, `authorization`, … */
const SECRET_KEY = /^(api[-_]?key|x-api-key|authorization|proxy-authorization|password|secret|token|access[-_]?token|refresh[-_]?token)$/i;
/** Keys of an `env` map whose values are credentials (`ANTHROPIC_API_KEY`, `GITHUB_TOKEN`, …). */
const SECRET_ENV_KEY = /key|token|secret|passw|auth|credential|cookie/i;

function isActorRef(value: object): value is { sessionId: string; id?: unknown } {
  const candidate = value as { sessionId?: unknown; send?: unknown };
  return typeof candidate.sessionId === 'string' && typeof candidate.send === 'function';
}

/**
 * A safe serializer for inspection events, snapshots and traces: returns a JSON-safe deep copy in
 * which functions and symbols are dropped, circular references become `"[circular]"`, actor refs
 * become `{ actor: <sessionId> }`, errors become `{ name, message, code?, reason?, exitCode?, … }`,
 * `Map`/`Set` become arrays, bigints strings, and credentials `(redacted)`:
 *
 * - non-enumerable properties are never read (a resolved provider's `apiKey` is non-enumerable);
 * - the values of `apiKey`, `authorization`, `token`-like keys, every value of a `headers` map, and
 *   the values of credential-like keys of an `env` map;
 * - every occurrence of a configured secret inside any string, and credentials inside URLs
 *   ({@link createRedactor}).
 *
 * Prompts are kept unless `prompts` names them: the inspector and its JSONL file are the user's own
 * debugging tools.
 */
export function createSanitizer(options: SanitizeOptions = {}): (value: unknown) => unknown {
  const maxDepth = options.maxDepth ?? 12;
  const scrub = createRedactor(options.secrets ?? [], options.prompts ?? []);

  const copy = (value: unknown, depth: number, seen: Set<object>, parentKey: string | undefined): unknown => {
    if (typeof value === 'string') return scrub(value);
    if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
    if (typeof value === 'boolean' || value === null) return value;
    if (typeof value === 'bigint') return value.toString();
    if (typeof value !== 'object') return undefined; // undefined, function, symbol
    if (seen.has(value)) return '[circular]';
    if (isActorRef(value)) return { actor: value.sessionId };
    if (depth >= maxDepth) return '[depth]';
    seen.add(value);
    try {
      if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
      if (Array.isArray(value) || value instanceof Set) return [...value].map((item) => copy(item, depth + 1, seen, undefined) ?? null);
      if (value instanceof Map) return [...value.entries()].map((entry) => copy(entry, depth + 1, seen, undefined));
      const source: Record<string, unknown> = value instanceof Error ? errorFields(value) : (value as Record<string, unknown>);
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(source)) {
        const item = source[key];
        if (
          typeof item === 'string' &&
          (SECRET_KEY.test(key) || parentKey === 'headers' || (parentKey === 'env' && SECRET_ENV_KEY.test(key)))
        ) {
          out[key] = REDACTED;
          continue;
        }
        const copied = copy(item, depth + 1, seen, key);
        if (copied !== undefined) out[key] = copied;
      }
      return out;
    } finally {
      seen.delete(value);
    }
  };
  return (value) => copy(value, 0, new Set(), undefined);
}

/** The fields of an error worth keeping: name, message, and the classification of an `AttemptError`. */
function errorFields(error: Error): Record<string, unknown> {
  const fields: Record<string, unknown> = { name: error.name, message: error.message };
  for (const key of ['code', 'reason', 'exitCode', 'signal', 'status', 'retryAfterMs'] as const) {
    const value = (error as unknown as Record<string, unknown>)[key];
    if (value !== undefined) fields[key] = value;
  }
  return fields;
}

/**
 * The credentials to scrub from every output: every API provider's key and header values, the
 * credentials inside its `baseUrl` (user, password, `?key=` values), the values of credential-like
 * `env` keys of CLI backends, the serve API keys and the Redis URL's user and password when the
 * config has them, and {@link envSecrets} of `env`. Pass them to {@link createSanitizer} or
 * {@link createRedactor}.
 *
 * @param env the environment whose standard key variables are secrets too. @default process.env
 */
export function configSecrets(
  config: Pick<ResolvedConfig, 'providers' | 'backends'> & Partial<Pick<ResolvedConfig, 'serve' | 'store'>>,
  env: Readonly<Record<string, string | undefined>> = process.env,
): string[] {
  const secrets = new Set<string>(envSecrets(env));
  for (const provider of Object.values(config.providers)) {
    if (typeof provider.apiKey === 'string') secrets.add(provider.apiKey);
    for (const value of Object.values(provider.headers)) secrets.add(value);
    if (typeof provider.baseUrl === 'string') for (const part of baseUrlCredentials(provider.baseUrl)) secrets.add(part);
  }
  for (const backend of Object.values(config.backends)) {
    for (const [key, value] of Object.entries(backend.env)) if (SECRET_ENV_KEY.test(key)) secrets.add(value);
  }
  for (const key of config.serve?.apiKeys ?? []) secrets.add(key);
  if (typeof config.store?.url === 'string') for (const part of urlCredentials(config.store.url)) secrets.add(part);
  return [...secrets].filter((secret) => secret.length >= 4);
}

/** The user, password and credential query values of a base URL. */
function baseUrlCredentials(url: string): string[] {
  const parts = urlCredentials(url);
  try {
    for (const [name, value] of new URL(url).searchParams)
      if (/key|token|secret|passw|auth|sig/i.test(name) && value !== '') parts.push(value);
  } catch {
    // not a URL: nothing more to take
  }
  return parts;
}

/**
 * One inspection event as a plain, sanitized JSON record (one JSONL line of `--inspect=file:`),
 * in the shape of the Stately inspector's events: `type`, `sessionId` (the actor), `rootId`,
 * `actorId` (the invoke id, e.g. `runCliTurn`), `at` (epoch ms), and per type `parentId`
 * (`@xstate.actor`), `sourceId` and `event` (`@xstate.event`), `event` and `snapshot`
 * (`@xstate.snapshot`, `@xstate.microstep`: `value`, `status`, `context`, `input`, `output`,
 * `error`), or `action` (`@xstate.action`).
 */
export function toInspectionRecord(
  event: InspectionEvent,
  sanitize: (value: unknown) => unknown,
  at: number = Date.now(),
): Record<string, unknown> {
  const actor = event.actorRef as { sessionId: string; id?: unknown; _parent?: { sessionId?: unknown } };
  const base: Record<string, unknown> = {
    type: event.type,
    at,
    rootId: event.rootId,
    sessionId: actor.sessionId,
    actorId: typeof actor.id === 'string' ? actor.id : actor.sessionId,
  };
  switch (event.type) {
    case '@xstate.actor':
      return { ...base, parentId: typeof actor._parent?.sessionId === 'string' ? actor._parent.sessionId : undefined };
    case '@xstate.event':
      return { ...base, sourceId: event.sourceRef?.sessionId, event: sanitize(event.event) };
    case '@xstate.snapshot':
    case '@xstate.microstep':
    case '@xstate.transition':
      return { ...base, event: sanitize(event.event), snapshot: sanitize(snapshotFields(event.snapshot)) };
    case '@xstate.action':
      return { ...base, action: sanitize(event.action) };
    default:
      return base;
  }
}

/**
 * The parts of a snapshot worth keeping: `status`, and `value`, `context`, `input`, `output`,
 * `error` when present (machine snapshots also carry the machine itself, children and history).
 */
export function snapshotFields(snapshot: unknown): Record<string, unknown> {
  const s = snapshot as Record<string, unknown>;
  const fields: Record<string, unknown> = { status: s['status'] };
  for (const key of ['value', 'context', 'input', 'output', 'error'] as const) if (s[key] !== undefined) fields[key] = s[key];
  return fields;
}
