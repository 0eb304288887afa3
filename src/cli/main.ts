/**
 * The `safetynet` command: flag parsing (commander) and dispatch. Registering a subcommand costs no
 * import: its action imports its module (`./agent.js`, `./serve.js`, …) when it runs, so a turn loads
 * only what it calls (docs/cold-start.md).
 */
import { createRequire } from 'node:module';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { isTimeoutSeconds, TIMEOUT_SECONDS_EXPECTED } from '../config/timeouts.js';
import { EXIT } from './exit-codes.js';
import { processIo, type Io } from './io.js';

/** `--timeout <seconds>`: the rule of `agents.defaults.timeoutSeconds` (`config/timeouts.ts`). */
function timeoutSeconds(value: string): number {
  const seconds = Number(value);
  if (value.trim() === '' || !isTimeoutSeconds(seconds))
    throw new InvalidArgumentError(`expected ${TIMEOUT_SECONDS_EXPECTED}, received "${value}"`);
  return seconds;
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65_535) throw new InvalidArgumentError(`expected a port from 0 to 65535, received "${value}"`);
  return n;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

const configOption = () =>
  new Option('--config <file>', 'JSON5 config file (default: $SAFETYNET_CONFIG, else $SAFETYNET_HOME/config.json5)');

/** Build the command tree; `run` receives each command's exit code. */
export function buildProgram(io: Io, run: (code: Promise<number>) => void): Command {
  const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };
  const program = new Command('safetynet')
    .description('Keeps an AI gateway answering when its API providers fail: candidates in order, local AI CLIs as the last resort.')
    .version(version)
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.stdout(text), writeErr: (text) => io.stderr(text) })
    .showHelpAfterError('(run with --help for usage)');

  program
    .command('agent')
    .description('answer one message: stdout gets the reply, stderr the diagnostics')
    .option('-m, --message <text>', 'the message to answer; "-" reads it from stdin (the default when stdin is not a terminal)')
    .option('--message-file <path>', 'read the message from this file (UTF-8)')
    .option('--model <ref>', 'model ref <provider>/<model>, e.g. claude-cli/opus-4.6 (default: agents.defaults.model.primary)')
    .option('--session <key>', 'conversation key: stores the CLI session so the next turn with this key resumes it')
    .option('--system-prompt <text>', "system prompt, sent per the backend's systemPromptWhen")
    .option('--image <path>', 'image file to pass to the CLI (repeatable)', collect, [])
    .option('--cwd <dir>', 'working directory of new CLI sessions (default: the current directory)')
    .option('--timeout <seconds>', 'deadline of one attempt (default: agents.defaults.timeoutSeconds, 600)', timeoutSeconds)
    .option('--json', 'print one JSON object: { text, model, backend, sessionKey, cliSessionId, attempts, usage?, durationMs }')
    .option('--verbose', 'print each state transition and attempt to stderr as it happens')
    .addOption(
      new Option('--quiet', 'no live status line on a terminal, and no list of failed attempts after an answer').conflicts('verbose'),
    )
    .option('--stream', 'print the reply as it arrives (the default when stdout is a terminal, never with --json)')
    .option('--no-stream', 'print the reply all at once at the end')
    .option(
      '--inspect [target]',
      'stream the live actor events: to the Stately inspector over a loopback WebSocket (--inspect or --inspect=<port>), or as JSONL (--inspect=file:<path>)',
    )
    .addOption(configOption())
    .action((flags) => run(import('./agent.js').then(({ agentCommand }) => agentCommand(flags, io))));

  program
    .command('serve')
    .description('serve OpenAI- and Anthropic-compatible HTTP endpoints with failover behind them (until SIGTERM/SIGINT, then drain)')
    .option('--port <port>', 'TCP port (default: safetynet.serve.port, 8787)', port)
    .option('--host <address>', 'address to bind; a non-loopback one requires API keys (default: safetynet.serve.host, 127.0.0.1)')
    .option('--verbose', 'log each request (method, URL, status, time; never bodies or keys) to stderr')
    .addOption(configOption())
    .action((flags) => run(import('./serve.js').then(({ serveCommand }) => serveCommand(flags, io))));

  program
    .command('trace [request-id]')
    .description('print the trace of a request (default: the newest): its states with times and every attempt')
    .option('--last', 'the newest request (the default without a request id)')
    .option('--json', 'print the trace as one JSON object')
    .addOption(configOption())
    .action((requestId: string | undefined, flags) =>
      run(import('./trace.js').then(({ traceCommand }) => traceCommand(requestId, flags, io))),
    );

  program
    .command('doctor')
    .description('check that every configured candidate can run: command, version, root refusal, login or API key, state folder, cooldowns')
    .option('--json', 'print the checks as one JSON object')
    .option('--repair', "first repair a damaged state folder (LevelDB's repair) and say what it recovered")
    .addOption(configOption())
    .action((flags) => run(import('./doctor.js').then(({ doctorCommand }) => doctorCommand(flags, io))));

  const sessions = program.command('sessions').description('show, export and clear the stored conversations and their CLI sessions');
  sessions
    .command('list')
    .description('every session key: transcript length and how far each CLI session is in sync')
    .option('--json', 'print JSON')
    .addOption(configOption())
    .action((flags) => run(import('./sessions.js').then(({ sessionsCommand }) => sessionsCommand('list', undefined, flags, io))));
  sessions
    .command('show <key>')
    .description("one session key: its transcript length and each CLI backend's session and sync")
    .option('--json', 'print JSON')
    .addOption(configOption())
    .action((key: string, flags) => run(import('./sessions.js').then(({ sessionsCommand }) => sessionsCommand('show', key, flags, io))));
  sessions
    .command('export <key>')
    .description('print the conversation of a session key, oldest turn first')
    .option('--json', 'print JSON: { sessionKey, turns, dropped }')
    .addOption(configOption())
    .action((key: string, flags) => run(import('./sessions.js').then(({ sessionsCommand }) => sessionsCommand('export', key, flags, io))));
  sessions
    .command('reset <key>')
    .description('forget a session key: its transcript and CLI sessions (with --backend, only that CLI session)')
    .option('--backend <id>', 'only this backend, e.g. claude-cli (the transcript stays)')
    .option('--json', 'print JSON')
    .addOption(configOption())
    .action((key: string, flags) => run(import('./sessions.js').then(({ sessionsCommand }) => sessionsCommand('reset', key, flags, io))));

  const cooldowns = program.command('cooldowns').description('list and clear the cooldowns of failed candidates');
  cooldowns
    .command('list', { isDefault: true })
    .description('the cooldowns in force: key (model ref or provider), reason, failures, time left, the configured refs each blocks')
    .option('--json', 'print JSON')
    .addOption(configOption())
    .action((flags) => run(import('./cooldowns.js').then(({ cooldownsCommand }) => cooldownsCommand('list', undefined, flags, io))));
  cooldowns
    .command('clear [target]')
    .description("clear the cooldowns of a model ref (its own and its provider's), of a provider (and its models), or --all")
    .option('--all', 'every cooldown')
    .option('--json', 'print JSON: { target, cleared }')
    .addOption(configOption())
    .action((target: string | undefined, flags) =>
      run(import('./cooldowns.js').then(({ cooldownsCommand }) => cooldownsCommand('clear', target, flags, io))),
    );
  return program;
}

/** Parse argv, run the command, and resolve with the exit code (never calls `process.exit`). */
export async function main(argv: string[], io: Io = processIo): Promise<number> {
  let pending: Promise<number> | undefined;
  const program = buildProgram(io, (code) => {
    pending = code;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    throw error;
  }
  if (pending === undefined) {
    io.stderr(program.helpInformation());
    return EXIT.usage;
  }
  return pending;
}
