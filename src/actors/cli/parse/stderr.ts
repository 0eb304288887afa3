/**
 * Reading a CLI's stderr: the known noise that never means failure (`docs/cli-contracts.md#stderr-noise`),
 * the error lines worth classifying (`docs/failover-policy.md#classification-order`), Gemini's JSON
 * failure object and Codex's text-mode `session id:` banner line (`docs/cli-contracts.md#output-shapes`).
 *
 * A non-empty stderr is never a failure by itself; success is decided by exit code and stdout.
 */
import { isRecord, type JsonRecord } from '../../../config/json-record.js';
import { numberField, scanJsonObjects, splitLines, stringField, tryParse } from './records.js';
import { outputError, type OutputError } from './types.js';

// docs/cli-contracts.md#stderr-noise: Codex's PATH-alias warning, stdin notices, tracing lines and text-mode
// warnings; Claude's stdin wait warning; Gemini's colour / ripgrep / startup-metrics lines.
const NOISE: readonly RegExp[] = [
  /^WARNING: proceeding, even though we could not create PATH aliases/,
  /^Reading (?:additional input|prompt) from stdin/,
  /^\d{4}-\d\d-\d\dT\S+\s+(?:TRACE|DEBUG|INFO|WARN|ERROR)\s/,
  /^warning:/i,
  /^Ripgrep is not available/,
  /^\[STARTUP\]/,
];

/** True for a line known to be harmless noise (`docs/cli-contracts.md#stderr-noise`). */
export function isNoiseLine(line: string): boolean {
  return NOISE.some((pattern) => pattern.test(line));
}

// Codex's text-mode banner (docs/cli-contracts.md#output-shapes): `OpenAI Codex v…`, `key: value` lines, `--------`,
// then the user prompt and the reply. Nothing from the banner on is an error line, except
// `ERROR:` lines, read separately.
const BANNER_START = /^(?:OpenAI Codex v|-{4,}$)/;
const BANNER_KEY = /^(?:workdir|model|provider|approval|sandbox|reasoning effort|reasoning summaries|session id):/;

/** What {@link readStderr} found. */
export interface StderrInfo {
  /** Gemini's failure object: the last `{…}` on stderr that carries an `error`. */
  error: OutputError | undefined;
  /**
   * The CLI's own error lines, noise removed, most relevant first: the last Codex text-mode
   * `ERROR:` message, else the lines before any usage/help text and banner (the first one is
   * the line quoted in messages). Indented lines (stack frames, tips) are dropped.
   */
  lines: string[];
  /** Codex text mode: the `session id: <id>` banner line. */
  sessionId: string | undefined;
}

/** Unwraps Codex's retry wrapper `Reconnecting... 2/5 (<cause>)` to `<cause>`. */
export function unwrapRetryNotice(text: string): string {
  const match = /^Reconnecting\.\.\. \d+\/\d+ \((.*)\)$/s.exec(text.trim());
  return match?.[1] ?? text.trim();
}

/**
 * Reads an error object `{message, code, status}` or string, unwrapping a message that is itself
 * provider JSON (Gemini: `"message": "{\"error\":{\"code\":400,\"message\":\"API key not valid…\",
 * \"status\":\"INVALID_ARGUMENT\"}}"`). Numeric codes 100–599 are HTTP statuses; smaller ones are
 * CLI codes (Gemini 41, 42, 55).
 */
export function readErrorValue(value: unknown): OutputError {
  if (typeof value === 'string') {
    const inner = tryParse(value.trim());
    return isRecord(inner) && 'error' in inner ? readErrorValue(inner.error) : outputError({ text: value.trim() });
  }
  if (!isRecord(value)) return outputError({});
  const rawCode = value.code;
  const code = typeof rawCode === 'number' || typeof rawCode === 'string' ? rawCode : undefined;
  const numeric = typeof code === 'number' ? code : undefined;
  const httpStatus = numeric !== undefined && numeric >= 100 && numeric <= 599 ? numeric : numberField(value, 'status');
  const typeName = stringField(value, 'type');
  const statusName = stringField(value, 'status') ?? (typeName === undefined || /^error$/i.test(typeName) ? undefined : typeName);
  const cliCode = numeric !== undefined && numeric < 100 ? numeric : typeof code === 'string' ? code : statusName;
  const message = stringField(value, 'message');
  const inner = message === undefined ? undefined : tryParse(message.trim());
  if (isRecord(inner) && 'error' in inner) {
    const nested = readErrorValue(inner.error);
    return outputError({ text: nested.text, status: httpStatus ?? nested.status, code: nested.code ?? cliCode });
  }
  return outputError({ text: message?.trim(), status: httpStatus, code: cliCode });
}

/** The last record carrying an `error` field, read with {@link readErrorValue}. */
function lastErrorRecord(records: readonly JsonRecord[]): OutputError | undefined {
  for (let i = records.length - 1; i >= 0; i -= 1) {
    const record = records[i];
    if (record !== undefined && record.error !== undefined && record.error !== null) return readErrorValue(record.error);
  }
  return undefined;
}

/** Reads a stderr tail. Pure; never throws. */
export function readStderr(stderr: string): StderrInfo {
  const lines = splitLines(stderr).map((line) => line.trimEnd());
  const sessionId = lines.map((line) => /^session id:\s*(\S+)/.exec(line)?.[1]).find((id) => id !== undefined);
  const error = stderr.includes('{') ? lastErrorRecord(scanJsonObjects(stderr).records) : undefined;

  const errorLines = lines.map((line) => /^ERROR:\s*(.+)$/.exec(line)?.[1]?.trim()).filter((line): line is string => line !== undefined);
  const finalError = errorLines.filter((line) => !/^Reconnecting\.\.\. \d+\/\d+$/.test(line)).at(-1);
  if (finalError !== undefined) return { error, lines: [unwrapRetryNotice(finalError)], sessionId };

  const kept: string[] = [];
  for (const line of lines) {
    if (/^usage:/i.test(line) || BANNER_START.test(line)) break;
    if (line.trim() === '' || /^\s/.test(line) || /^[{}[\]]/.test(line) || isNoiseLine(line) || BANNER_KEY.test(line)) continue;
    kept.push(line.trim());
    if (kept.length >= 20) break;
  }
  return { error, lines: kept, sessionId };
}
