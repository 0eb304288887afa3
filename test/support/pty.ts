/**
 * A command run in a real pseudo-terminal, and what its screen shows. The pseudo-terminal comes
 * from util-linux `script` (Debian's essential `bsdutils`: on every machine, no native build like
 * node-pty); what the command writes to it is replayed into `@xterm/headless`, a terminal emulator
 * without a display, so a test asserts the lines a person would see, not escape sequences.
 * Every run is bounded (`timeout`), and the command is killed with its process group past it.
 */
import { execa } from 'execa';
import headless from '@xterm/headless';

/** Size of the pseudo-terminal. */
export const PTY_COLUMNS = 100;
export const PTY_ROWS = 30;

/** Upper bound of one run in a pseudo-terminal, in ms. */
export const PTY_TIMEOUT_MS = 30_000;

/** Shell quoting of one argument (single quotes). */
function shellQuote(arg: string): string {
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** The end of a run. */
export interface PtyResult {
  exitCode: number | undefined;
  /** Every byte the command wrote to the terminal (stdout and stderr both), as text. */
  raw: string;
  /** The screen at the end: one string per row with text, trailing spaces and empty rows at the end trimmed. */
  screen: string[];
}

/** A command running in a pseudo-terminal. */
export interface PtyRun {
  /** The rows the screen shows now (as {@link PtyResult.screen}). */
  screen(): Promise<string[]>;
  /** Poll (bounded) until the screen satisfies `ready`; returns that screen, or throws with the last one. */
  waitForScreen(ready: (rows: string[]) => boolean, what: string): Promise<string[]>;
  /** Type `text` on the terminal's keyboard (e.g. `\x03`, Ctrl-C: the terminal sends SIGINT to the command). */
  type(text: string): void;
  /** Wait for the command to end. */
  done(): Promise<PtyResult>;
}

/**
 * Run `argv` (a program and its arguments) with stdout and stderr on a new pseudo-terminal of
 * {@link PTY_COLUMNS} × {@link PTY_ROWS}; its keyboard is {@link PtyRun.type}. `shellSuffix` is appended to the
 * command line as shell text (e.g. `2>/tmp/err` to take stderr off the terminal).
 */
export function runInPty(argv: string[], options: { cwd: string; env: Record<string, string | undefined>; shellSuffix?: string }): PtyRun {
  const command = `stty cols ${PTY_COLUMNS} rows ${PTY_ROWS}; exec ${argv.map(shellQuote).join(' ')}${options.shellSuffix === undefined ? '' : ` ${options.shellSuffix}`}`;
  const child = execa('script', ['-qfec', command, '/dev/null'], {
    cwd: options.cwd,
    env: options.env,
    extendEnv: false,
    stdin: 'pipe',
    reject: false,
    timeout: PTY_TIMEOUT_MS,
    forceKillAfterDelay: 5_000,
    buffer: false,
    encoding: 'utf8',
  });
  const terminal = new headless.Terminal({ cols: PTY_COLUMNS, rows: PTY_ROWS, allowProposedApi: true });
  let raw = '';
  let parsed = Promise.resolve();
  child.stdout?.on('data', (chunk: Buffer | string) => {
    const text = String(chunk);
    raw += text;
    parsed = parsed.then(() => new Promise<void>((resolve) => terminal.write(text, resolve)));
  });

  const screen = async (): Promise<string[]> => {
    await parsed;
    const buffer = terminal.buffer.active;
    const rows: string[] = [];
    for (let y = 0; y < buffer.length; y++) rows.push(buffer.getLine(y)?.translateToString(true) ?? '');
    while (rows.length > 0 && rows.at(-1) === '') rows.pop();
    return rows;
  };
  const ended = child.then((result) => result.exitCode);

  return {
    screen,
    async waitForScreen(ready, what) {
      let last: string[] = [];
      for (let i = 0; i < 400; i++) {
        last = await screen();
        if (ready(last)) return last;
        const finished = await Promise.race([
          ended.then(() => true),
          new Promise<false>((resolve) => setTimeout(() => resolve(false), 25)),
        ]);
        if (finished) {
          last = await screen();
          if (ready(last)) return last;
          break;
        }
      }
      throw new Error(`the screen never showed ${what}; it shows:\n${last.join('\n')}`);
    },
    type(text) {
      child.stdin?.write(text);
    },
    async done() {
      child.stdin?.end();
      const exitCode = await ended;
      return { exitCode, raw, screen: await screen() };
    },
  };
}
