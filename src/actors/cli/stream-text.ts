/**
 * The answer text of a running CLI, read from its JSONL stdout as it arrives, for streaming
 * (`RunRequest.onText`). Only `output: "jsonl"` runs stream; the other modes give their answer when
 * the process has ended. Rationale: `docs/streaming.md#cli-candidates`.
 *
 * - Claude `--output-format stream-json --verbose`: each `assistant` message's `text` blocks; with
 *   `--include-partial-messages` in the backend's `args`, the `stream_event` text deltas instead
 *   (token by token), and the complete `assistant` messages are then not repeated.
 * - Codex `exec --json`: the `text` of each `item.completed` whose item is an `agent_message`.
 *
 * Messages after the first are preceded by a blank line. The parsed answer (`parseJsonlOutput`) is
 * the last message; when several messages were streamed, the answer of a streamed turn is what the
 * caller saw (see {@link streamedAnswer}).
 */
import { isRecord, type JsonRecord } from '../../config/json-record.js';

/** Reads text out of JSONL stdout chunks. One instance per run. */
export class CliTextStream {
  #partial = '';
  #sawDeltas = false;
  #messages = 0;
  #inMessage = false;

  /**
   * Feed a decoded stdout chunk; returns the text pieces its completed lines carry (never empty
   * strings), in order. Never throws: lines that are not JSON objects are skipped.
   */
  feed(chunk: string): string[] {
    const lines = (this.#partial + chunk).split('\n');
    this.#partial = lines.pop() ?? '';
    const pieces: string[] = [];
    for (const line of lines) {
      const record = parseLine(line);
      if (record !== undefined) this.#read(record, pieces);
    }
    return pieces;
  }

  #read(record: JsonRecord, pieces: string[]): void {
    if (record.type === 'stream_event' && isRecord(record.event)) {
      const event = record.event;
      if (event.type === 'message_start') this.#inMessage = false;
      const delta = isRecord(event.delta) ? event.delta : undefined;
      if (event.type === 'content_block_delta' && delta?.type === 'text_delta' && typeof delta.text === 'string') {
        this.#sawDeltas = true;
        this.#push(delta.text, pieces, !this.#inMessage);
        this.#inMessage = true;
      }
      return;
    }
    if (record.type === 'assistant' && !this.#sawDeltas && isRecord(record.message)) {
      this.#push(messageText(record.message), pieces, true);
      return;
    }
    if (record.type === 'item.completed' && isRecord(record.item) && record.item.type === 'agent_message') {
      const text = record.item.text;
      if (typeof text === 'string') this.#push(text, pieces, true);
    }
  }

  /** Add a piece; the first piece of a message after an earlier message gets a blank line before it. */
  #push(text: string, pieces: string[], startsMessage: boolean): void {
    if (text === '') return;
    if (startsMessage) {
      if (this.#messages > 0) pieces.push('\n\n');
      this.#messages += 1;
    }
    pieces.push(text);
  }
}

/**
 * The answer of a streamed CLI turn: the streamed text when it ends with the parsed answer (several
 * messages were streamed, the parser keeps the last one), so that the answer, the transcript and
 * what the caller was shown agree; otherwise the parsed answer.
 *
 * @param parsed - the parser's answer (trimmed).
 * @param streamed - every piece given to the caller, joined.
 */
export function streamedAnswer(parsed: string, streamed: string): string {
  const shown = streamed.trim();
  return shown.length > parsed.length && shown.endsWith(parsed) ? shown : parsed;
}

/** The `text` blocks of a Claude message, joined. */
function messageText(message: JsonRecord): string {
  if (!Array.isArray(message.content)) return '';
  let text = '';
  for (const block of message.content) if (isRecord(block) && block.type === 'text' && typeof block.text === 'string') text += block.text;
  return text;
}

function parseLine(line: string): JsonRecord | undefined {
  const trimmed = line.trim();
  if (!trimmed.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(trimmed);
    return isRecord(value) ? value : undefined;
  } catch {
    return undefined;
  }
}
