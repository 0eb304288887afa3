/**
 * `safetynet agent`: answer one message through the request machine and print the reply.
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { RunResult } from '../runtime/request.js';
import { timeoutSecondsToMs } from '../config/timeouts.js';
import { RequestError, UsageError } from '../errors.js';
import { EXIT, describeError, exitCodeFor } from './exit-codes.js';
import type { Io } from './io.js';
import { readMessage, type MessageFlags } from './message-source.js';
import { fanOut, type InspectObserver } from '../inspection/fan-out.js';
import { configSecrets, createRedactor, envSecrets } from '../inspection/sanitize.js';
import { redactStrings } from '../runtime/redaction.js';
import { ReplyStream, replyOutput } from './stream-output.js';
import { terminalMode } from './terminal-mode.js';
import type { StatusLine } from './status-line.js';

/** Flags of `safetynet agent` as parsed by commander. */
export interface AgentFlags extends MessageFlags {
  model?: string;
  session?: string;
  systemPrompt?: string;
  image: string[];
  config?: string;
  cwd?: string;
  timeout?: number;
  json?: boolean;
  /** Print each state transition and attempt to stderr as it happens. */
  verbose?: boolean;
  /** `--inspect` (`true`) or `--inspect=<port>` / `--inspect=file:<path>`. */
  inspect?: true | string;
  /** No live status line on a terminal, and no list of failed attempts after an answer. */
  quiet?: boolean;
  /** `--stream` / `--no-stream`; unset: stream when stdout is a terminal (`./terminal-mode.ts`). */
  stream?: boolean;
}

/**
 * Run the request; stdout gets the reply text only (or one JSON object with `--json`), stderr the
 * diagnostics. Resolves with the exit code: 0 answered, 1 every candidate failed, 2 bad usage or
 * config, 130 interrupted.
 *
 * Every line of stderr and every string of the `--json` object but the answer's `text` go through
 * the one redactor (`createRedactor`: the configured keys, the standard key variables of the
 * environment, credentials inside URLs).
 *
 * On a terminal, stderr shows a live status line while the request runs (`./status-line.ts`) and
 * the reply is streamed to stdout as it arrives (`./stream-output.ts`); `./terminal-mode.ts`
 * decides both.
 */
export async function agentCommand(flags: AgentFlags, rawIo: Io): Promise<number> {
  // Until the config is read, the environment's keys; then the config's as well.
  let redact = createRedactor(envSecrets());
  const mode = terminalMode(flags, rawIo);
  // Loaded only on a terminal: without one nothing of log-update is imported.
  let statusLine: StatusLine | undefined;
  if (mode.statusLine !== undefined) {
    const { StatusLine } = await import('./status-line.js');
    statusLine = new StatusLine(mode.statusLine, { color: mode.color, redact: (text) => redact(text) });
    statusLine.start();
  }
  const io: Io = {
    ...rawIo,
    stderr: (text) => {
      const line = redact(text);
      if (statusLine === undefined) rawIo.stderr(line);
      else statusLine.interleave(() => rawIo.stderr(line));
    },
  };
  // On a terminal shared with stdout, the reply's first text takes the status line's place.
  const reply = mode.stream ? new ReplyStream(rawIo.stdout, rawIo.stdoutIsTerminal ? () => statusLine?.stop() : undefined) : undefined;
  const controller = new AbortController();
  const interrupt = () => controller.abort();
  // `on`, not `once`: a second Ctrl-C while the CLI's process group is being killed must not take
  // the default action (instant exit), which would orphan a CLI that ignores SIGTERM. Stopping is
  // bounded by the SIGTERM → SIGKILL grace of the process runner.
  process.on('SIGINT', interrupt);
  process.on('SIGTERM', interrupt);
  const { createRuntime } = await import('../runtime/runtime.js');
  let runtime: Awaited<ReturnType<typeof createRuntime>> | undefined;
  let inspector: { inspect: InspectObserver; close(signal?: AbortSignal): Promise<void> } | undefined;
  try {
    const message = await readMessage(flags);
    await checkFlags(flags);
    runtime = await createRuntime({
      ...(flags.config === undefined ? {} : { configFile: flags.config }),
      onWarning: (warning) => io.stderr(`safetynet: warning: ${warning}\n`),
      // One request per process: the state folder is closed after each use, so that the other
      // processes sharing SAFETYNET_HOME wait for its lock as briefly as possible.
      storeIdleCloseMs: 0,
    });
    redact = createRedactor(configSecrets(runtime.config));
    // Loaded only when asked for: without --inspect nothing of the inspector is imported.
    const verbose = flags.verbose ? (await import('../inspection/verbose.js')).createVerbosePrinter((line) => io.stderr(line)) : undefined;
    if (flags.inspect !== undefined) {
      const { parseInspectFlag, startInspector } = await import('./inspect.js');
      inspector = await startInspector(parseInspectFlag(flags.inspect), { secrets: configSecrets(runtime.config), io });
    }
    const inspect = fanOut([verbose, inspector?.inspect, statusLine?.inspect]);
    const result = await runtime.run({
      message,
      ...(flags.model === undefined ? {} : { model: flags.model }),
      ...(flags.session === undefined ? {} : { sessionKey: flags.session }),
      ...(flags.systemPrompt === undefined ? {} : { systemPrompt: flags.systemPrompt }),
      ...(flags.image.length === 0 ? {} : { images: flags.image.map((path) => ({ path })) }),
      // absolute: the stored session remembers this folder, and a later turn may run elsewhere
      ...(flags.cwd === undefined ? {} : { cwd: resolve(flags.cwd) }),
      ...(flags.timeout === undefined ? {} : { timeoutMs: timeoutSecondsToMs(flags.timeout), timeoutName: '--timeout' }),
      signal: controller.signal,
      ...(inspect === undefined ? {} : { inspect }),
      ...(reply === undefined ? {} : { onText: reply.onText }),
    });
    statusLine?.stop();
    printResult(result, flags, io, redact, reply);
    return EXIT.ok;
  } catch (error) {
    statusLine?.stop();
    reply?.abandon();
    if (flags.json) io.stdout(`${JSON.stringify(redactStrings(errorJson(error), redact))}\n`);
    io.stderr(`${describeError(error)}\n`);
    return exitCodeFor(error);
  } finally {
    statusLine?.stop();
    await inspector?.close(controller.signal);
    await runtime?.close();
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
  }
}

/**
 * Flag checks whose library-level errors would name request fields (`request.message`) rather than
 * the flag, or would surface as a failed attempt (a missing `--cwd` is bad usage, exit 2).
 * @throws {UsageError} `SAFETYNET_USAGE` naming the flag, what was received and what to do.
 */
async function checkFlags(flags: AgentFlags): Promise<void> {
  if (flags.json && flags.stream === true)
    throw new UsageError('--stream and --json: --json prints one object at the end, nothing is streamed — leave one of them out');
  if (flags.session !== undefined && flags.session.trim() === '') {
    throw new UsageError(
      `--session: expected a conversation key, received ${JSON.stringify(flags.session)} — ` +
        'pass a non-empty key, or leave --session out for a one-shot request',
    );
  }
  if (flags.cwd !== undefined) {
    const dir = resolve(flags.cwd);
    const isDir = await stat(dir).then(
      (info) => info.isDirectory(),
      () => false,
    );
    if (!isDir)
      throw new UsageError(
        `--cwd ${dir}: not an existing directory — pass a directory that exists, or leave --cwd out to use the current one`,
      );
  }
}

function printResult(result: RunResult, flags: AgentFlags, io: Io, redact: (text: string) => string, reply?: ReplyStream): void {
  if (flags.json) {
    io.stdout(`${JSON.stringify({ ...redactStrings(result, redact), text: result.text })}\n`);
    return;
  }
  if (reply === undefined) io.stdout(replyOutput(result.text));
  else reply.finish(result.text);
  const failed = flags.quiet ? [] : result.attempts.filter((attempt) => !attempt.ok);
  for (const attempt of failed) {
    io.stderr(
      `safetynet: ${attempt.model} ${attempt.skipped ? 'skipped' : 'failed'} (${attempt.reason ?? 'unknown'}): ${attempt.detail ?? ''}\n`,
    );
  }
  if (failed.length > 0) io.stderr(`safetynet: answered by ${result.model}\n`);
  for (const warning of result.warnings) io.stderr(`safetynet: warning: ${warning}\n`);
}

function errorJson(error: unknown): Record<string, unknown> {
  const base = {
    error: { code: (error as { code?: string }).code ?? 'UNKNOWN', message: error instanceof Error ? error.message : String(error) },
  };
  return error instanceof RequestError ? { ...base, requestId: error.requestId, attempts: error.attempts } : base;
}
