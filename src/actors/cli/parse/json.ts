/**
 * `output: "json"` (spec "Inputs / outputs"): Claude `-p --output-format json`, Gemini
 * `--output-format json`, or any CLI printing JSON records.
 *
 * Behaviour (`docs/cli-contracts.md#output-shapes`, `#reading-output`):
 * - records: `JSON.parse` of all of stdout, else every top-level `{…}` in mixed output;
 * - session id: the first non-empty string among `backend.sessionIdFields` per record, later
 *   records override earlier ones;
 * - text: Claude `result`, Gemini `response`, else `message` / `content` / `text`; the last
 *   non-empty text wins;
 * - usage: `usage` or Gemini `stats`, cost from `total_cost_usd`;
 * - a Claude `{type:"result", is_error:true}` is a failure whatever the exit code (a known bug:
 *   the reference treated it as a reply), classified by `api_error_status` then by `result`;
 * - no JSON at all: the plain stdout is the reply (the `text` behaviour), unless it is malformed
 *   (`./malformed.ts`: a truncated record, output that starts as JSON and does not parse, binary
 *   data), which sets `malformed` and no text.
 */
import { isRecord, type JsonRecord } from '../../../config/json-record.js';
import { DEFAULT_SESSION_ID_FIELDS } from '../../../config/builtins.js';
import type { ResolvedCliBackend } from '../../../config/types.js';
import type { Usage } from '../../types.js';
import { firstString, numberField, parseJsonRecords, splitLines, stringField, stripTerminalCodes } from './records.js';
import { malformedOutput } from './malformed.js';
import { isNoiseLine, readErrorValue } from './stderr.js';
import { outputError, parsedOutput, type OutputError, type ParsedOutput } from './types.js';
import { recordUsage } from './usage.js';

/** `backend.sessionIdFields`, or {@link DEFAULT_SESSION_ID_FIELDS} when empty. */
export function sessionIdFields(backend: Pick<ResolvedCliBackend, 'sessionIdFields'>): readonly string[] {
  return backend.sessionIdFields.length > 0 ? backend.sessionIdFields : DEFAULT_SESSION_ID_FIELDS;
}

const TEXT_FIELDS = ['result', 'response', 'message', 'content', 'text'] as const;

/**
 * Text of a value: a string; the texts of an array joined with `\n`; an object's `text`,
 * `content`, `message`, `response` or `result` (recursively, depth-limited). Tool-use blocks and
 * other objects without those fields give nothing.
 */
export function collectText(value: unknown, depth = 0): string | undefined {
  if (typeof value === 'string') return value.trim() === '' ? undefined : value;
  if (depth > 4) return undefined;
  if (Array.isArray(value)) {
    const parts = value.map((item) => collectText(item, depth + 1)).filter((part): part is string => part !== undefined);
    return parts.length === 0 ? undefined : parts.join('\n');
  }
  if (!isRecord(value)) return undefined;
  for (const key of ['text', 'content', 'message', 'response', 'result']) {
    const text = collectText(value[key], depth + 1);
    if (text !== undefined) return text;
  }
  return undefined;
}

/** What one JSON record says. */
export interface RecordReading {
  sessionId: string | undefined;
  text: string | undefined;
  usage: Usage | undefined;
  error: OutputError | undefined;
}

/** The error text of a Claude `is_error` result: `result`, else its `errors[]` (`docs/cli-contracts.md#output-shapes`). */
function claudeErrorText(record: JsonRecord): string | undefined {
  const result = stringField(record, 'result');
  if (result !== undefined && result.trim() !== '') return result.trim();
  const errors = Array.isArray(record.errors) ? collectText(record.errors) : undefined;
  return errors ?? stringField(record, 'subtype');
}

/**
 * Reads one record. A record reports a failure when it has `is_error: true` (Claude), an `error`
 * field (Gemini's failure object, API error bodies) or `type: "error"`; such a record gives no
 * text.
 */
export function readJsonRecord(record: JsonRecord, fields: readonly string[]): RecordReading {
  const sessionId = firstString(record, fields);
  const usage = recordUsage(record);
  let error: OutputError | undefined;
  let text: string | undefined;
  if (record.is_error === true) {
    error = outputError({ text: claudeErrorText(record), status: numberField(record, 'api_error_status') });
  } else if (record.error !== undefined && record.error !== null && record.error !== false) {
    error = readErrorValue(record.error);
    error.text ??= stringField(record, 'message');
  } else if (record.type === 'error') {
    error = outputError({ text: stringField(record, 'message'), code: stringField(record, 'code') });
  } else {
    for (const key of TEXT_FIELDS) {
      text = collectText(record[key]);
      if (text !== undefined) break;
    }
  }
  return { sessionId, text: text?.trim(), usage, error };
}

/** Non-empty, non-noise lines of a text that held no JSON record. */
export function plainLines(text: string): string[] {
  return splitLines(text)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !isNoiseLine(line));
}

/** Parses the stdout of an `output: "json"` run. Pure; never throws. */
export function parseJsonOutput(stdout: string, backend: Pick<ResolvedCliBackend, 'sessionIdFields'>): ParsedOutput {
  const { records, rest } = parseJsonRecords(stdout);
  const leftover = plainLines(rest);
  const malformed = malformedOutput(stdout, records.length, 'rest');
  if (malformed !== undefined) return parsedOutput({ plainLines: leftover, malformed });
  if (records.length === 0) {
    const text = stripTerminalCodes(stdout).trim();
    return parsedOutput({ text: text === '' ? undefined : text, plainLines: leftover });
  }
  const fields = sessionIdFields(backend);
  const parsed = parsedOutput({ plainLines: leftover });
  for (const record of records) {
    const reading = readJsonRecord(record, fields);
    if (reading.sessionId !== undefined) parsed.sessionId = reading.sessionId;
    if (reading.usage !== undefined) parsed.usage = reading.usage;
    if (reading.error !== undefined) parsed.error = reading.error;
    if (reading.text !== undefined && reading.text !== '') parsed.text = reading.text;
  }
  return parsed;
}
