/**
 * What `safetynet agent` shows on a terminal: whether the live status line is drawn on stderr,
 * whether the reply is streamed to stdout, and whether colours are used. Decided once, before the
 * request, from the flags, which streams are terminals, and the environment.
 */
import type { Io } from './io.js';

/** The flags that decide the terminal output of `safetynet agent`. */
export interface TerminalFlags {
  json?: boolean;
  /** `--quiet`: no status line. */
  quiet?: boolean;
  /** `--stream` (`true`), `--no-stream` (`false`) or neither (`undefined`: stream when stdout is a terminal). */
  stream?: boolean;
}

/** The decisions of {@link terminalMode}. */
export interface TerminalMode {
  /** The stderr terminal to draw the live status line on; `undefined`: no status line. */
  statusLine: NodeJS.WriteStream | undefined;
  /** Print the reply as it arrives. */
  stream: boolean;
  /** Colours in the status line. */
  color: boolean;
}

/**
 * Decide the terminal output:
 * - the status line needs stderr to be a terminal (`Io.stderrTerminal`) that can move its cursor
 *   (`TERM` is not `dumb`), and neither `--json` (a tool reads the output) nor `--quiet`;
 * - the reply is streamed with `--stream`, or by default when stdout is a terminal
 *   (`Io.stdoutIsTerminal`); never with `--json` (one object at the end), nor with `--no-stream`;
 * - colours unless `NO_COLOR` is set to a non-empty value (https://no-color.org) or `TERM` is `dumb`.
 */
export function terminalMode(flags: TerminalFlags, io: Io, env: NodeJS.ProcessEnv = process.env): TerminalMode {
  const dumb = env['TERM'] === 'dumb';
  const statusLine = flags.json || flags.quiet || dumb ? undefined : io.stderrTerminal;
  return {
    statusLine,
    stream: !flags.json && (flags.stream ?? io.stdoutIsTerminal === true),
    color: !dumb && (env['NO_COLOR'] ?? '') === '',
  };
}
