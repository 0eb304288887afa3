/**
 * Every error safetynet throws on purpose extends {@link SafetynetError} and carries a stable,
 * uppercase `code` (documented in the README's "Error codes" section) plus the original `cause`.
 * Codes never change; messages may. Failover decisions read fields (`reason`, `exitCode`,
 * `signal`, `status`), never `message`.
 *
 * Modelled on abstract-level's `ModuleError` (stable `LEVEL_*` codes with a `cause`).
 */

/** The stable error codes. Each one has a README entry saying when it happens and what to do. */
export type SafetynetErrorCode =
  | 'SAFETYNET_CONFIG_NOT_FOUND'
  | 'SAFETYNET_CONFIG_SYNTAX'
  | 'SAFETYNET_CONFIG_INVALID'
  | 'SAFETYNET_USAGE'
  | 'SAFETYNET_MODEL_NOT_ALLOWED'
  | 'SAFETYNET_IMAGE_INVALID'
  | 'SAFETYNET_STORE_LOCKED'
  | 'SAFETYNET_STORE_FAILED'
  | 'SAFETYNET_STORE_UNAVAILABLE'
  | 'SAFETYNET_ATTEMPT_FAILED'
  | 'SAFETYNET_ALL_CANDIDATES_FAILED'
  | 'SAFETYNET_ABORTED'
  | 'SAFETYNET_RUNTIME_CLOSED'
  | 'SAFETYNET_SESSION_BUSY'
  | 'SAFETYNET_TRANSCRIPT_CONFLICT'
  | 'SAFETYNET_STREAM_INTERRUPTED';

/**
 * Why one attempt (one candidate, API or CLI) failed. One classification for API errors and CLI
 * failures; the request machine's fallback guards read this field only.
 *
 * - `auth`: bad or missing credentials (HTTP 401/403, "Not logged in", missing key).
 * - `billing`: quota or credits exhausted ("insufficient_quota", "Quota exceeded").
 * - `rate_limit`: HTTP 429 or a rate-limit message.
 * - `overloaded`: HTTP 529/503, "overloaded", "high demand".
 * - `server_error`: other 5xx, malformed or truncated provider responses.
 * - `timeout`: no answer (or no output) within the attempt's deadline.
 * - `transport`: the endpoint could not be reached (connection refused, DNS, reset).
 * - `model_not_found`: HTTP 404 / unknown model.
 * - `context_overflow`: the prompt does not fit the model's context window.
 * - `session_expired`: a stored CLI session id is unknown to the CLI (e.g. `No conversation found
 *   with session ID`); the turn is retried once as a new session.
 * - `config`: the candidate cannot run as configured (command not found, root refusal, bad argv).
 * - `queue_full`: the CLI backend already has `maxQueue` turns waiting for one of its
 *   `maxConcurrent` slots; nothing was spawned. Our own load, not the provider's health: it never
 *   cools the candidate down.
 * - `aborted`: the caller aborted the request; the chain stops at once.
 * - `unknown`: nothing classified; still falls back to the next candidate.
 */
export type FailureReason =
  | 'auth'
  | 'billing'
  | 'rate_limit'
  | 'overloaded'
  | 'server_error'
  | 'timeout'
  | 'transport'
  | 'model_not_found'
  | 'context_overflow'
  | 'session_expired'
  | 'config'
  | 'queue_full'
  | 'aborted'
  | 'unknown';

/** All failure reasons, in documentation order. */
export const FAILURE_REASONS: readonly FailureReason[] = [
  'auth',
  'billing',
  'rate_limit',
  'overloaded',
  'server_error',
  'timeout',
  'transport',
  'model_not_found',
  'context_overflow',
  'session_expired',
  'config',
  'queue_full',
  'aborted',
  'unknown',
];

const BRAND = Symbol.for('safetynet.error');

/** Options shared by every {@link SafetynetError}. */
export interface SafetynetErrorOptions {
  /** The underlying error, kept as `error.cause`. */
  cause?: unknown;
}

/**
 * Base class of every error safetynet throws on purpose.
 *
 * @example
 * try { await runtime.run({ message: 'hi' }) }
 * catch (error) { if (SafetynetError.is(error) && error.code === 'SAFETYNET_CONFIG_INVALID') … }
 */
export class SafetynetError extends Error {
  /** Stable uppercase code, e.g. `SAFETYNET_CONFIG_INVALID`. */
  readonly code: SafetynetErrorCode;

  constructor(code: SafetynetErrorCode, message: string, options: SafetynetErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    Object.defineProperty(this, BRAND, { value: true });
  }

  override get name(): string {
    return this.constructor.name;
  }

  /** True for any SafetynetError, also across duplicated package copies (uses a global symbol). */
  static is(value: unknown): value is SafetynetError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }
}

/** Where a configuration problem was found: file, key path, expected shape, received value. */
export interface ConfigProblem {
  /** Absolute path of the config file, or `<inline>` for a config object passed to the library. */
  file: string;
  /** Dotted key path, e.g. `agents.defaults.cliBackends.codex-cli.sessionMode`. */
  path: string;
  /** What was expected, e.g. `one of "always" | "existing" | "none"`. */
  expected: string;
  /** The received value, rendered as JSON (truncated to 80 characters). */
  received: string;
  /** Optional hint, e.g. `did you mean "sessionArg"?`. */
  hint?: string;
}

/** A configuration file is missing, unparseable or does not match the schema. */
export class ConfigError extends SafetynetError {
  /** The config file, or `<inline>`. */
  readonly file: string;
  /** Every problem found (schema errors); empty for syntax and not-found errors. */
  readonly problems: readonly ConfigProblem[];
  /** 1-based line of a syntax error. */
  readonly line: number | undefined;
  /** 1-based column of a syntax error. */
  readonly column: number | undefined;

  constructor(
    code: 'SAFETYNET_CONFIG_NOT_FOUND' | 'SAFETYNET_CONFIG_SYNTAX' | 'SAFETYNET_CONFIG_INVALID',
    message: string,
    details: { file: string; problems?: ConfigProblem[]; line?: number; column?: number; cause?: unknown },
  ) {
    super(code, message, { cause: details.cause });
    this.file = details.file;
    this.problems = details.problems ?? [];
    this.line = details.line;
    this.column = details.column;
  }
}

/** Bad command-line usage or an invalid request (missing message, unknown flag, bad model ref). */
export class UsageError extends SafetynetError {
  constructor(
    message: string,
    options: SafetynetErrorOptions & { code?: 'SAFETYNET_USAGE' | 'SAFETYNET_MODEL_NOT_ALLOWED' | 'SAFETYNET_IMAGE_INVALID' } = {},
  ) {
    super(options.code ?? 'SAFETYNET_USAGE', message, options);
  }
}

/** The LevelDB state folder could not be opened or written. */
export class StoreError extends SafetynetError {
  /** The LevelDB folder, or the Redis URL without its password. */
  readonly location: string;
  constructor(
    code: 'SAFETYNET_STORE_LOCKED' | 'SAFETYNET_STORE_FAILED' | 'SAFETYNET_STORE_UNAVAILABLE' | 'SAFETYNET_TRANSCRIPT_CONFLICT',
    message: string,
    details: { location: string; cause?: unknown },
  ) {
    super(code, message, { cause: details.cause });
    this.location = details.location;
  }
}

/**
 * One attempt failed (a CLI turn or an API call). Carries the classified `reason` and the
 * raw signals it was derived from.
 */
export class AttemptError extends SafetynetError {
  readonly reason: FailureReason;
  /** Process exit code, when a process ran and exited. */
  readonly exitCode: number | undefined;
  /** Terminating signal, when the process was killed. */
  readonly signal: string | undefined;
  /** HTTP status reported by the provider or the CLI (Claude's `api_error_status`). */
  readonly status: number | undefined;
  /** Milliseconds the provider asked us to wait (Retry-After), when known. */
  readonly retryAfterMs: number | undefined;
  /**
   * Part of this attempt's answer already reached the caller (`RunRequest.onText`) when it failed:
   * the request cannot fall back any more (another candidate's answer would be spliced onto it).
   */
  readonly outputSent: boolean;

  constructor(
    reason: FailureReason,
    message: string,
    details: {
      exitCode?: number | undefined;
      signal?: string | undefined;
      status?: number | undefined;
      retryAfterMs?: number | undefined;
      outputSent?: boolean | undefined;
      cause?: unknown;
    } = {},
  ) {
    super(reason === 'aborted' ? 'SAFETYNET_ABORTED' : 'SAFETYNET_ATTEMPT_FAILED', message, { cause: details.cause });
    this.reason = reason;
    this.exitCode = details.exitCode;
    this.signal = details.signal;
    this.status = details.status;
    this.retryAfterMs = details.retryAfterMs;
    this.outputSent = details.outputSent === true;
  }

  /** The plain, JSON-serializable form kept in machine context and traces. */
  toFailure(): AttemptFailure {
    return {
      reason: this.reason,
      message: this.message,
      ...(this.exitCode === undefined ? {} : { exitCode: this.exitCode }),
      ...(this.signal === undefined ? {} : { signal: this.signal }),
      ...(this.status === undefined ? {} : { status: this.status }),
      ...(this.retryAfterMs === undefined ? {} : { retryAfterMs: this.retryAfterMs }),
      ...(this.outputSent ? { outputSent: true as const } : {}),
    };
  }
}

/** The JSON-serializable description of a failed attempt (kept in machine context, never an Error). */
export interface AttemptFailure {
  reason: FailureReason;
  message: string;
  exitCode?: number;
  signal?: string;
  status?: number;
  retryAfterMs?: number;
  /** Set when part of the attempt's answer had reached the caller: no fallback after it. */
  outputSent?: true;
}

/**
 * The same failure, marked as happening after part of the attempt's answer reached the caller
 * (`AttemptError.outputSent`): the request machine then ends the request instead of falling back.
 * The original error is kept as `cause`.
 */
export function withOutputSent(error: unknown): AttemptError {
  if (error instanceof AttemptError && error.outputSent) return error;
  const { reason, message, exitCode, signal, status, retryAfterMs } = toAttemptFailure(error);
  return new AttemptError(reason, message, { exitCode, signal, status, retryAfterMs, outputSent: true, cause: error });
}

/** Turn anything thrown by an attempt into an {@link AttemptFailure}. Unknown errors become `unknown`. */
export function toAttemptFailure(error: unknown): AttemptFailure {
  if (error instanceof AttemptError) return error.toFailure();
  if (SafetynetError.is(error)) {
    const reason: FailureReason =
      error.code === 'SAFETYNET_ABORTED' ? 'aborted' : error.code.startsWith('SAFETYNET_CONFIG') ? 'config' : 'unknown';
    return { reason, message: error.message };
  }
  if (typeof error === 'object' && error !== null && 'reason' in error && typeof (error as AttemptFailure).reason === 'string') {
    const failure = error as AttemptFailure;
    return { ...failure, message: String(failure.message ?? failure.reason) };
  }
  return { reason: 'unknown', message: error instanceof Error ? error.message : String(error) };
}

/**
 * A request ended without an answer: every candidate failed (`SAFETYNET_ALL_CANDIDATES_FAILED`),
 * the caller aborted (`SAFETYNET_ABORTED`), or the answering attempt failed after part of its answer
 * had been streamed to the caller (`SAFETYNET_STREAM_INTERRUPTED`: no fallback after the first
 * streamed text; the partial answer is not an answer). Carries the attempt log, in order.
 */
export class RequestError extends SafetynetError {
  /** Every attempt, in order: `{ model, backend, ok, reason?, detail?, durationMs }`. */
  readonly attempts: readonly RequestAttempt[];
  /** The request id (also in traces). */
  readonly requestId: string;

  constructor(
    code: 'SAFETYNET_ALL_CANDIDATES_FAILED' | 'SAFETYNET_ABORTED' | 'SAFETYNET_STREAM_INTERRUPTED',
    message: string,
    details: { attempts: readonly RequestAttempt[]; requestId: string; cause?: unknown },
  ) {
    super(code, message, { cause: details.cause });
    this.attempts = details.attempts;
    this.requestId = details.requestId;
  }
}

/**
 * The turn of a session key could not start: another turn of the same key (in this process or in
 * another one sharing the state folder) held the session lane for the whole wait, which is bounded
 * by the request's deadline or its abort signal (`SAFETYNET_SESSION_BUSY`). Nothing was sent and
 * nothing was stored.
 */
export class SessionBusyError extends SafetynetError {
  /** The session key whose lane stayed busy. */
  readonly sessionKey: string;
  /** How long the request waited for the lane, in ms. */
  readonly waitedMs: number;

  constructor(message: string, details: { sessionKey: string; waitedMs: number; cause?: unknown }) {
    super('SAFETYNET_SESSION_BUSY', message, { cause: details.cause });
    this.sessionKey = details.sessionKey;
    this.waitedMs = details.waitedMs;
  }
}

/**
 * How a CLI attempt continued the conversation (see `docs/conversations.md#continuation`):
 * - `new`: no history and no usable CLI session: a new session with the user's message only;
 * - `resume`: the CLI session has seen every earlier turn: resumed with the user's message only;
 * - `catch-up`: the CLI session lags: resumed with the turns it missed, then the user's message;
 * - `reseed`: no usable CLI session (none stored, expired, or its history differs): a new session
 *   with the whole history, then the user's message.
 */
export type Continuation = 'new' | 'resume' | 'catch-up' | 'reseed';

/** One attempt as reported to callers (same shape as the machine's attempt log). */
export interface RequestAttempt {
  model: string;
  backend: 'cli' | 'api';
  ok: boolean;
  reason?: FailureReason;
  detail?: string;
  exitCode?: number;
  /** HTTP status reported by the provider (or by the CLI, e.g. Claude's `api_error_status`). */
  status?: number;
  /**
   * In ms: on a failed attempt, the provider's Retry-After as the cooldown applied it (clamped to
   * [1 s, 1 h]: a `Retry-After: 999999999` reports 3600000); on an attempt
   * skipped for a cooldown, how long until the candidate may be tried again (its cooldown ends or
   * its next half-open probe), so a server can answer with a Retry-After.
   */
  retryAfterMs?: number;
  /**
   * The candidate was tried although it cools down: the half-open probe of its cooldown
   * (`docs/failover-policy.md#half-open-probes`), the forced try when every candidate cools down, or
   * the last resort after every live candidate failed (`docs/failover-policy.md#the-last-resort`).
   */
  probe?: boolean;
  /** Retry notices the CLI printed while the attempt ran (Claude `api_retry`, Codex `Reconnecting…`), in order. */
  notices?: string[];
  skipped?: boolean;
  /** Set when part of this attempt's answer had been streamed to the caller before it failed. */
  outputSent?: true;
  /** CLI attempts: how the conversation was continued (`resume`, `catch-up`, `reseed`, `new`). */
  continuation?: Continuation;
  /** CLI attempts: how many earlier turns were written into the prompt (catch-up and reseed). */
  historyTurns?: number;
  durationMs: number;
}
