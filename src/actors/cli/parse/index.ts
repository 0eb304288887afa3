/**
 * Turns a finished CLI run into a reply or a classified failure.
 *
 * A run succeeds only when the process exited with code 0, no signal, the output reports no
 * failure, and it holds a non-empty reply (`docs/cli-contracts.md#output-shapes`; stricter than the
 * reference, which accepted Claude's `is_error` results with exit 0). Everything else is an
 * {@link AttemptFailure} from {@link classifyCliFailure}; an exit-0 run with no reply is classified
 * from its stderr, else `unknown` ("printed no reply"); an exit-0 run with malformed `json`/`jsonl` output (`./malformed.ts`)
 * is `server_error`. A non-empty stderr alone never fails a run (`docs/cli-contracts.md#stderr-noise`).
 */
import { basename } from 'node:path';
import type { ResolvedCliBackend } from '../../../config/types.js';
import type { AttemptFailure } from '../../../errors.js';
import { classifyCliFailure } from '../../../failover/classify.js';
import type { CliRunOutput, ParsedTurn } from '../../types.js';
import { parseJsonOutput } from './json.js';
import { parseJsonlOutput } from './jsonl.js';
import { MALFORMED_OUTPUT_CODE } from './malformed.js';
import { readStderr } from './stderr.js';
import { parseTextOutput } from './text.js';
import type { ParsedOutput } from './types.js';

export { classifyCliFailure, type CliFailureSignals } from '../../../failover/classify.js';
export { parseJsonOutput } from './json.js';
export { parseJsonlOutput } from './jsonl.js';
export { looksBinary, MALFORMED_OUTPUT_CODE, malformedOutput } from './malformed.js';
export { parseTextOutput } from './text.js';
export type { OutputError, ParsedOutput } from './types.js';

/** The outcome of {@link parseCliRun}. */
export type CliParseResult = { ok: true; turn: ParsedTurn } | { ok: false; failure: AttemptFailure };

/** The CLI's short name for messages: the command's basename without `.exe`/`.cmd`/`.js`. */
export function cliLabel(command: string, fallback: string): string {
  const name = basename(command.trim()).replace(/\.(?:exe|cmd|bat|js|mjs|cjs)$/i, '');
  return name === '' ? fallback : name;
}

/** Parses stdout by `run.plan.parseMode` (`resumeOutput ?? output` on resume runs). */
export function parseOutput(run: CliRunOutput, backend: Pick<ResolvedCliBackend, 'sessionIdFields'>): ParsedOutput {
  switch (run.plan.parseMode) {
    case 'json':
      return parseJsonOutput(run.stdout, backend);
    case 'jsonl':
      return parseJsonlOutput(run.stdout, backend);
    case 'text':
      return parseTextOutput(run.stdout, run.stderr, run.plan.sessionIdSent);
  }
}

/**
 * Parses one finished CLI run. Pure.
 *
 * @returns `{ok: true, turn}` with the trimmed text, the session id (parsed, else the id that
 *   was sent) and usage (fields > 0 only); or `{ok: false, failure}` for a non-zero exit, a
 *   signal, Claude `is_error`, Codex `turn.failed`, malformed output, or an empty reply.
 */
export function parseCliRun(run: CliRunOutput, backend: ResolvedCliBackend): CliParseResult {
  const parsed = parseOutput(run, backend);
  const cli = cliLabel(run.plan.command || backend.command, backend.id);
  const exitedCleanly = run.exitCode === 0 && run.signal === undefined;

  if (exitedCleanly && parsed.error === undefined) {
    if (parsed.malformed !== undefined) {
      const signals = { cli, backendId: backend.id, exitCode: run.exitCode, code: MALFORMED_OUTPUT_CODE, texts: [parsed.malformed] };
      return { ok: false, failure: classifyCliFailure(signals) };
    }
    if (parsed.text !== undefined && parsed.text.trim() !== '') {
      return {
        ok: true,
        turn: { text: parsed.text.trim(), sessionId: parsed.sessionId ?? run.plan.sessionIdSent, usage: parsed.usage },
      };
    }
    // No reply: classified from stderr like any failure (gemini exits 0 when its process group gets
    // SIGTERM, with its retry notices on stderr); nothing there → "printed no reply (exit code 0)".
  }

  const stderr = readStderr(run.stderr);
  // The final error record is authoritative; retry hints only classify runs that never got one.
  const hint = parsed.error === undefined ? parsed.hint : undefined;
  return {
    ok: false,
    failure: classifyCliFailure({
      cli,
      backendId: backend.id,
      exitCode: run.exitCode,
      signal: run.signal,
      status: parsed.error?.status ?? stderr.error?.status ?? hint?.status,
      code: parsed.error?.code ?? stderr.error?.code ?? hint?.code,
      texts: [parsed.error?.text, stderr.error?.text, ...stderr.lines, hint?.text, ...parsed.plainLines],
    }),
  };
}
