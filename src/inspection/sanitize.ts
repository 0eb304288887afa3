/**
 * {@link createSanitizer} turns anything an inspection event carries into plain JSON without
 * credentials before it is written or sent anywhere; {@link toInspectionRecord} is the record
 * written for `--inspect=file:`.
 */
import type { InspectionEvent } from 'xstate';
import type { ResolvedConfig } from '../config/types.js';

/** Replaces a credential wherever it appears. */
export const REDACTED = '(redacted)';

/** Options of {@link createSanitizer}. */
export interface SanitizeOptions {
  /**
   * Exact secret strings (API keys, header values, see {@link configSecrets}) replaced by
   * `(redacted)` wherever they occur inside any string. Strings shorter than 4 characters are ignored.
   */
  secrets?: Iterable<string>;
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
 * - every occurrence of a configured secret inside any string.
 *
 * Prompts are kept: the inspector and its JSONL file are the user's own debugging tools.
 */
export function createSanitizer(options: SanitizeOptions = {}): (value: unknown) => unknown {
  const secrets = [...(options.secrets ?? [])]
    .filter((secret) => typeof secret === 'string' && secret.length >= 4)
    .sort((a, b) => b.length - a.length);
  const maxDepth = options.maxDepth ?? 12;
  const scrub = (text: string): string =>
    secrets.reduce((result, secret) => (result.includes(secret) ? result.split(secret).join(REDACTED) : result), text);

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
 * The credentials a resolved config holds: every API provider's key and header values, and the
 * values of credential-like `env` keys of CLI backends. Pass them to {@link createSanitizer}.
 */
export function configSecrets(config: Pick<ResolvedConfig, 'providers' | 'backends'>): string[] {
  const secrets = new Set<string>();
  for (const provider of Object.values(config.providers)) {
    if (typeof provider.apiKey === 'string') secrets.add(provider.apiKey);
    for (const value of Object.values(provider.headers)) secrets.add(value);
  }
  for (const backend of Object.values(config.backends)) {
    for (const [key, value] of Object.entries(backend.env)) if (SECRET_ENV_KEY.test(key)) secrets.add(value);
  }
  return [...secrets].filter((secret) => secret.length >= 4);
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
