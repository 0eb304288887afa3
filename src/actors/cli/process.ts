/**
 * Run one planned CLI turn as a child process and collect what it left behind.
 *
 * Rationale in `docs/cli-contracts.md`: `#stdin` (stdin is /dev/null in arg mode: Codex hangs on an
 * open stdin pipe), `#deadlines-and-kill-order` (safetynet owns the deadline and kills the whole
 * process group; the no-output watchdog re-arms on every chunk; SIGTERM to the group, SIGKILL after
 * a grace period; execa 9 `cancelSignal`, `forceKillAfterDelay`, `detached` + `process.kill(-pid)`;
 * `detached` disables execa's exit cleanup, so we keep our own), `#spawn-failures` (E2BIG for long
 * argv), and `#retry-watch` (the fast-failover watch of retry notices, `./watch.ts`).
 */
import { existsSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import type { Options } from 'execa';
import { AttemptError } from '../../errors.js';
import { MAX_ANSWER_BYTES } from '../limits.js';
import { commandNotFound } from './preflight.js';
import { pdeathsigWrapper, recordGroup, setprivExecFailure, withPdeathsig } from './orphans.js';
import { openCliTempDir } from './temp-dir.js';
import type { CliAbandonEvent, CliWatchEvent } from './watch.js';
import type { CliRunOutput, CliTurnPlan } from '../types.js';

/** Something that reads stdout as it arrives and may decide to give up (`CliOutputWatcher`). */
export interface CliStdoutWatch {
  /** Called with every decoded stdout chunk, in order; returns what it saw in completed lines. */
  feed(chunk: string): CliWatchEvent[];
}

/**
 * A structured event of a running CLI, for traces and `--verbose`: a retry notice the CLI printed
 * (`cli.retry`) or the decision to give up on it (`cli.abandon`), with `atMs` = milliseconds since
 * spawn. Plain JSON.
 */
export type CliProcessEvent = CliWatchEvent & { atMs: number };

/** Options of {@link runCliProcess}. */
export interface RunCliProcessOptions {
  /** Aborting kills the process group; the run then rejects with reason `aborted`. */
  signal?: AbortSignal;
  /** Largest stdout kept, in bytes; past it the group is killed. @default 16777216 (16 MiB) */
  maxStdoutBytes?: number;
  /** How much of the end of stderr is kept, in bytes. @default 65536 (64 KiB) */
  stderrTailBytes?: number;
  /** Grace between SIGTERM and SIGKILL of the process group, in ms. @default 2000 */
  forceKillAfterMs?: number;
  /** Called with every decoded (utf8) chunk as it arrives. */
  onOutput?: (stream: 'stdout' | 'stderr', chunk: string) => void;
  /** Backend id, only used to name the config key in error messages. */
  backendId?: string;
  /**
   * Reads stdout while the CLI runs. When it reports `cli.abandon`, the process group is killed
   * and the run rejects with that failure (e.g. `auth` on Claude's first 401 `api_retry`).
   */
  watch?: CliStdoutWatch;
  /** Reads stderr the same way (Gemini prints its retry notices there); a `cli.abandon` ends the run too. */
  watchStderr?: CliStdoutWatch;
  /** Receives the watcher's events (retry notices, abandonment). Exceptions it throws are ignored. */
  onEvent?: (event: CliProcessEvent) => void;
  /**
   * Overall deadline of the run in ms since spawn, whatever the output: past it the process group
   * is killed and the run rejects with `timeout`. Unset: no overall deadline (the no-output
   * watchdog and the caller's signal still apply).
   */
  deadlineMs?: number;
  /**
   * How long stdout/stderr are still read after the direct child has exited or been killed, in ms;
   * past it the pipes are destroyed and the run ends. @default {@link PIPE_GRACE_MS}
   */
  pipeGraceMs?: number;
  /**
   * Folder of the crash records (`$SAFETYNET_HOME/run`, see `./orphans.ts`): the process group is
   * recorded there while it lives, and watched, so that it is reaped if safetynet dies (`kill -9`).
   * Unset: not recorded (the parent-death signal still applies). The run's private temp folder is
   * recorded there too.
   */
  runDir?: string;
  /** Parent of the run's private temp folder (`./temp-dir.ts`). @default os.tmpdir() */
  tempParent?: string;
}

/** Default `maxStdoutBytes`: {@link MAX_ANSWER_BYTES} (16 MiB), the cap every attempt's answer shares. */
export const DEFAULT_MAX_STDOUT_BYTES = MAX_ANSWER_BYTES;
/** Default `stderrTailBytes`: 64 KiB. */
export const DEFAULT_STDERR_TAIL_BYTES = 64 * 1024;
/** Default `forceKillAfterMs`: 2 000 ms. */
export const DEFAULT_FORCE_KILL_AFTER_MS = 2000;

/**
 * Default `pipeGraceMs`: 1 000 ms. A descendant that left the CLI's process group (`setsid`) survives
 * the group kill and can hold stdout/stderr open for as long as it lives, and a run that waited for the
 * pipes to close would never end (issue 13, case 1). So once the direct child is gone (exited on its
 * own, or killed at a deadline, abort, watchdog trip, output cap or abandonment) the pipes get this
 * much longer to deliver what is buffered in them, then they are destroyed. A killed run then fails
 * with its termination's reason (`timeout`, `aborted`, …); a child that exited on its own keeps its own
 * result (exit code, and the output read so far, which holds everything it wrote itself), with
 * `pipesClosedAfterMs` set on the output. 1 s is far more than a pipe needs to drain (a 64 KiB pipe
 * buffer reads in well under 1 ms) and keeps every run within its deadline + `forceKillAfterMs` + 1 s.
 */
export const PIPE_GRACE_MS = 1000;

type Termination = 'aborted' | 'timeout' | 'deadline' | 'output-limit' | 'abandoned';

/** Process groups (leader pids) that may still have live members, with the removal of their crash record. */
const liveGroups = new Map<number, () => void>();
let exitHookInstalled = false;

/** execa, imported on the first CLI run: a request that calls only API providers never loads it (docs/cold-start.md). */
let execaModule: Promise<typeof import('execa')> | undefined;

function loadExeca(): Promise<typeof import('execa').execa> {
  execaModule ??= import('execa');
  return execaModule.then((module) => module.execa);
}

/** Forget the group `pgid`: it is gone (or SIGKILLed); its crash record goes too. */
function forgetGroup(pgid: number): void {
  liveGroups.get(pgid)?.();
  liveGroups.delete(pgid);
}

/** Send `signal` to the process group `pgid`; false when the group is gone (ESRCH) or not ours. */
function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM the group now, SIGKILL it after `graceMs` if any member is left, then forget it. */
function killGroup(pgid: number, graceMs: number): void {
  signalGroup(pgid, 'SIGTERM');
  setTimeout(() => {
    if (signalGroup(pgid, 0)) signalGroup(pgid, 'SIGKILL');
    forgetGroup(pgid);
  }, graceMs).unref();
}

function trackGroup(pgid: number, runDir: string | undefined, removeTemp: () => void): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const group of [...liveGroups.keys()]) {
        signalGroup(group, 'SIGKILL');
        forgetGroup(group);
      }
    });
  }
  const forgetRecord = runDir === undefined ? () => {} : recordGroup(runDir, pgid);
  liveGroups.set(pgid, () => {
    removeTemp(); // again: a member that outlived the run may have written into it
    forgetRecord();
  });
}

/**
 * Spawn `plan.command` with `plan.argv` (never through a shell) in its own process group and wait for
 * it. A non-zero exit is **returned** (parsing decides later), not thrown.
 *
 * - env: exactly `plan.env` (`extendEnv: false`), except that `TMPDIR`/`TMP`/`TEMP` point at a private
 *   temp folder made for the run unless `plan.keepTempDir` (`./temp-dir.ts`); cwd: `plan.cwd`. The
 *   folder is removed when the run ends however it ends, and again when the killed group is gone.
 * - stdin: /dev/null when `plan.stdin` is undefined, else the text written then closed.
 * - stdout is kept up to `maxStdoutBytes`; stderr keeps only its last `stderrTailBytes`.
 * - The no-output watchdog (`plan.noOutputTimeoutMs`) re-arms on every stdout/stderr chunk; the
 *   optional overall `deadlineMs` does not.
 * - `watch` reads stdout (`watchStderr` stderr) as it arrives; its events go to `onEvent`, and a `cli.abandon` ends the run.
 * - On abort, watchdog trip, deadline, abandonment or output limit the whole group gets SIGTERM, then SIGKILL after
 *   `forceKillAfterMs` if any member is left. When the direct child exits on its own, leftover group
 *   members get the same treatment (they could otherwise hold stdout/stderr open forever). A process
 *   `exit` hook SIGKILLs groups still alive when safetynet exits.
 * - On Linux the CLI is spawned through `setpriv --pdeathsig KILL` when available (it dies with
 *   safetynet, even on `kill -9`), and with `runDir` its group is recorded and watched (`./orphans.ts`).
 * - Once the direct child is gone, the pipes are read for `pipeGraceMs` more at most, then destroyed
 *   (a descendant that escaped the group with `setsid` may hold them open forever): a killed run
 *   fails with its reason, a run that exited on its own returns its result with `pipesClosedAfterMs`.
 *
 * @returns the output, with `plan` stripped of `env`/`stdin` (plus `stdinChars`) and `durationMs`.
 * @throws {AttemptError} `aborted` (signal aborted, also before spawning); `timeout`
 *   (`no output for N ms …`, or `no reply within N ms …` at `deadlineMs`); the watcher's reason
 *   (`auth`, `billing`, `rate_limit`, `overloaded`, `transport`, …) when it abandoned the run, with
 *   its `status`/`retryAfterMs`; `unknown` (`stdout exceeded N bytes …`); `config` when the command
 *   is not found (ENOENT), not executable (EACCES), the cwd is missing, or argv is too long (E2BIG).
 */
export async function runCliProcess(plan: CliTurnPlan, options: RunCliProcessOptions = {}): Promise<CliRunOutput> {
  const execa = await loadExeca();
  const { signal, onOutput, watch, onEvent } = options;
  const maxStdoutBytes = options.maxStdoutBytes ?? DEFAULT_MAX_STDOUT_BYTES;
  const stderrTailBytes = options.stderrTailBytes ?? DEFAULT_STDERR_TAIL_BYTES;
  const forceKillAfterMs = options.forceKillAfterMs ?? DEFAULT_FORCE_KILL_AFTER_MS;
  const pipeGraceMs = options.pipeGraceMs ?? PIPE_GRACE_MS;
  if (signal?.aborted) throw new AttemptError('aborted', `CLI run of "${plan.command}" aborted before it started`);
  // An abort while the folder is made is seen by execa's cancelSignal at spawn (then `aborted` below).
  const temp = await openCliTempDir(plan.env, plan.keepTempDir === true, { parent: options.tempParent, runDir: options.runDir });

  const started = performance.now();
  const execaOptions: Options = {
    shell: false,
    extendEnv: false,
    env: temp.env,
    cwd: plan.cwd,
    ...(plan.stdin === undefined ? { stdin: 'ignore' as const } : { input: plan.stdin }),
    stdout: 'pipe',
    stderr: 'pipe',
    detached: true,
    reject: false,
    buffer: false,
    forceKillAfterDelay: forceKillAfterMs,
    ...(signal === undefined ? {} : { cancelSignal: signal }),
  };
  const setpriv = pdeathsigWrapper();
  const [command, argv] = setpriv === undefined ? [plan.command, plan.argv] : withPdeathsig(setpriv, plan.command, plan.argv);
  const subprocess = execa(command, argv, execaOptions);
  const pid = subprocess.pid;
  if (pid !== undefined) trackGroup(pid, options.runDir, temp.remove);

  let termination: Termination | undefined;
  let abandonment: CliAbandonEvent | undefined;
  const terminate = (cause: Termination): void => {
    if (termination !== undefined) return;
    termination = cause;
    clearTimeout(watchdog);
    clearTimeout(deadline);
    if (pid !== undefined) killGroup(pid, forceKillAfterMs);
  };
  const watchdog = setTimeout(() => terminate('timeout'), plan.noOutputTimeoutMs);
  const deadlineMs = options.deadlineMs;
  const deadline = deadlineMs === undefined ? undefined : setTimeout(() => terminate('deadline'), Math.max(0, deadlineMs));
  const report = (events: CliWatchEvent[]): void => {
    for (const event of events) {
      try {
        onEvent?.({ ...event, atMs: Math.round(performance.now() - started) });
      } catch {
        // a failing observer never changes the run
      }
      if (event.type === 'cli.abandon') {
        abandonment = event;
        terminate('abandoned');
        return;
      }
    }
  };
  const onAbort = (): void => terminate('aborted');
  signal?.addEventListener('abort', onAbort, { once: true });

  const stdoutChunks: Buffer[] = [];
  let stdoutBytes = 0;
  const stderrChunks: Buffer[] = [];
  let stderrBytes = 0;
  const decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };

  subprocess.stdout?.on('data', (data: Buffer | string) => {
    if (termination !== undefined) return; // drained and dropped: memory stays bounded
    const chunk = typeof data === 'string' ? Buffer.from(data) : data;
    watchdog.refresh();
    stdoutBytes += chunk.length;
    if (stdoutBytes > maxStdoutBytes) {
      terminate('output-limit');
      return;
    }
    stdoutChunks.push(chunk);
    const text = decoders.stdout.write(chunk);
    onOutput?.('stdout', text);
    if (watch !== undefined) report(watch.feed(text));
  });
  subprocess.stderr?.on('data', (data: Buffer | string) => {
    const chunk = typeof data === 'string' ? Buffer.from(data) : data;
    if (termination === undefined) watchdog.refresh();
    stderrChunks.push(chunk);
    stderrBytes += chunk.length;
    while (stderrChunks.length > 1 && stderrBytes - (stderrChunks[0]?.length ?? 0) >= stderrTailBytes) {
      stderrBytes -= stderrChunks.shift()?.length ?? 0;
    }
    const text = decoders.stderr.write(chunk);
    onOutput?.('stderr', text);
    if (termination === undefined && options.watchStderr !== undefined) report(options.watchStderr.feed(text));
  });

  // The direct child exited: leftover group members (which may hold stdout/stderr open) go too, and
  // a process outside the group that holds the pipes is not waited for past PIPE_GRACE_MS.
  let pipesClosedAfterMs: number | undefined;
  let pipeGrace: NodeJS.Timeout | undefined;
  subprocess.once('exit', () => {
    clearTimeout(watchdog);
    clearTimeout(deadline);
    if (pid !== undefined && termination === undefined && signalGroup(pid, 0)) killGroup(pid, forceKillAfterMs);
    pipeGrace = setTimeout(() => {
      const open = [subprocess.stdout, subprocess.stderr].filter((stream) => stream !== null && !stream.readableEnded);
      if (open.length === 0) return;
      pipesClosedAfterMs = pipeGraceMs;
      for (const stream of open) stream?.destroy();
    }, pipeGraceMs);
  });

  let result: Awaited<typeof subprocess>;
  try {
    result = await subprocess;
  } finally {
    clearTimeout(watchdog);
    clearTimeout(deadline);
    clearTimeout(pipeGrace);
    signal?.removeEventListener('abort', onAbort);
    temp.remove();
  }
  if (pid !== undefined && termination === undefined && !signalGroup(pid, 0)) forgetGroup(pid);

  const durationMs = performance.now() - started;
  const exitCode = result.exitCode;
  const exitSignal = result.signal;
  const details = { exitCode, signal: exitSignal };
  const killed = `its process group was killed${pipesClosedAfterMs === undefined ? '' : ` (a process outside the group kept its output open; stopped reading ${pipesClosedAfterMs} ms after the CLI ended)`}`;
  if (termination === 'aborted' || signal?.aborted) {
    throw new AttemptError('aborted', `CLI run of "${plan.command}" aborted; ${killed}`, {
      ...details,
      cause: signal?.reason,
    });
  }
  if (termination === 'timeout') {
    throw new AttemptError(
      'timeout',
      `no output for ${plan.noOutputTimeoutMs} ms from "${plan.command}": ${killed} (the CLI may be retrying or waiting for input)`,
      details,
    );
  }
  if (termination === 'deadline') {
    throw new AttemptError('timeout', `no reply within ${deadlineMs} ms (the attempt deadline) from "${plan.command}": ${killed}`, details);
  }
  if (termination === 'abandoned' && abandonment !== undefined) {
    const { reason, message, status, retryAfterMs } = abandonment.failure;
    throw new AttemptError(reason, message, { ...details, status, retryAfterMs });
  }
  if (termination === 'output-limit') {
    throw new AttemptError('unknown', `stdout exceeded ${maxStdoutBytes} bytes from "${plan.command}": ${killed}`, details);
  }
  if (pid === undefined) throw spawnError(plan, result.code, options.backendId, result.cause);
  const execFailure = setpriv === undefined ? undefined : setprivExecFailure(exitCode, Buffer.concat(stderrChunks).toString('utf8'));
  if (execFailure !== undefined) throw spawnError(plan, execFailure, options.backendId, undefined);

  const { env: _env, stdin, ...rest } = plan;
  return {
    plan: { ...rest, stdinChars: stdin?.length ?? 0 },
    stdout: Buffer.concat(stdoutChunks).toString('utf8'),
    stderr: decodeTail(Buffer.concat(stderrChunks), stderrTailBytes),
    exitCode,
    signal: exitSignal,
    durationMs,
    ...(pipesClosedAfterMs === undefined ? {} : { pipesClosedAfterMs }),
  };
}

/** The last `maxBytes` of `buffer` as utf8, not starting inside a multi-byte character. */
function decodeTail(buffer: Buffer, maxBytes: number): string {
  let start = Math.max(0, buffer.length - maxBytes);
  while (start > 0 && start < buffer.length && ((buffer[start] ?? 0) & 0xc0) === 0x80) start += 1;
  return buffer.subarray(start).toString('utf8');
}

function spawnError(plan: CliTurnPlan, code: string | undefined, backendId: string | undefined, cause: unknown): AttemptError {
  const key = `agents.defaults.cliBackends.${backendId ?? '<id>'}`;
  const command = plan.command;
  if (code === 'ENOENT' && !existsSync(plan.cwd)) {
    return new AttemptError('config', `working directory "${plan.cwd}" of command "${command}" does not exist`, { cause });
  }
  if (code === 'ENOENT') return commandNotFound(command, backendId, cause);
  if (code === 'EACCES') {
    return new AttemptError(
      'config',
      `command "${command}" is not executable (EACCES): fix its permissions or set ${key}.command to an executable`,
      { cause },
    );
  }
  if (code === 'E2BIG') {
    return new AttemptError(
      'config',
      `argv of command "${command}" is too long for the OS (E2BIG; one argument holds at most 128 KiB): set ${key}.maxPromptArgChars or ${key}.input = "stdin"`,
      { cause },
    );
  }
  return new AttemptError('unknown', `command "${command}" could not be started (${code ?? 'unknown error'})`, { cause });
}
