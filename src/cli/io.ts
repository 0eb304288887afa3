/**
 * Where commands write: injectable so tests can capture stdout and stderr.
 */

/** Output sinks of a command. */
export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
  /** True when stdout is a terminal (`safetynet agent` then streams the reply by default). */
  stdoutIsTerminal?: boolean;
  /** stderr when it is a terminal (`safetynet agent` draws its live status line there); absent otherwise. */
  stderrTerminal?: NodeJS.WriteStream;
}

/** The process's own stdout and stderr. */
export const processIo: Io = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  stdoutIsTerminal: process.stdout.isTTY === true,
  ...(process.stderr.isTTY ? { stderrTerminal: process.stderr } : {}),
};
