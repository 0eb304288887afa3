/**
 * The one table from a failed request to its HTTP answer (`safetynet serve`): status code, a
 * wire-neutral error kind, and `Retry-After` seconds when a client should come back. Both wire
 * formats (`./wire-errors.ts`) render these kinds. Decisions read error codes and attempt reasons,
 * never message text. The table is documented in the README ("Serve", status codes).
 */
import { RequestError, SafetynetError, type RequestAttempt } from '../errors.js';

/** What went wrong, independent of the wire format. */
export type ErrorKind =
  | 'invalid_request'
  | 'authentication'
  | 'not_found'
  | 'conflict'
  | 'request_too_large'
  | 'rate_limit'
  | 'overloaded'
  | 'timeout'
  | 'upstream'
  | 'internal';

/** An HTTP error answer before it is rendered in a wire format. */
export interface HttpProblem {
  /** HTTP status code. */
  status: number;
  kind: ErrorKind;
  /** Human-readable message (never a prompt or a key). */
  message: string;
  /** The request field at fault (OpenAI `param`), when one is. */
  param?: string;
  /** OpenAI `code`, e.g. `model_not_found`. */
  code?: string;
  /** Seconds for the `Retry-After` header. */
  retryAfterSeconds?: number;
}

/**
 * `Retry-After` when every candidate was rate-limited or cooling down and none said how long to
 * wait: 30 s, the first step of the transient cooldown ladder (`docs/failover-policy.md`).
 */
export const DEFAULT_RETRY_AFTER_SECONDS = 30;

/** Reasons that mean "come back later": the provider's rate limit, or a CLI backend's full queue. */
const BACK_LATER = new Set<string>(['rate_limit', 'queue_full']);
/** Reasons that mean "busy or down for now". */
const UNAVAILABLE = new Set<string>(['rate_limit', 'queue_full', 'overloaded']);

/** The attempts that count for the status: tried and failed, or skipped for a cooldown (not the allowlist). */
function relevant(attempts: readonly RequestAttempt[]): RequestAttempt[] {
  return attempts.filter((attempt) => !attempt.ok && !(attempt.skipped === true && attempt.reason === 'config'));
}

/**
 * The status of "every candidate failed", by the reasons of the attempts that count:
 * every one rate-limited / queue-full / cooling down → 429 with `Retry-After` (the smallest
 * `retryAfterMs` given, else {@link DEFAULT_RETRY_AFTER_SECONDS}); every one a timeout → 504;
 * every one busy (overloaded, rate-limited, queue-full, cooling down) → 503; otherwise 502.
 */
export function allFailedProblem(attempts: readonly RequestAttempt[], message: string): HttpProblem {
  const counted = relevant(attempts);
  const reason = (attempt: RequestAttempt) => String(attempt.reason ?? 'unknown');
  if (counted.length > 0 && counted.every((attempt) => attempt.skipped === true || BACK_LATER.has(reason(attempt)))) {
    const waits = counted.map((attempt) => attempt.retryAfterMs).filter((ms): ms is number => typeof ms === 'number' && ms > 0);
    const retryAfterSeconds = waits.length === 0 ? DEFAULT_RETRY_AFTER_SECONDS : Math.max(1, Math.ceil(Math.min(...waits) / 1000));
    return { status: 429, kind: 'rate_limit', message, retryAfterSeconds };
  }
  if (counted.length > 0 && counted.every((attempt) => !attempt.skipped && reason(attempt) === 'timeout'))
    return { status: 504, kind: 'timeout', message };
  if (counted.length > 0 && counted.every((attempt) => attempt.skipped === true || UNAVAILABLE.has(reason(attempt))))
    return { status: 503, kind: 'overloaded', message, retryAfterSeconds: DEFAULT_RETRY_AFTER_SECONDS };
  return { status: 502, kind: 'upstream', message };
}

/**
 * The HTTP answer for an error thrown by `runtime.run()`:
 *
 * | error code                                   | status | kind                |
 * | -------------------------------------------- | ------ | ------------------- |
 * | `SAFETYNET_USAGE`, `SAFETYNET_IMAGE_INVALID` | 400    | `invalid_request`   |
 * | `SAFETYNET_MODEL_NOT_ALLOWED`                | 404    | `not_found`         |
 * | `SAFETYNET_SESSION_BUSY`, `…_TRANSCRIPT_CONFLICT` | 409 | `conflict`         |
 * | `SAFETYNET_ALL_CANDIDATES_FAILED`            | 429 / 503 / 504 / 502 | {@link allFailedProblem} |
 * | `SAFETYNET_STREAM_INTERRUPTED`               | 502    | `upstream`          |
 * | `SAFETYNET_ABORTED`, `…_RUNTIME_CLOSED`, `…_STORE_*` | 503 | `overloaded` (`…_STORE_UNAVAILABLE`: `Retry-After: 1`) |
 * | anything else                                | 500    | `internal`          |
 *
 * (An aborted request whose client has gone gets no answer at all; the caller checks that first.)
 */
export function problemFor(error: unknown): HttpProblem {
  if (!SafetynetError.is(error)) return { status: 500, kind: 'internal', message: 'internal error in safetynet serve' };
  const { message } = error;
  switch (error.code) {
    case 'SAFETYNET_USAGE':
    case 'SAFETYNET_IMAGE_INVALID':
      return { status: 400, kind: 'invalid_request', message };
    case 'SAFETYNET_MODEL_NOT_ALLOWED':
      return { status: 404, kind: 'not_found', message, param: 'model', code: 'model_not_found' };
    case 'SAFETYNET_SESSION_BUSY':
    case 'SAFETYNET_TRANSCRIPT_CONFLICT':
      return { status: 409, kind: 'conflict', message };
    case 'SAFETYNET_ALL_CANDIDATES_FAILED':
      return allFailedProblem(error instanceof RequestError ? error.attempts : [], message);
    case 'SAFETYNET_STREAM_INTERRUPTED':
      return { status: 502, kind: 'upstream', message };
    case 'SAFETYNET_ABORTED':
    case 'SAFETYNET_RUNTIME_CLOSED':
    case 'SAFETYNET_STORE_LOCKED':
    case 'SAFETYNET_STORE_FAILED':
      return { status: 503, kind: 'overloaded', message };
    case 'SAFETYNET_STORE_UNAVAILABLE':
      // The Redis client reconnects by itself: a retry soon may well succeed.
      return { status: 503, kind: 'overloaded', message, retryAfterSeconds: 1, code: error.code };
    default:
      return { status: 500, kind: 'internal', message };
  }
}
