/**
 * Malformed `json` / `jsonl` output: what a CLI that exits 0 may still print instead of an answer
 * (`docs/cli-contracts.md#reading-output`). Three shapes, each a failure that falls back (reason
 * `server_error`, code {@link MALFORMED_OUTPUT_CODE}) rather than a reply:
 *
 * - **truncated**: a line opens a JSON record (`{"…`) that never closes, e.g. a CLI killed mid-write
 *   printed `{"type":"result","result":"trunc`;
 * - **not JSON**: no record parses although the output starts as JSON (`{`, or `[` before `{`, `"`,
 *   `[` or `]`), or (`json`) it starts as an array that does not parse;
 * - **binary**: no record parses and at least {@link BINARY_SHARE} of the characters are not text
 *   (NUL and other C0 controls except tab, newlines and ESC, or U+FFFD from bytes that are not UTF-8).
 *
 * Plain text with no JSON at all stays the reply in both modes, as documented.
 */
import { closingBrace, splitLines, stripTerminalCodes, tryParse } from './records.js';

/** The code a malformed output is classified with (`failover/classify.ts` maps it to `server_error`). */
export const MALFORMED_OUTPUT_CODE = 'server_error';

/** Share of non-text characters from which an output is binary (random bytes give about 0.6). */
export const BINARY_SHARE = 0.1;

// NUL and C0 controls except \t \n \r and ESC (terminal sequences), DEL, and U+FFFD.
const NON_TEXT = /[\u0000-\u0008\u000b\u000c\u000e-\u001a\u001c-\u001f\u007f\ufffd]/g;
const STARTS_AS_ARRAY = /^\[\s*[[{"\]]/;
const STARTS_AS_JSON = /^(?:\{|\[\s*[[{"\]])/;

/** Whether `stdout` is binary data rather than text (see {@link BINARY_SHARE}). */
export function looksBinary(stdout: string): boolean {
  if (stdout.length === 0) return false;
  const nonText = stdout.match(NON_TEXT)?.length ?? 0;
  return nonText / stdout.length >= BINARY_SHARE;
}

/**
 * Whether a line of `text` opens a JSON record that never closes: within the line (`line`, jsonl),
 * or before the end of the output (`rest`, json: a record may span lines, e.g. pretty-printed).
 */
function unclosedRecord(text: string, scope: 'line' | 'rest'): boolean {
  const opens = scope === 'line' ? /^[ \t]*\{[ \t]*"/gm : /^[ \t]*\{\s*"/gm;
  for (const match of text.matchAll(opens)) {
    const start = match.index + match[0].indexOf('{');
    const close = closingBrace(text, start);
    if (close === -1) return true;
    const lineEnd = text.indexOf('\n', start);
    if (scope === 'line' && lineEnd !== -1 && close > lineEnd) return true;
  }
  return false;
}

/**
 * Why an exit-0 output cannot be the answer, or `undefined` when it can.
 *
 * @param stdout - the whole stdout, as printed.
 * @param records - how many JSON records the parser read from it.
 * @param scope - `line` for `jsonl` (every record is one line), `rest` for `json` (a record may
 *   span lines: it must close before the end of the output).
 * @returns a one-line description naming the shape (`truncated`, `not JSON`, `binary`).
 */
export function malformedOutput(stdout: string, records: number, scope: 'line' | 'rest'): string | undefined {
  const text = splitLines(stdout).join('\n');
  if (unclosedRecord(text, scope)) return 'malformed output: stdout ends inside a JSON record (truncated)';
  const trimmed = stripTerminalCodes(stdout).trim();
  // json: an array is read only as a whole (`parseJsonRecords`), so one that does not parse was cut.
  const brokenArray = scope === 'rest' && STARTS_AS_ARRAY.test(trimmed) && tryParse(trimmed) === undefined;
  if (records > 0 && !brokenArray) return undefined;
  if (records === 0 && looksBinary(stdout)) return `malformed output: stdout is binary data, not text (${stdout.length} characters)`;
  if (brokenArray || STARTS_AS_JSON.test(trimmed)) return 'malformed output: stdout starts as JSON but does not parse';
  return undefined;
}
