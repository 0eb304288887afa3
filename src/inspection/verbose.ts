/**
 * `safetynet agent --verbose`: each state transition and attempt of the request, printed as it
 * happens, from the same inspection events the trace and the inspector get.
 */
import type { InspectionEvent, Observer } from 'xstate';
import type { TraceAttempt, TraceStep } from '../store/trace-types.js';
import { RequestProgress } from './progress.js';

/** Options of {@link createVerbosePrinter}. */
export interface VerboseOptions {
  /** Prefix of every line. @default 'safetynet: ' */
  prefix?: string;
  /** Longest detail printed, in characters (longer ones end with `…`). @default 200 */
  maxDetailChars?: number;
}

/** `+1.234s`: ms since the request's actor started, in seconds with ms precision. */
export function formatElapsed(ms: number): string {
  return `+${(ms / 1000).toFixed(3)}s`;
}

function clip(text: string, max: number): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** One line for a state entered: `+0.120s falling-back    fake/default  auth: Invalid API key`. */
export function formatStep(step: TraceStep, maxDetailChars = 200): string {
  const reason =
    step.reason === undefined ? '' : `  ${step.reason}${step.detail === undefined ? '' : `: ${clip(step.detail, maxDetailChars)}`}`;
  return `${formatElapsed(step.atMs)} ${step.state.padEnd(18)} ${step.candidate ?? ''}${reason}`.trimEnd();
}

/** `resume`, `new`, `catch-up (1 turn)`, `reseed (4 turns)`. */
function continuationFact(continuation: string, historyTurns: number | undefined): string {
  if (historyTurns === undefined || historyTurns === 0) return continuation;
  return `${continuation} (${historyTurns} turn${historyTurns === 1 ? '' : 's'})`;
}

/** One line for an attempt that ended: `attempt 1 fake/default failed (auth, exit 1, 117 ms): …`. */
export function formatAttemptLine(attempt: TraceAttempt, maxDetailChars = 200): string {
  const outcome = attempt.ok ? 'answered' : attempt.skipped ? 'skipped' : 'failed';
  const facts = [
    ...(attempt.reason === undefined ? [] : [attempt.reason]),
    ...(attempt.exitCode === undefined ? [] : [`exit ${attempt.exitCode}`]),
    ...(attempt.signal === undefined ? [] : [attempt.signal]),
    ...(attempt.status === undefined ? [] : [`HTTP ${attempt.status}`]),
    ...(attempt.notices === undefined ? [] : [`${attempt.notices.length} CLI retr${attempt.notices.length === 1 ? 'y' : 'ies'}`]),
    ...(attempt.session?.continuation === undefined ? [] : [continuationFact(attempt.session.continuation, attempt.session.historyTurns)]),
    `${attempt.durationMs} ms`,
  ];
  const detail = attempt.ok || attempt.detail === undefined ? '' : `: ${clip(attempt.detail, maxDetailChars)}`;
  return `attempt ${attempt.index} ${attempt.model} ${outcome} (${facts.join(', ')})${detail}`;
}

/**
 * An inspection observer printing, as they happen, one line per state entered (time since start,
 * state, candidate, reason) and one per attempt that ended (outcome, reason, exit code or HTTP
 * status, duration, and the argv with the prompt redacted). Lines end with `\n`.
 *
 * @param write receives each line (e.g. `process.stderr.write`); exceptions are ignored by `fanOut`.
 */
export function createVerbosePrinter(write: (line: string) => void, options: VerboseOptions = {}): Observer<InspectionEvent> {
  const prefix = options.prefix ?? 'safetynet: ';
  const max = options.maxDetailChars ?? 200;
  return new RequestProgress({
    onStep: (step) => write(`${prefix}${formatStep(step, max)}\n`),
    onAttempt: (attempt) => {
      write(`${prefix}${formatElapsed(attempt.endedAtMs)} ${formatAttemptLine(attempt, max)}\n`);
      if (attempt.argv !== undefined)
        write(
          `${prefix}${' '.repeat(formatElapsed(0).length)}   ${attempt.argvPlanned ? 'planned ' : ''}argv: ` +
            `${[attempt.command ?? '', ...attempt.argv].map(quote).join(' ')}\n`,
        );
    },
  });
}

/** Shell-like quoting for display only (never executed). */
export function quote(arg: string): string {
  return /^[\w@%+=:,./<>-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}
