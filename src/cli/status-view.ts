/**
 * The text of `safetynet agent`'s live status line (pure: no terminal, no clock). What it shows and
 * what feeds it: `./status-line.ts`.
 */
import { escapeControls } from './terminal-text.js';

/** Spinner frames, one per redraw. */
export const SPINNER_FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'] as const;

/** Most event lines (failovers, retry notices) kept under the status line; older ones are counted. */
export const MAX_EVENT_LINES = 4;

/** One thing that happened during the request, shown under the status line. */
export interface StatusEvent {
  /** `failover`: an attempt failed or was skipped and the next candidate follows; `retry`: a CLI's own retry notice. */
  kind: 'failover' | 'retry';
  /** The line's text, e.g. `fake/a failed (auth): Invalid API key`. */
  text: string;
}

/** What the status line knows of the request. */
export interface StatusState {
  /** The candidate being tried (model ref), once the machine chose one. */
  candidate?: string;
  /** The request machine's state, e.g. `spawning-cli`; `starting` before the machine runs. */
  state: string;
  /** ms since the command started the request. */
  elapsedMs: number;
  /** Failovers and retry notices so far, oldest first. */
  events: readonly StatusEvent[];
}

/** How {@link renderStatus} draws. */
export interface StatusStyle {
  /** Terminal width in columns; each line is cut to one column less, so that nothing wraps. */
  columns: number;
  /** Index of the spinner frame (any integer; taken modulo the frame count). */
  frame: number;
  /** ANSI colours (off for `NO_COLOR`). */
  color: boolean;
}

const PAINT = { cyan: 36, dim: 2, red: 31, yellow: 33 } as const;

function paint(text: string, colour: keyof typeof PAINT, on: boolean): string {
  return on ? `\u001b[${PAINT[colour]}m${text}\u001b[0m` : text;
}

/** `text` on one line without control characters, at most `max` characters (`…` when cut). */
function fitLine(text: string, max: number): string {
  const line = escapeControls(text.replace(/\s+/g, ' ').trim());
  if (max <= 0) return '';
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** `0.4s`, `12.3s`, `2m 05s`. */
export function formatStatusElapsed(ms: number): string {
  const tenths = Math.floor(Math.max(0, ms) / 100);
  if (tenths < 600) return `${(tenths / 10).toFixed(1)}s`;
  const seconds = Math.floor(tenths / 10);
  return `${Math.floor(seconds / 60)}m ${String(seconds % 60).padStart(2, '0')}s`;
}

/**
 * The status block: `⠋ fake/b · spawning-cli · 2.4s`, then one line per recent failover (`✗ …`) or
 * retry notice (`↻ …`), the oldest beyond {@link MAX_EVENT_LINES} summed up in one line. Every line
 * is escaped (control characters of CLI output cannot reach the terminal) and cut to fit.
 */
export function renderStatus(status: StatusState, style: StatusStyle): string {
  const width = Math.max(1, style.columns - 1);
  const frame = SPINNER_FRAMES[((style.frame % SPINNER_FRAMES.length) + SPINNER_FRAMES.length) % SPINNER_FRAMES.length]!;
  const head = [status.candidate, status.state, formatStatusElapsed(status.elapsedMs)].filter((part) => part !== undefined).join(' · ');
  const lines = [`${paint(frame, 'cyan', style.color)} ${fitLine(head, width - 2)}`];
  const hidden = status.events.length - MAX_EVENT_LINES;
  if (hidden > 0) lines.push(`  ${paint(fitLine(`… ${hidden} earlier`, width - 2), 'dim', style.color)}`);
  for (const event of status.events.slice(Math.max(0, hidden))) {
    const mark = event.kind === 'failover' ? paint('✗', 'red', style.color) : paint('↻', 'yellow', style.color);
    lines.push(`  ${mark} ${fitLine(event.text, width - 4)}`);
  }
  return lines.join('\n');
}
