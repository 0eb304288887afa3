/**
 * Where commands write: injectable so tests can capture stdout and stderr.
 */

/** Output sinks of a command. */
export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
}

/** The process's own stdout and stderr. */
export const processIo: Io = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
};
