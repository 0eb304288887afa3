/**
 * Reading JSON records out of CLI output: whole-output JSON, top-level `{…}` objects embedded in
 * mixed text (banners, Gemini's pretty-printed objects, PTY transcripts), and small accessors.
 *
 * Rationale: `docs/cli-contracts.md#reading-output` (first `JSON.parse` of all of stdout; if that
 * fails, every top-level `{...}` object embedded in mixed output).
 */

import { isRecord, type JsonRecord } from '../../../config/json-record.js';

// CSI (`ESC [ … final`), OSC (`ESC ] … BEL|ST`), charset and single-char escapes, then any other
// C0 control except tab and newlines. A CLI run under a PTY writes these around its output
// (`docs/cli-contracts.md#reading-output`, fixtures `*-tty`).
const TERMINAL_CODES = new RegExp(
  [
    /\u001b\[[0-9;?<>=!]*[ -/]*[@-~]/.source, // CSI
    /\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)/.source, // OSC
    /\u001b[()][0-9A-Za-z]|\u001b[0-9=>78cDEHMNOZ]/.source, // charset, single-char escapes
    /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.source, // other C0 controls
  ].join('|'),
  'g',
);

/** Removes terminal escape sequences and control characters (keeps `\t`, `\n`, `\r`). */
export function stripTerminalCodes(text: string): string {
  return text.replace(TERMINAL_CODES, '');
}

/** Splits on `\n`, `\r\n` and lone `\r` (PTY output), without terminal codes. */
export function splitLines(text: string): string[] {
  return stripTerminalCodes(text).split(/\r\n|\r|\n/);
}

/** Index of the `}` closing the object that opens at `start`, or -1; string-aware. */
export function closingBrace(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i += 1) {
    const char = text[i];
    if (inString) {
      if (char === '\\') i += 1;
      else if (char === '"') inString = false;
    } else if (char === '"') {
      inString = true;
    } else if (char === '{') {
      depth += 1;
    } else if (char === '}') {
      depth -= 1;
      if (depth === 0) return i;
    }
  }
  return -1;
}

/** JSON records found in a text plus the text that was not part of any record. */
export interface ScannedRecords {
  records: JsonRecord[];
  /** The input with every parsed record cut out. */
  rest: string;
}

/**
 * Finds every top-level `{…}` object in mixed text, in order. A balanced candidate that is not
 * valid JSON (e.g. a JavaScript inspect block `{ status: 429 }`) is skipped one character at a
 * time, so objects nested in it can still be found. Work is bounded (a few passes over the text).
 */
export function scanJsonObjects(text: string): ScannedRecords {
  const records: JsonRecord[] = [];
  let rest = '';
  let budget = text.length * 4 + 10_000;
  let i = 0;
  while (i < text.length) {
    const open = text.indexOf('{', i);
    if (open === -1 || budget <= 0) break;
    rest += text.slice(i, open);
    const close = closingBrace(text, open);
    budget -= (close === -1 ? text.length : close) - open + 1;
    if (close !== -1) {
      const parsed = tryParse(text.slice(open, close + 1));
      if (isRecord(parsed)) {
        records.push(parsed);
        i = close + 1;
        continue;
      }
    }
    rest += '{';
    i = open + 1;
  }
  rest += text.slice(i);
  return { records, rest };
}

/** `JSON.parse`, or `undefined` when the text is not JSON. */
export function tryParse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * The JSON records of a whole output: `JSON.parse` of all of it (an object, or the objects of an
 * array), else {@link scanJsonObjects}.
 */
export function parseJsonRecords(text: string): ScannedRecords {
  const whole = tryParse(text.trim());
  if (isRecord(whole)) return { records: [whole], rest: '' };
  if (Array.isArray(whole)) return { records: whole.filter(isRecord), rest: '' };
  return scanJsonObjects(stripTerminalCodes(text));
}

/** The first non-empty string among `fields` of `record` (trimmed), else `undefined`. */
export function firstString(record: JsonRecord, fields: readonly string[]): string | undefined {
  for (const field of fields) {
    const value = record[field];
    if (typeof value === 'string' && value.trim() !== '') return value.trim();
  }
  return undefined;
}

/** `record[key]` when it is a finite number, else `undefined`. */
export function numberField(record: JsonRecord, key: string): number | undefined {
  const value = record[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** `record[key]` when it is a non-empty string, else `undefined`. */
export function stringField(record: JsonRecord, key: string): string | undefined {
  const value = record[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}
