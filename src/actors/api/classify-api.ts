/**
 * The classifier of API failures: turns what an SDK threw (or what an SSE stream said) into an
 * {@link AttemptFailure} with a {@link FailureReason}, the same reasons as CLI failures.
 *
 * Reading order (as for CLIs: `readReason` of `failover/classify.ts`, which also holds every code
 * and text table): the caller's abort and our own deadline first, then the HTTP status
 * (`APIError.status`), then error codes (the body's `code`/`type`, Anthropic's
 * `details.error_code`, errnos such as `ECONNREFUSED` on the `cause` chain), then the documented
 * texts. Retry-After comes from the `retry-after-ms` / `retry-after` headers (seconds or an HTTP
 * date), else from a "try again in 1.2s" text.
 *
 * SDK errors are recognized by the class names on their prototype chain (both SDKs use the same
 * Stainless error classes: `APIError`, `APIConnectionError`, `APIUserAbortError`, …), so this
 * module imports neither SDK. Messages are short, one line, and never contain the API key.
 */
import { isRecord } from '../../config/json-record.js';
import { AttemptError, type AttemptFailure, type FailureReason } from '../../errors.js';
import { quoteLine, readReason, retryAfterMsFromText, validStatus } from '../../failover/classify.js';
import { RedirectRefusedError } from './redirects.js';

/** A failure the SDK does not throw itself: an error event inside a 200 stream, or a truncated stream. */
export class ApiStreamError extends Error {
  /**
   * The event that carried it (`response.failed`, `error`, `response.incomplete`), or what went
   * wrong with the stream itself: `truncated`, `malformed` (a chunk that cannot be read),
   * `too_large` (the answer passed `MAX_ANSWER_BYTES` of `../limits.ts`), `aborted`.
   */
  readonly event: string;
  /** The provider's error code or type (`server_error`, `rate_limit_exceeded`, …), when given. */
  readonly code: string | undefined;

  constructor(event: string, message: string, code?: string | undefined) {
    super(message);
    this.event = event;
    this.code = code;
  }

  override get name(): string {
    return 'ApiStreamError';
  }
}

/** What the caller of {@link classifyApiError} knows besides the error. */
export interface ApiErrorContext {
  /** `provider/model`, the start of every message. */
  label: string;
  /** The key to redact from messages (provider texts may echo it). */
  apiKey?: string | undefined;
  /** The caller's signal was aborted: the chain stops (`aborted`). */
  aborted?: boolean;
  /** Our own deadline fired (`timeout`). */
  timedOut?: boolean;
  /** The deadline in ms, quoted in the timeout message. */
  timeoutMs?: number;
  /** Which clock fired and its bound, replacing the deadline in the timeout message. */
  timeoutDetail?: string;
  /** Text of this attempt had already been streamed to the caller (`AttemptError.outputSent`). */
  outputSent?: boolean;
}

/** Anything with `get(name)`, e.g. the `Headers` of an SDK `APIError`. */
interface HeaderLookup {
  get(name: string): string | null;
}

/** {@link ApiStreamError} events that are the provider's fault whatever their code: a cut or unreadable stream, an oversized answer. */
const SERVER_ERROR_EVENTS: ReadonlySet<string> = new Set(['truncated', 'malformed', 'too_large']);

/** How deep the `cause` chain is searched for an errno. */
const MAX_CAUSE_DEPTH = 6;

/**
 * The class names along the prototype chain (most derived first, at most 8), e.g.
 * `APIConnectionTimeoutError, APIConnectionError, APIError, OpenAIError, Error`. The OpenAI SDK
 * leaves `error.name` as `Error`, so classes are recognized by their constructors' names.
 */
function classNames(error: unknown): string[] {
  const names: string[] = [];
  let proto: unknown = typeof error === 'object' && error !== null ? Object.getPrototypeOf(error) : null;
  for (let depth = 0; depth < 8 && typeof proto === 'object' && proto !== null; depth += 1) {
    const ctor = (proto as { constructor?: { name?: unknown } }).constructor;
    if (typeof ctor?.name === 'string' && ctor.name !== '') names.push(ctor.name);
    proto = Object.getPrototypeOf(proto);
  }
  return names;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

/** The milliseconds a `retry-after-ms` / `retry-after` header asks for; `undefined` when absent or past. */
export function retryAfterMsFromHeaders(headers: HeaderLookup | undefined, now: number = Date.now()): number | undefined {
  if (headers === undefined || typeof headers.get !== 'function') return undefined;
  const ms = Number.parseFloat(headers.get('retry-after-ms') ?? '');
  if (Number.isFinite(ms) && ms > 0) return Math.round(ms);
  const value = headers.get('retry-after')?.trim();
  if (value === undefined || value === '') return undefined;
  if (/^\d+(?:\.\d+)?$/.test(value)) {
    const seconds = Number(value);
    return seconds > 0 ? Math.round(seconds * 1000) : undefined;
  }
  const date = Date.parse(value);
  return Number.isFinite(date) && date > now ? date - now : undefined;
}

/** The first errno-like `code` on the `cause` chain (and `AggregateError.errors`), bounded. */
function causeCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < MAX_CAUSE_DEPTH && isRecord(current); depth += 1) {
    const code = text(current['code']);
    if (code !== undefined && /^[A-Z][A-Z0-9_]+$/.test(code)) return code;
    const errors = current['errors'];
    if (Array.isArray(errors)) {
      const inner = errors.map((item) => (isRecord(item) ? text(item['code']) : undefined)).find((item) => item !== undefined);
      if (inner !== undefined) return inner;
    }
    current = current['cause'];
  }
  return undefined;
}

/** The refused redirect on the `cause` chain (the SDK wraps what its `fetch` threw), bounded. */
function refusedRedirect(error: unknown): RedirectRefusedError | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < MAX_CAUSE_DEPTH && isRecord(current); depth += 1) {
    if (current instanceof RedirectRefusedError) return current;
    current = current['cause'];
  }
  return undefined;
}

/** Replaces the key (when one is set) in a provider text. */
function redact(message: string, apiKey: string | undefined): string {
  return apiKey !== undefined && apiKey.length >= 4 ? message.split(apiKey).join('[redacted]') : message;
}

/** Everything a failure told us, most authoritative first. */
interface Signals {
  status: number | undefined;
  codes: string[];
  texts: string[];
  headers: HeaderLookup | undefined;
  /** Stands before the quoted text: `429 rate_limit_error`, `stream error overloaded_error`. */
  head: string;
}

function classifySignals(signals: Signals, context: ApiErrorContext, fallback: FailureReason): AttemptFailure {
  const { reason } = readReason(signals);
  const quoted = signals.texts[0] === undefined ? '' : `: ${quoteLine(signals.texts[0])}`;
  const message = redact(`${context.label}: ${signals.head}${quoted}`, context.apiKey);
  const retryAfterMs = retryAfterMsFromHeaders(signals.headers) ?? signals.texts.map(retryAfterMsFromText).find((ms) => ms !== undefined);
  return {
    reason: reason ?? fallback,
    message,
    ...(signals.status === undefined ? {} : { status: signals.status }),
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  };
}

/** The signals of an SDK `APIError` (HTTP error, or an error event the SDK raised from a stream). */
function apiErrorSignals(error: Record<string, unknown>): Signals {
  const status = validStatus(typeof error['status'] === 'number' ? error['status'] : undefined);
  const body = isRecord(error['error']) ? error['error'] : undefined;
  // Anthropic: body = { type: 'error', error: { type, message, details } }; OpenAI: body = { message, type, code }.
  const inner = body !== undefined && isRecord(body['error']) ? body['error'] : body;
  const codes = [error['errorCode'], error['code'], inner?.['code'], error['type'], inner?.['type']]
    .map(text)
    .filter((code): code is string => code !== undefined && code !== 'error');
  const unique = [...new Set(codes)];
  // The SDK's own `message` repeats the status and the body JSON; quote the provider's message.
  const provider = text(error['apiMessage']) ?? text(inner?.['message']);
  const texts = provider !== undefined ? [provider] : [text(error['message'])].filter((t): t is string => t !== undefined);
  const headers = isRecord(error['headers']) ? (error['headers'] as unknown as HeaderLookup) : undefined;
  const label = unique[0];
  const head =
    status === undefined ? `stream error${label === undefined ? '' : ` ${label}`}` : `${status}${label === undefined ? '' : ` ${label}`}`;
  return { status, codes: unique, texts, headers, head };
}

/**
 * Classifies anything an API call threw. Pure.
 *
 * @returns `{ reason, message, status?, retryAfterMs? }`; the message is
 *   `<provider>/<model>: <status> <type or code>: <provider message>` (one line, ≤ 300 characters
 *   quoted, the key redacted). Nothing recognized gives `unknown` (`server_error` for a malformed
 *   or truncated response, `transport` for a connection error without a known errno).
 */
export function classifyApiError(error: unknown, context: ApiErrorContext): AttemptFailure {
  const { label } = context;
  if (context.aborted === true) return { reason: 'aborted', message: `${label}: aborted by the caller` };
  if (context.timedOut === true)
    return { reason: 'timeout', message: `${label}: ${context.timeoutDetail ?? `no answer within ${context.timeoutMs ?? '?'} ms`}` };
  const names = classNames(error);
  if (names.includes('APIUserAbortError')) return { reason: 'aborted', message: `${label}: request aborted` };
  if (names.includes('APIConnectionTimeoutError'))
    return { reason: 'timeout', message: `${label}: the request timed out (no response headers)` };

  if (error instanceof ApiStreamError) {
    const codes = error.code === undefined ? [] : [error.code];
    const fallback: FailureReason = SERVER_ERROR_EVENTS.has(error.event) ? 'server_error' : 'unknown';
    const head = `${error.event}${error.code === undefined ? '' : ` ${error.code}`}`;
    return classifySignals({ status: undefined, codes, texts: [error.message], headers: undefined, head }, context, fallback);
  }
  const redirect = refusedRedirect(error);
  if (redirect !== undefined) return { reason: 'config', message: `${label}: ${redirect.message}`, status: redirect.status };
  if (names.includes('APIConnectionError')) {
    const code = causeCode(error);
    const head = `connection failed${code === undefined ? '' : ` (${code})`}`;
    return classifySignals(
      { status: undefined, codes: code === undefined ? [] : [code], texts: [], headers: undefined, head },
      context,
      'transport',
    );
  }
  if (isRecord(error) && names.includes('APIError')) return classifySignals(apiErrorSignals(error), context, 'unknown');
  if (names.includes('SyntaxError')) {
    return classifySignals(
      { status: undefined, codes: [], texts: [String((error as Error).message)], headers: undefined, head: 'malformed response' },
      context,
      'server_error',
    );
  }
  const code = causeCode(error);
  const message = error instanceof Error ? error.message : printable(error);
  const head = code === undefined ? 'error' : `error (${code})`;
  const fallback: FailureReason = message === 'terminated' ? 'transport' : 'unknown';
  return classifySignals(
    { status: undefined, codes: code === undefined ? [] : [code], texts: [message], headers: undefined, head },
    context,
    fallback,
  );
}

/** `String(value)`, or `[object Object]`-style text for a value `String` cannot convert (no prototype, a throwing `toString`). */
function printable(value: unknown): string {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/**
 * {@link classifyApiError} as a throwable {@link AttemptError} (`status`, `retryAfterMs`,
 * `outputSent` from the context, and the original error as `cause`).
 */
export function toApiAttemptError(error: unknown, context: ApiErrorContext): AttemptError {
  if (error instanceof AttemptError) return error;
  const failure = classifyApiError(error, context);
  return new AttemptError(failure.reason, failure.message, {
    status: failure.status,
    retryAfterMs: failure.retryAfterMs,
    outputSent: context.outputSent,
    cause: error,
  });
}
