/**
 * Where `safetynet agent` takes its message from: `--message <text>`, `--message -` (stdin),
 * `--message-file <path>`, or stdin when it is not a terminal and neither flag is given (`cat
 * prompt.md | safetynet agent`). Stdin is read only then: with `--message <text>` or
 * `--message-file` it is never touched, so a closed or never-written stdin (CI, a test spawning with
 * stdin ignored) blocks nothing. A message of any size reaches the CLI over its stdin when it is
 * longer than the backend's `maxPromptArgChars` (`src/actors/cli/plan.ts`), so no argv limit applies.
 */
import { readFile } from 'node:fs/promises';
import { UsageError } from '../errors.js';

/** The message flags of `safetynet agent`. */
export interface MessageFlags {
  /** `--message <text>`; `-` reads stdin. */
  message?: string;
  /** `--message-file <path>`: the file's UTF-8 text is the message. */
  messageFile?: string;
}

/** The stdin the message may come from (`process.stdin`, or a test's stream). */
export interface MessageStdin extends AsyncIterable<string | Buffer> {
  /** `true` on a terminal (then it is read only for `--message -`). */
  readonly isTTY?: boolean | undefined;
}

const HOW =
  'pass --message <text>, --message-file <path>, or pipe the message on stdin (e.g. echo hi | safetynet agent; safetynet agent --help lists the flags)';

async function readAll(stdin: MessageStdin): Promise<string> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  } catch {
    // a closed or unreadable stdin (EBADF, EINVAL) holds no message
  }
  return Buffer.concat(chunks).toString('utf8');
}

function nonEmpty(text: string, from: string): string {
  if (text.trim() === '') throw new UsageError(`no message: ${from} was empty — ${HOW}`);
  return text;
}

/**
 * The message of the request, as the rules in the module comment say.
 * @returns the text as received (a file's or stdin's trailing newline included).
 * @throws {UsageError} `SAFETYNET_USAGE` (exit 2) when both `--message` and `--message-file` are given,
 *   when the file cannot be read (naming the flag, the path and the reason), when the message is
 *   empty, or when there is none (stdin is a terminal, or empty/closed, and neither flag was given);
 *   the message says how to pass one.
 */
export async function readMessage(flags: MessageFlags, stdin: MessageStdin = process.stdin): Promise<string> {
  const { message, messageFile } = flags;
  if (message !== undefined && messageFile !== undefined) {
    throw new UsageError(
      `--message and --message-file were both given (received --message-file ${JSON.stringify(messageFile)}): pass one of them`,
    );
  }
  if (messageFile !== undefined) {
    const text = await readFile(messageFile, 'utf8').catch((error: NodeJS.ErrnoException) => {
      throw new UsageError(
        `--message-file ${JSON.stringify(messageFile)}: cannot read it (${error.code ?? error.message}) — pass a readable file`,
        {
          cause: error,
        },
      );
    });
    return nonEmpty(text, `--message-file ${JSON.stringify(messageFile)}`);
  }
  if (message === '-') return nonEmpty(await readAll(stdin), 'stdin (--message -)');
  if (message !== undefined) {
    if (message.trim() === '') throw new UsageError(`--message: expected the text to answer, received ${JSON.stringify(message)} — ${HOW}`);
    return message;
  }
  if (stdin.isTTY === true) throw new UsageError(`no message — ${HOW}`);
  return nonEmpty(await readAll(stdin), 'stdin');
}
