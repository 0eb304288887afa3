/**
 * `output: "jsonl"` (spec "Inputs / outputs"): one JSON event per line. Two dialects, told apart
 * by their events (`docs/cli-contracts.md#output-shapes`):
 *
 * **Codex `exec --json`** (also `exec resume <id> --json`):
 * - session = `thread.started.thread_id` (the first session id found; `sessionIdFields` too);
 * - text = `text` of the LAST `item.completed` whose `item.type` is `agent_message`;
 * - usage = `turn.completed.usage`;
 * - success needs `turn.completed`, or an agent message and no `turn.failed`;
 * - `item.completed` with `item.type: "error"` is a warning (unknown model metadata, WebSocket
 *   fallback), never a failure;
 * - failure = `turn.failed.error.message`, or `{"type":"error","message"}` lines when no turn
 *   completed (retry notices `Reconnecting... n/m (<cause>)` are unwrapped to their cause).
 *
 * **Claude `--output-format stream-json --verbose`**:
 * - `{"type":"system","subtype":"init",session_id}` gives the session;
 * - `{"type":"system","subtype":"api_retry","error_status":529,"error":"overloaded"}`: the last
 *   one is kept as a classification hint (`docs/cli-contracts.md#retry-watch`);
 * - a `{"type":"result",…}` line ends parsing, with the semantics of Claude `json`
 *   (`is_error: true` is a failure whatever the exit code).
 *
 * Lines that are not JSON objects are skipped (kept for failure classification only). Output with
 * no JSON record at all is the reply, as in `text` mode, unless it is malformed (`./malformed.ts`:
 * it starts as JSON and does not parse, or is binary); a line that opens a record and is cut off
 * before the stream's end (no `result` line read) is malformed too. Malformed output sets
 * `malformed` and no text.
 */
import { isRecord, type JsonRecord } from '../../../config/json-record.js';
import type { ResolvedCliBackend } from '../../../config/types.js';
import { readJsonRecord, plainLines, sessionIdFields } from './json.js';
import { firstString, numberField, parseJsonRecords, splitLines, stringField, stripTerminalCodes } from './records.js';
import { malformedOutput } from './malformed.js';
import { unwrapRetryNotice } from './stderr.js';
import { outputError, parsedOutput, type ParsedOutput } from './types.js';
import { normalizeUsage } from './usage.js';

/** Parses the stdout of an `output: "jsonl"` run. Pure; never throws. */
export function parseJsonlOutput(stdout: string, backend: Pick<ResolvedCliBackend, 'sessionIdFields'>): ParsedOutput {
  const fields = [...sessionIdFields(backend), 'thread_id'];
  const parsed = parsedOutput({});
  const plain: string[] = [];
  let agentText: string | undefined;
  let turnCompleted = false;
  let turnFailed: string | undefined;
  let lastError: string | undefined;
  let sawRecord = false;

  const readEvent = (event: JsonRecord): boolean => {
    sawRecord = true;
    parsed.sessionId ??= firstString(event, fields);
    switch (event.type) {
      case 'result': {
        // Claude stream-json: the final record ends the stream.
        const reading = readJsonRecord(event, fields);
        parsed.sessionId = reading.sessionId ?? parsed.sessionId;
        parsed.usage = reading.usage ?? parsed.usage;
        parsed.error = reading.error;
        parsed.text = reading.text;
        return true;
      }
      case 'system':
        if (event.subtype === 'api_retry') {
          parsed.hint = outputError({ status: numberField(event, 'error_status'), code: stringField(event, 'error') });
        }
        return false;
      case 'item.completed': {
        const item = isRecord(event.item) ? event.item : undefined;
        const text = item === undefined ? undefined : stringField(item, 'text');
        if (item?.type === 'agent_message' && text !== undefined && text.trim() !== '') agentText = text.trim();
        return false;
      }
      case 'turn.completed':
        turnCompleted = true;
        parsed.usage = normalizeUsage(event.usage) ?? parsed.usage;
        return false;
      case 'turn.failed': {
        const error = isRecord(event.error) ? stringField(event.error, 'message') : stringField(event, 'error');
        turnFailed = error ?? 'turn failed';
        return false;
      }
      case 'error': {
        const message = stringField(event, 'message');
        if (message !== undefined) lastError = unwrapRetryNotice(message);
        return false;
      }
      default:
        return false;
    }
  };

  let ended = false;
  for (const line of splitLines(stdout)) {
    const trimmed = line.trim();
    if (ended) break;
    if (!trimmed.startsWith('{')) {
      if (trimmed !== '') plain.push(trimmed);
      continue;
    }
    const { records } = parseJsonRecords(trimmed);
    if (records.length === 0) plain.push(trimmed);
    for (const record of records) {
      if (readEvent(record)) {
        ended = true;
        break;
      }
    }
  }

  parsed.plainLines = plainLines(plain.join('\n'));
  if (ended) return parsed;
  const malformed = malformedOutput(stdout, sawRecord ? 1 : 0, 'line');
  if (malformed !== undefined) {
    parsed.malformed = malformed;
    return parsed;
  }
  if (!sawRecord) {
    const text = stripTerminalCodes(stdout).trim();
    parsed.text = text === '' ? undefined : text;
    return parsed;
  }
  if (turnFailed !== undefined) {
    parsed.error = outputError({ text: unwrapRetryNotice(turnFailed) });
  } else if (turnCompleted || agentText !== undefined) {
    parsed.text = agentText;
  } else if (lastError !== undefined) {
    parsed.error = outputError({ text: lastError });
  }
  return parsed;
}
