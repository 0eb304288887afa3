/**
 * The one classifier of CLI failures: turns what a finished CLI printed into an
 * {@link AttemptFailure} with a {@link FailureReason}. Pure; used by the output parsers.
 *
 * Reading order (`docs/failover-policy.md#classification-order`): the HTTP status (a structured
 * field, else one quoted in the CLI's error text), then error codes, then the CLIs' documented
 * error texts. The orchestrator's own deadline and the caller's abort are decided by the process
 * runner, not here.
 */
import type { AttemptFailure, FailureReason } from '../errors.js';
import { ROOT_REFUSAL_TEXT, rootRefusalFix } from './root-refusal.js';

/** Everything a failed run told us, most authoritative first. */
export interface CliFailureSignals {
  /** Short CLI name that starts the message, e.g. `claude` (the command's basename). */
  cli: string;
  /** The backend id (`claude-cli`), used in configuration hints. */
  backendId?: string | undefined;
  /** Process exit code, when the process exited. */
  exitCode?: number | undefined;
  /** Terminating signal, when the process was killed. */
  signal?: string | undefined;
  /**
   * HTTP status from a structured field: Claude `api_error_status` (or `api_retry.error_status`),
   * Gemini `error.code` 100–599. `null` and out-of-range values are ignored.
   */
  status?: number | null | undefined;
  /**
   * Error code from a structured field: Gemini `error.code` (41 auth setup, 42 session, 55
   * untrusted folder) or API status name (`RESOURCE_EXHAUSTED`), Claude `api_retry.error`
   * (`authentication_failed`, `rate_limit`, `overloaded`, `server_error`), a spawn errno
   * (`ENOENT`, `EACCES`, `E2BIG` → config).
   */
  code?: string | number | null | undefined;
  /**
   * The CLI's own error texts, most authoritative first (Claude `result`, Codex
   * `turn.failed.error.message`, Gemini `error.message`, stderr error lines). The first
   * non-empty one is quoted in the message; all are searched. Never pass known stderr noise
   * (`docs/cli-contracts.md#stderr-noise`): a non-empty stderr is not a failure.
   */
  texts?: readonly (string | undefined)[];
}

/** The longest CLI error line quoted in a message. */
export const MAX_QUOTED_CHARS = 300;

// Statuses quoted in error texts: Codex `unexpected status 429 Too Many Requests` / `last status:
// 429`, Claude `API Error: 500 …` / `Request rejected (429)`, Gemini `failed with status 429` and
// its embedded API JSON `"code":429`, and `HTTP 404`.
const STATUS_IN_TEXT: readonly RegExp[] = [
  /\bunexpected status (\d{3})\b/i,
  /\blast status:? (\d{3})\b/i,
  /\bAPI Error:? (\d{3})\b/i,
  /\bRequest rejected \((\d{3})\)/i,
  /\bfailed with status (\d{3})\b/i,
  /"code"\s*:\s*(\d{3})\b/,
  /\bHTTP (\d{3})\b/,
];

const BILLING_TEXT =
  /insufficient_quota|quota exceeded|plan and billing|billing details|credit balance|out of (?:usage )?credits|payment required/i;
const SESSION_TEXT = /no conversation found|no rollout found|error resuming session|no previous sessions found/i;
const CONTEXT_TEXT = /context window|context[_ ]length|maximum context|prompt is too long|request_too_large/i;

const CODE_REASONS: Readonly<Record<string, FailureReason>> = {
  authentication_failed: 'auth',
  authentication_error: 'auth',
  permission_error: 'auth',
  invalid_api_key: 'auth',
  unauthenticated: 'auth',
  permission_denied: 'auth',
  billing_error: 'billing',
  insufficient_quota: 'billing',
  rate_limit: 'rate_limit',
  rate_limit_error: 'rate_limit',
  rate_limit_exceeded: 'rate_limit',
  resource_exhausted: 'rate_limit',
  too_many_requests: 'rate_limit',
  overloaded: 'overloaded',
  overloaded_error: 'overloaded',
  unavailable: 'overloaded',
  server_error: 'server_error',
  api_error: 'server_error',
  internal: 'server_error',
  context_length_exceeded: 'context_overflow',
  request_too_large: 'context_overflow',
  not_found_error: 'model_not_found',
  model_not_found: 'model_not_found',
  not_found: 'model_not_found',
  deadline_exceeded: 'timeout',
  etimedout: 'timeout',
  esockettimedout: 'timeout',
  econnrefused: 'transport',
  econnreset: 'transport',
  enotfound: 'transport',
  eai_again: 'transport',
  enetunreach: 'transport',
  ehostunreach: 'transport',
  // undici / fetch and socket codes, as the API SDKs surface them on the error's `cause` chain
  und_err_connect_timeout: 'timeout',
  und_err_headers_timeout: 'timeout',
  und_err_body_timeout: 'timeout',
  und_err_socket: 'transport',
  und_err_closed: 'transport',
  econnaborted: 'transport',
  epipe: 'transport',
  ehostdown: 'transport',
  enetdown: 'transport',
  enoent: 'config',
  eacces: 'config',
  e2big: 'config',
};

/** A documented CLI error text and its reason (`docs/failover-policy.md#classification-order`). First match wins. */
export interface TextRule {
  pattern: RegExp;
  reason: FailureReason;
  /** Appended to the message: what the user should do. */
  hint?: (signals: CliFailureSignals) => string;
}

/** One case-insensitive pattern matching any of `parts` (long alternations kept readable). */
function anyOf(...parts: RegExp[]): RegExp {
  return new RegExp(parts.map((part) => part.source).join('|'), 'i');
}

const rootHint = (signals: CliFailureSignals): string => rootRefusalFix(signals.backendId ?? signals.cli);

const TEXT_RULES: readonly TextRule[] = [
  // Sessions: the stored id is unknown here (stale, or another cwd): start a new session.
  {
    pattern: anyOf(
      /no conversation found with session id|no rollout found for thread id|error resuming session/,
      /no previous sessions found|--resume requires a valid session id/,
    ),
    reason: 'session_expired',
  },
  // The backend cannot run as configured (argv builder bug, environment, CLI settings).
  { pattern: ROOT_REFUSAL_TEXT, reason: 'config', hint: rootHint },
  {
    pattern:
      /unknown option|error: unexpected argument|unrecognized subcommand|input must be provided|no prompt provided|not enough arguments following/i,
    reason: 'config',
  },
  { pattern: /invalid session id|is already in use/i, reason: 'config' },
  {
    pattern: /error loading config\.toml|not inside a trusted directory|not running in a trusted directory|invalid auth method selected/i,
    reason: 'config',
  },
  // Credentials.
  {
    pattern: anyOf(
      /not logged in|invalid api key|incorrect api key|api key not valid|\b401 unauthorized|\b403 forbidden/,
      /missing environment variable|failed to authenticate|please set an auth method/,
      /authentication_error|permission_error|unauthenticated|permission_denied/,
    ),
    reason: 'auth',
  },
  { pattern: BILLING_TEXT, reason: 'billing' },
  {
    pattern:
      /ran out of room in the model's context window|context_length_exceeded|context length exceeded|maximum context length|prompt is too long/i,
    reason: 'context_overflow',
  },
  {
    pattern: /404 not found|issue with the selected model|not_found_error|unknown model|model\b[^.]{0,80}\b(?:not found|does not exist)/i,
    reason: 'model_not_found',
  },
  { pattern: /too many requests|rate[ _]limit|resource_exhausted|resource has been exhausted/i, reason: 'rate_limit' },
  { pattern: /overloaded|high demand|service unavailable/i, reason: 'overloaded' },
  { pattern: /request timed out|idle timeout waiting for sse|timed out|deadline exceeded|etimedout/i, reason: 'timeout' },
  {
    pattern: anyOf(
      /unable to connect to api|reconnecting\.\.\. waiting for network|connectionrefused|econnrefused/,
      /failed to lookup address|connection failed|enotfound|eai_again|econnreset/,
    ),
    reason: 'transport',
  },
  {
    pattern: anyOf(
      /stream disconnected before completion|stream closed before response\.completed|failed to parse json/,
      /empty or malformed response|internal server error|bad gateway/,
    ),
    reason: 'server_error',
  },
];

/** A status in 100–599 (an integer), else `undefined`. */
export function validStatus(value: number | null | undefined): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 100 && value <= 599 ? value : undefined;
}

/** The first HTTP error status (400–599) quoted in one of the texts. */
export function statusInText(texts: readonly string[]): number | undefined {
  for (const text of texts) {
    for (const pattern of STATUS_IN_TEXT) {
      const status = validStatus(Number(pattern.exec(text)?.[1]));
      if (status !== undefined && status >= 400) return status;
    }
  }
  return undefined;
}

/** Status → reason; `undefined` for statuses that need the text (400, 422, …). */
export function reasonForStatus(status: number, text = ''): FailureReason | undefined {
  if (status === 401 || status === 403) return BILLING_TEXT.test(text) ? 'billing' : 'auth';
  if (status === 402) return 'billing';
  if (status === 404) return SESSION_TEXT.test(text) ? 'session_expired' : CONTEXT_TEXT.test(text) ? 'context_overflow' : 'model_not_found';
  if (status === 408) return 'timeout';
  if (status === 413) return 'context_overflow';
  if (status === 429) return BILLING_TEXT.test(text) ? 'billing' : 'rate_limit';
  if (status === 503 || status === 529) return 'overloaded';
  if (status >= 500) return 'server_error';
  return undefined;
}

/** Error code → reason. Gemini's numeric codes: 41 (auth setup), 42 (session), 55 (untrusted). */
export function reasonForCode(code: string | number, text = ''): FailureReason | undefined {
  if (code === 41) return /please set an auth method/i.test(text) ? 'auth' : 'config';
  if (code === 42) return 'session_expired';
  if (code === 55) return 'config';
  return typeof code === 'string' ? CODE_REASONS[code.toLowerCase()] : undefined;
}

/**
 * The retry-after hint in ms carried by an error text: `try again in 2.4s` (OpenAI, via Codex),
 * `retry after 30 seconds`, `retry-after: 5`. `undefined` when none.
 */
export function retryAfterMsFromText(text: string): number | undefined {
  const match =
    /\b(?:try again|retry)(?:[- ](?:in|after))[:\s]\s*(\d+(?:\.\d+)?)\s*(ms|milliseconds?|s|secs?|seconds?|m|mins?|minutes?)?\b/i.exec(
      text,
    );
  if (match === null) return undefined;
  const value = Number(match[1]);
  const unit = (match[2] ?? 's').toLowerCase();
  const factor = unit.startsWith('ms') || unit.startsWith('milli') ? 1 : unit.startsWith('m') ? 60_000 : 1000;
  const ms = Math.round(value * factor);
  return Number.isFinite(ms) && ms > 0 ? ms : undefined;
}

/** One line, whitespace collapsed, at most {@link MAX_QUOTED_CHARS} characters. */
export function quoteLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length <= MAX_QUOTED_CHARS ? line : `${line.slice(0, MAX_QUOTED_CHARS - 1)}…`;
}

/** `<cli>: <line>`, unless the CLI already named itself (`fake-cli: …` never becomes `fake-cli: fake-cli: …`). */
function namedLine(cli: string, line: string): string {
  return line.toLowerCase().startsWith(`${cli.toLowerCase()}:`) ? line : `${cli}: ${line}`;
}

/** The message when the CLI left no error text. */
function silentMessage(signals: CliFailureSignals): string {
  if (signals.signal !== undefined) return `${signals.cli} was killed by ${signals.signal} before it printed a reply`;
  if (signals.exitCode === 0) return `${signals.cli} printed no reply (exit code 0)`;
  if (signals.exitCode !== undefined) return `${signals.cli} exited with code ${signals.exitCode} without an error message`;
  return `${signals.cli} did not exit normally and printed no reply`;
}

/** What one failure said, in reading order (for {@link readReason}). */
export interface ReasonSignals {
  /** A valid HTTP status (see {@link validStatus}), when there is one. */
  status: number | undefined;
  /** Error codes, most authoritative first. */
  codes: readonly (string | number)[];
  /** Error texts, most authoritative first (already non-empty). */
  texts: readonly string[];
}

/**
 * The reason of a failure, read in the one order shared by CLI and API failures: the HTTP status,
 * then each error code, then the documented texts (the first text that matches a rule decides).
 *
 * @returns the reason (`undefined` when nothing is recognised) and the text rule that decided it,
 *   if a text did (its `hint` is appended to CLI messages).
 */
export function readReason(signals: ReasonSignals): { reason: FailureReason | undefined; rule: TextRule | undefined } {
  const allText = [...signals.codes.map(String), ...signals.texts].join('\n');
  let reason = signals.status === undefined ? undefined : reasonForStatus(signals.status, allText);
  for (const code of signals.codes) {
    if (reason !== undefined) return { reason, rule: undefined };
    reason = reasonForCode(code, allText);
  }
  if (reason !== undefined) return { reason, rule: undefined };
  for (const text of signals.texts) {
    const rule = TEXT_RULES.find((candidate) => candidate.pattern.test(text));
    if (rule !== undefined) return { reason: rule.reason, rule };
  }
  return { reason: undefined, rule: undefined };
}

/**
 * Classifies a failed CLI run. Pure.
 *
 * @returns `{reason, message, exitCode?, signal?, status?, retryAfterMs?}`; `message` is
 *   `<cli>: <the CLI's own error line>` (≤ 300 characters quoted), plus a hint for root refusal.
 *   Nothing recognised gives `unknown` (the chain still falls back).
 */
export function classifyCliFailure(signals: CliFailureSignals): AttemptFailure {
  const texts = (signals.texts ?? []).filter((text): text is string => typeof text === 'string' && text.trim() !== '');
  const status = validStatus(signals.status) ?? statusInText(texts);
  const code = signals.code ?? undefined;

  const { reason, rule } = readReason({ status, codes: code === undefined ? [] : [code], texts });

  const first = texts[0];
  let message = first === undefined ? silentMessage(signals) : namedLine(signals.cli, quoteLine(first));
  if (rule?.hint !== undefined) message += ` — ${rule.hint(signals)}`;
  const retryAfterMs = texts.map(retryAfterMsFromText).find((ms) => ms !== undefined);

  return {
    reason: reason ?? 'unknown',
    message,
    ...(signals.exitCode === undefined ? {} : { exitCode: signals.exitCode }),
    ...(signals.signal === undefined ? {} : { signal: signals.signal }),
    ...(status === undefined ? {} : { status }),
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  };
}
