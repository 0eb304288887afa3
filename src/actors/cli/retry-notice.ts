/**
 * Reading the retry notices Claude and Codex print on stdout (JSONL) while they retry a failed
 * request, before the watch policy (`./watch.ts`) classifies them. Pure: one line in, one notice or
 * nothing out. Gemini's stderr notices: `./retry-notice-gemini.ts`.
 *
 * What they print (`docs/cli-contracts.md#cli-retries`, `#retry-watch`; fixtures
 * `claude/stream-json-*`, `codex/http-*`, `codex/connection-refused`):
 * - Claude `--output-format stream-json --verbose`: one
 *   `{"type":"system","subtype":"api_retry","attempt":1,"max_retries":2,"retry_delay_ms":538.2,
 *   "error_status":401,"error":"authentication_failed",…}` line per failed request, BEFORE it
 *   waits `retry_delay_ms` and retries. `error` is `authentication_failed` (401/403), `rate_limit`
 *   (429), `overloaded` (529), `server_error` (408 and up) or `unknown` (no status: refused
 *   connections, timeouts; or 404).
 * - Codex `exec --json`: `{"type":"error","message":"Reconnecting... 2/5 (<cause>)"}` once per
 *   failed outer round (each round already made up to `request_max_retries` HTTP attempts, ~3 s
 *   by default for 5xx), and `Reconnecting... waiting for network (<cause>)` while the endpoint is
 *   unreachable, which Codex repeats forever with a growing backoff.
 */
import { isRecord } from '../../config/json-record.js';
import { numberField, stringField, tryParse } from './parse/records.js';

/** Which CLI printed a retry notice. */
export type CliRetryDialect = 'claude' | 'codex' | 'gemini';

/** A retry notice read from one line, before classification. */
export interface RetryNotice {
  dialect: CliRetryDialect;
  attempt?: number;
  maxRetries?: number;
  delayMs?: number;
  status?: number;
  code?: string;
  /** The CLI's description of the failure (Codex's cause; Claude prints none). */
  text?: string;
  /** Codex `waiting for network`: it will never give up on its own. */
  waitingForNetwork: boolean;
}

const CODEX_NOTICE = /^Reconnecting\.\.\.\s*(?:(\d+)\/(\d+))?\s*(waiting for network)?\s*(?:\((.*)\))?\s*$/s;

/** `T` whose optional keys may also hold `undefined`. */
export type Loose<T> = { [K in keyof T]: T[K] | undefined };

/** Drops the `undefined` fields (optional keys stay absent under `exactOptionalPropertyTypes`). */
export function definedFields<T extends object>(fields: Loose<T>): T {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as T;
}

/**
 * Reads one stdout line: a Claude `system/api_retry` event or a Codex `Reconnecting...` error
 * event, else `undefined` (every other line, JSON or not). Pure.
 */
export function readRetryNotice(line: string): RetryNotice | undefined {
  const trimmed = line.trim();
  if (!trimmed.startsWith('{') || !(trimmed.includes('api_retry') || trimmed.includes('Reconnecting'))) return undefined;
  const event = tryParse(trimmed);
  if (!isRecord(event)) return undefined;
  if (event.type === 'system' && event.subtype === 'api_retry') {
    const delay = numberField(event, 'retry_delay_ms');
    return definedFields<RetryNotice>({
      dialect: 'claude',
      attempt: numberField(event, 'attempt'),
      maxRetries: numberField(event, 'max_retries'),
      delayMs: delay === undefined ? undefined : Math.round(delay),
      status: numberField(event, 'error_status'),
      code: stringField(event, 'error'),
      waitingForNetwork: false,
    });
  }
  if (event.type !== 'error') return undefined;
  const message = stringField(event, 'message')?.trim();
  const match = message === undefined ? null : CODEX_NOTICE.exec(message);
  if (message === undefined || match === null) return undefined;
  const waitingForNetwork = match[3] !== undefined;
  return definedFields<RetryNotice>({
    dialect: 'codex',
    attempt: match[1] === undefined ? undefined : Number(match[1]),
    maxRetries: match[2] === undefined ? undefined : Number(match[2]),
    // "waiting for network" is itself the classifiable text (`docs/cli-contracts.md#retry-watch`: transport).
    text: waitingForNetwork ? message : (match[4] ?? message),
    waitingForNetwork,
  });
}
