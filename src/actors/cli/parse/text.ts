/**
 * `output: "text"` (spec "Inputs / outputs"): the trimmed stdout is the reply.
 *
 * Session id: the id that was SENT (a bug of the reference gateway: returning no id made the
 * caller store its own key and the next `--resume` fail), else Codex text mode's `session id: <id>`
 * banner line on stderr (`docs/cli-contracts.md#output-shapes`), which is how a first Codex turn
 * without `--json` reports its thread id.
 */
import { plainLines } from './json.js';
import { stripTerminalCodes } from './records.js';
import { readStderr } from './stderr.js';
import { parsedOutput, type ParsedOutput } from './types.js';

/** Parses the stdout of an `output: "text"` run. Pure; never throws. */
export function parseTextOutput(stdout: string, stderr: string, sessionIdSent: string | undefined): ParsedOutput {
  const text = stripTerminalCodes(stdout).trim();
  return parsedOutput({
    text: text === '' ? undefined : text,
    sessionId: sessionIdSent ?? readStderr(stderr).sessionId,
    plainLines: plainLines(stdout),
  });
}
