/**
 * The shape of a request trace: what `safetynet trace` prints and the `traces` sublevel stores.
 * Plain JSON. Times are epoch milliseconds (`…At`) or milliseconds since the request's actor
 * started (`…AtMs`); durations are milliseconds. Prompts never appear: argv elements holding the
 * prompt or the system prompt are replaced by `<prompt:N chars>` / `<system-prompt:N chars>`, and
 * credentials by `(redacted)`.
 */
import type { Continuation, FailureReason } from '../errors.js';

/** How a request ended: an answer, every candidate failed, the caller aborted, or it failed before its machine ran (`error`). */
export type TraceStatus = 'answered' | 'failed' | 'aborted' | 'error';

/** One state the request machine entered. */
export interface TraceStep {
  /** The state, e.g. `spawning-cli`. */
  state: string;
  /** When it was entered, ms since the request's actor started. */
  atMs: number;
  /** The candidate ref current in that state, e.g. `claude-cli/opus-4.6`. */
  candidate?: string;
  /** Entering `falling-back` (or skipping a candidate): the failure reason. */
  reason?: FailureReason;
  /** The failure's message, when `reason` is set. */
  detail?: string;
}

/** The CLI session of one attempt. */
export interface TraceAttemptSession {
  /** The stored CLI session id loaded for this attempt, when there was one. */
  stored?: string;
  /** The session id sent on the command line, when one was sent. */
  sent?: string;
  /** True when the backend's `resumeArgs` were used. */
  resume: boolean;
  /** True when the turn started a new CLI session. */
  newSession: boolean;
  /** How the turn continued the conversation (`docs/conversations.md#continuation`). */
  continuation?: Continuation;
  /** Earlier turns the prompt's history block carried. */
  historyTurns?: number;
}

/** One attempt: a candidate tried, skipped or answering. */
export interface TraceAttempt {
  /** 1-based position in the attempt log. */
  index: number;
  /** The candidate's ref. */
  model: string;
  backend: 'cli' | 'api';
  /** The provider id (CLI backend id or API provider id). */
  provider: string;
  ok: boolean;
  /** True when the candidate was not tried (cooldown, allowlist). */
  skipped?: boolean;
  /** True when it was tried although cooling down: a half-open probe, or the forced try when every candidate cools down. */
  probe?: boolean;
  /** Skipped for a cooldown: ms until it may be tried again; failed: the provider's Retry-After in ms. */
  retryAfterMs?: number;
  reason?: FailureReason;
  /** The failure's message (or why it was skipped). */
  detail?: string;
  /** The CLI's exit code, when it exited. */
  exitCode?: number;
  /** The signal that ended the CLI, when one did. */
  signal?: string;
  /** The HTTP status reported by the provider (or by the CLI), when known. */
  status?: number;
  /** Retry notices the CLI printed while the attempt ran, in order. */
  notices?: string[];
  /** When the attempt started, ms since the request's actor started. */
  startedAtMs: number;
  /** When the attempt ended (it was logged), ms since the request's actor started. */
  endedAtMs: number;
  /** The attempt's duration as the request machine measured it (0 for a skipped candidate). */
  durationMs: number;
  /** CLI attempts: the command. */
  command?: string;
  /** CLI attempts: the argv, with the prompt and the system prompt replaced by `<prompt:N chars>` / `<system-prompt:N chars>`. */
  argv?: string[];
  /**
   * True when no process reported its argv (it could not start, timed out or was aborted) and `argv`
   * was planned again from the attempt's input; a new session id then shows as `<new-session-id>`.
   */
  argvPlanned?: boolean;
  /** CLI attempts: the working directory. */
  cwd?: string;
  /** CLI attempts: characters written to stdin (the prompt in stdin mode). */
  stdinChars?: number;
  /** CLI attempts: the CLI session used. */
  session?: TraceAttemptSession;
  /** API attempts: the wire API and base URL (never the key). */
  api?: { kind: string; baseUrl?: string };
}

/** The CLI session binding the answering attempt used. */
export interface TraceSession {
  sessionKey: string;
  backendId: string;
  /** The CLI session id of the answer. */
  cliSessionId: string;
  /** True when a stored session was resumed, false when a new one started. */
  resumed: boolean;
}

/** One request's trace. */
export interface RequestTrace {
  /** Shape version of this record. */
  version: 1;
  requestId: string;
  /** Epoch ms when the request's actor started (or the request, when no actor ran). */
  startedAt: number;
  /** Epoch ms when the request ended. */
  endedAt: number;
  durationMs: number;
  status: TraceStatus;
  /** The answering model, when answered. */
  model?: string;
  /** The caller's conversation key, or `null` for a one-shot request. */
  sessionKey: string | null;
  /** The CLI session binding of the answer, or `null`. */
  session: TraceSession | null;
  /** Length of the prompt and of the system prompt, in characters. */
  promptChars?: number;
  systemPromptChars?: number;
  /** Number of images sent. */
  images?: number;
  /** The states in order, with their timestamps. */
  steps: TraceStep[];
  /** The attempts in order. */
  attempts: TraceAttempt[];
  /** Set when the request failed outside the attempts (bad request, store error) or every candidate failed. */
  error?: { code: string; message: string };
  /** Non-fatal problems of the request. */
  warnings?: string[];
}
