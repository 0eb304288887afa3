/**
 * The intermediate result every output parser (`json`, `jsonl`, `text`) hands to
 * `parseCliRun`: what the output says, before the success/failure decision, which also
 * needs the exit code and the signal.
 */
import type { Usage } from '../../types.js';

/** An error reported by the CLI in a structured form (a JSON record or a known stderr line). */
export interface OutputError {
  /** The CLI's own error text, e.g. Claude's `result` or Codex's `turn.failed.error.message`. */
  text: string | undefined;
  /** HTTP status from a structured field: Claude `api_error_status`, Gemini `error.code` (100–599). */
  status: number | undefined;
  /**
   * Error code from a structured field: Gemini `error.code` below 100 (41, 42, 55) or its API
   * `status` (`RESOURCE_EXHAUSTED`), Claude `api_retry.error` (`authentication_failed`, …).
   */
  code: string | number | undefined;
}

/** What one output parser read from stdout. */
export interface ParsedOutput {
  /** The reply, trimmed; `undefined` when the output holds none. */
  text: string | undefined;
  /** The CLI session id found in the output (not yet defaulted to the id that was sent). */
  sessionId: string | undefined;
  /** Token usage, only fields > 0; `undefined` when nothing was reported. */
  usage: Usage | undefined;
  /**
   * Set when the output itself reports a failed turn: Claude `is_error: true`, Codex
   * `turn.failed` (or `error` lines with no completed turn), a JSON `error` record. A run with
   * an `error` is a failure whatever its exit code.
   */
  error: OutputError | undefined;
  /**
   * Classification hints that do not make a run fail by themselves: the last Claude
   * `system/api_retry` notice (`--output-format stream-json`, `docs/cli-contracts.md#retry-watch`).
   */
  hint: OutputError | undefined;
  /** Lines of stdout that were not JSON (PTY transcripts, plain-text errors), noise removed. */
  plainLines: string[];
  /**
   * Set when the output is malformed (`json`/`jsonl`: a truncated record, JSON that does not parse,
   * binary data; see `./malformed.ts`): why it cannot be the answer. An exit-0 run with it is a
   * `server_error` failure; it does not classify a run that failed anyway.
   */
  malformed?: string | undefined;
}

/** A {@link ParsedOutput} with every field unset except the ones given (`plainLines` defaults to none). */
export function parsedOutput(fields: Partial<ParsedOutput>): ParsedOutput {
  return {
    text: fields.text,
    sessionId: fields.sessionId,
    usage: fields.usage,
    error: fields.error,
    hint: fields.hint,
    plainLines: fields.plainLines ?? [],
    ...(fields.malformed === undefined ? {} : { malformed: fields.malformed }),
  };
}

/** An {@link OutputError} with every field unset except the ones given. */
export function outputError(fields: Partial<OutputError>): OutputError {
  return { text: fields.text, status: fields.status, code: fields.code };
}
