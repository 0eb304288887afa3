import { mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCliProcess, type CliProcessEvent, type RunCliProcessOptions } from '../../../src/actors/cli/process.js';
import { CliOutputWatcher } from '../../../src/actors/cli/watch.js';
import { planCliTurn } from '../../../src/actors/cli/plan.js';
import type { CliRunOutput, CliTurnPlan } from '../../../src/actors/types.js';
import type { ResolvedCliBackend } from '../../../src/config/types.js';
import { AttemptError } from '../../../src/errors.js';
import { fixturePlan, PROCESS_ENV } from '../../support/cli-plan.js';
import { livePidsWithEnv } from '../../support/processes.js';

const BIN = fileURLToPath(new URL('../../fixtures/bin/', import.meta.url));
const baseEnv = PROCESS_ENV;

function plan(fixture: string, argv: string[] = [], overrides: Partial<CliTurnPlan> = {}): CliTurnPlan {
  return fixturePlan(fixture.startsWith('/') || !fixture.endsWith('.mjs') ? fixture : join(BIN, fixture), argv, overrides);
}

/** Alive = /proc/<pid>/stat exists and its state is not Z (zombie) or X (PID 1 here does not reap). */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** Bounded poll (≤ 10 s) until the pid is dead; returns whether it died. */
async function waitDead(pid: number): Promise<boolean> {
  for (let i = 0; i < 400; i += 1) {
    if (!isAlive(pid)) return true;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return false;
}

/** Run a fixture and resolve `ready` with the first JSON line it prints on stdout. */
function runWatching(p: CliTurnPlan, options: RunCliProcessOptions = {}) {
  let resolveReady: (value: Record<string, number>) => void = () => {};
  const ready = new Promise<Record<string, number>>((resolve) => (resolveReady = resolve));
  let buffered = '';
  const run = runCliProcess(p, {
    ...options,
    onOutput: (stream, chunk) => {
      if (stream !== 'stdout') return;
      buffered += chunk;
      const line = buffered.split('\n')[0];
      if (buffered.includes('\n') && line !== undefined) resolveReady(JSON.parse(line) as Record<string, number>);
    },
  });
  run.catch(() => {}); // observed by the test
  return { run, ready };
}

async function rejection(promise: Promise<unknown>): Promise<AttemptError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AttemptError);
  return error as AttemptError;
}

const echo = (stdout: string) =>
  JSON.parse(stdout) as { argv: string[]; stdin: string; stdinPath: string; cwd: string; env: Record<string, string> };

let tmp: string;
beforeAll(async () => {
  tmp = await realpath(await mkdtemp(join(tmpdir(), 'safetynet-process-test-')));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('a child process never outlives its request', () => {
  it('abort kills the whole process group, including a grandchild', async () => {
    const controller = new AbortController();
    const { run, ready } = runWatching(plan('spawn-grandchild.mjs'), { signal: controller.signal });
    const { pid, grandchild } = await ready;
    expect(isAlive(grandchild!)).toBe(true);
    controller.abort();
    const error = await rejection(run);
    expect(error.reason).toBe('aborted');
    expect(error.code).toBe('SAFETYNET_ABORTED');
    expect(await waitDead(pid!)).toBe(true);
    expect(await waitDead(grandchild!)).toBe(true);
  });

  it('a grandchild that ignores SIGTERM is SIGKILLed with its group after forceKillAfterMs', async () => {
    const controller = new AbortController();
    const { run, ready } = runWatching(plan('spawn-grandchild.mjs', ['--stubborn']), { signal: controller.signal, forceKillAfterMs: 200 });
    const { grandchild } = await ready;
    controller.abort();
    expect((await rejection(run)).reason).toBe('aborted');
    expect(await waitDead(grandchild!)).toBe(true);
  });

  it('a child that ignores SIGTERM is SIGKILLed', async () => {
    const controller = new AbortController();
    const { run, ready } = runWatching(plan('ignore-sigterm.mjs'), { signal: controller.signal, forceKillAfterMs: 200 });
    const { pid } = await ready;
    controller.abort();
    const error = await rejection(run);
    expect(error.reason).toBe('aborted');
    expect(error.signal).toBe('SIGKILL');
    expect(await waitDead(pid!)).toBe(true);
  });

  it('leftover group members are terminated after a normal exit', async () => {
    const { run, ready } = runWatching(plan('spawn-grandchild.mjs', ['--exit']));
    const { grandchild } = await ready;
    const output = await run;
    expect(output.exitCode).toBe(0);
    expect(await waitDead(grandchild!)).toBe(true);
  });

  it('an already aborted signal rejects without spawning', async () => {
    const error = await rejection(runCliProcess(plan('safetynet-not-a-command'), { signal: AbortSignal.abort() }));
    expect(error.reason).toBe('aborted');
  });
});

describe('a turn always ends by its deadline or abort, whatever its processes do', () => {
  // setsid-escape.sh: a grandchild in its own session (outside the group kill) ignores SIGTERM and
  // holds stdout open for 1 000 s. Each test marks its processes, awaits the run with a bounded race
  // and kills the escaped grandchild (by pid, found by its marker) afterwards.
  const markers: string[] = [];
  afterEach(async () => {
    for (const marker of markers.splice(0)) {
      for (const pid of await livePidsWithEnv(marker)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  });
  const escaping = (argv: string[] = []) => {
    const marker = `SAFETYNET_TEST_ESCAPE=${tmp}/${markers.length}-${Math.random().toString(36).slice(2)}`;
    markers.push(marker);
    const [name = '', value = ''] = marker.split('=');
    return plan(join(BIN, 'setsid-escape.sh'), argv, { env: { ...baseEnv, [name]: value } });
  };
  /** The run's outcome, or 'pending' if it has not settled within 15 s (a hang). */
  const settled = async (run: Promise<unknown>) => {
    let timer: NodeJS.Timeout | undefined;
    const hang = new Promise<'pending'>((resolve) => (timer = setTimeout(() => resolve('pending'), 15_000)));
    const outcome = await Promise.race([
      run.then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      ),
      hang,
    ]);
    clearTimeout(timer);
    return outcome;
  };

  it('an abort ends the run although a grandchild that escaped the group (setsid) holds stdout open', async () => {
    const controller = new AbortController();
    const { run, ready } = runWatching(escaping(), { signal: controller.signal, forceKillAfterMs: 200, pipeGraceMs: 300 });
    const { grandchild } = await ready;
    controller.abort();
    const outcome = await settled(run);
    expect(outcome).not.toBe('pending');
    const error = (outcome as { error: AttemptError }).error;
    expect(error.reason).toBe('aborted');
    expect(error.message).toContain('a process outside the group kept its output open; stopped reading 300 ms after the CLI ended');
    expect(isAlive(grandchild!)).toBe(true); // it did escape: only the pipe grace ended the run
  });

  it('the attempt deadline ends the run although an escaped grandchild holds stdout open', async () => {
    const { run, ready } = runWatching(escaping(), { deadlineMs: 1_000, forceKillAfterMs: 200, pipeGraceMs: 300 });
    await ready;
    const outcome = await settled(run);
    expect(outcome).not.toBe('pending');
    expect((outcome as { error: AttemptError }).error.reason).toBe('timeout');
  });

  it('a CLI that exited 0 keeps its answer when an escaped grandchild holds stdout open', async () => {
    const { run } = runWatching(escaping(['--exit']), { pipeGraceMs: 300 });
    const outcome = await settled(run);
    expect(outcome).not.toBe('pending');
    const output = (outcome as { value: CliRunOutput }).value;
    expect([output.exitCode, output.stdout.split('\n')[1], output.pipesClosedAfterMs]).toEqual([0, 'answer', 300]);
  });

  it('a CLI whose pipes close with it reports no pipe grace', async () => {
    const output = await runCliProcess(plan(process.execPath, ['-e', 'console.log("ok")']), { pipeGraceMs: 300 });
    expect([output.exitCode, output.pipesClosedAfterMs]).toEqual([0, undefined]);
  });
});

describe('no-output watchdog', () => {
  it('trips with reason timeout and kills the process', async () => {
    const error = await rejection(runCliProcess(plan('hang.mjs', [], { noOutputTimeoutMs: 300 })));
    expect(error.reason).toBe('timeout');
    expect(error.message).toContain('no output for 300 ms');
  });

  it('a child that ignores SIGTERM is SIGKILLed on a watchdog trip too', async () => {
    // ignore-sigterm prints once, then stays silent: the watchdog trips after that chunk (1.5 s leaves a
    // slow spawn under load time to print first; at 300 ms the watchdog could win and `ready` never came).
    const { run, ready } = runWatching(plan('ignore-sigterm.mjs', [], { noOutputTimeoutMs: 1_500 }), { forceKillAfterMs: 200 });
    const { pid } = await ready;
    const error = await rejection(run);
    expect([error.reason, error.signal]).toEqual(['timeout', 'SIGKILL']);
    expect(await waitDead(pid!)).toBe(true);
  });

  it('re-arms on every output chunk', async () => {
    // 12 chunks 100 ms apart under a 1 000 ms watchdog: only a re-armed watchdog lets it finish.
    const script =
      'let n = 0; const t = setInterval(() => { process.stderr.write("tick\\n"); if (++n === 12) { clearInterval(t); process.stdout.write("done"); } }, 100);';
    const output = await runCliProcess(plan(process.execPath, ['-e', script], { noOutputTimeoutMs: 1_000 }));
    expect([output.exitCode, output.stdout]).toEqual([0, 'done']);
  });
});

describe('output limits', () => {
  it('a stdout flood gives the output-limit error without keeping the flood in memory', async () => {
    let forwarded = 0;
    const limit = 1024 * 1024;
    const error = await rejection(
      runCliProcess(plan('flood.mjs'), {
        maxStdoutBytes: limit,
        onOutput: (stream, chunk) => (forwarded += stream === 'stdout' ? chunk.length : 0),
      }),
    );
    expect(error.reason).toBe('unknown');
    expect(error.message).toContain(`stdout exceeded ${limit} bytes`);
    expect(forwarded).toBeLessThanOrEqual(limit);
  });

  it('stderr keeps only its last stderrTailBytes', async () => {
    const output = await runCliProcess(plan('exit-with.mjs', ['0', 'out', `${'a'.repeat(5000)}END`]), { stderrTailBytes: 100 });
    expect(output.stderr.length).toBeLessThanOrEqual(100);
    expect(output.stderr.endsWith('aEND')).toBe(true);
    expect(output.stdout).toBe('out');
  });
});

describe('stdin and argv delivery', () => {
  it('stdin mode delivers the prompt and closes stdin', async () => {
    const output = await runCliProcess(plan('echo-argv.mjs', [], { stdin: 'line one\nline two' }));
    const seen = echo(output.stdout);
    expect(seen.stdin).toBe('line one\nline two');
    expect(seen.stdinPath).toMatch(/^(pipe|socket):/);
    expect(output.plan.stdinChars).toBe(17);
  });

  it('arg mode gives /dev/null as stdin', async () => {
    const seen = echo((await runCliProcess(plan('echo-argv.mjs', ['hi']))).stdout);
    expect([seen.stdinPath, seen.stdin]).toEqual(['/dev/null', '']);
  });

  it('prompts starting with - arrive intact after --', async () => {
    const b = {
      id: 'echo',
      command: join(BIN, 'echo-argv.mjs'),
      args: ['-p'],
      resumeArgs: [],
      output: 'json',
      resumeOutput: undefined,
      input: 'arg',
      maxPromptArgChars: undefined,
      env: {},
      clearEnv: [],
      modelArg: undefined,
      modelAliases: {},
      sessionArg: undefined,
      sessionArgs: [],
      sessionMode: 'none',
      sessionIdFields: [],
      systemPromptArg: undefined,
      systemPromptWhen: 'first',
      imageArg: undefined,
      imageMode: 'repeat',
      serialize: false,
      maxConcurrent: undefined,
      maxQueue: 32,
      promptSeparator: '--',
      watchdog: {
        fresh: { noOutputTimeoutRatio: 0.8, minMs: 1000, maxMs: 30_000 },
        resume: { noOutputTimeoutRatio: 0.3, minMs: 1000, maxMs: 30_000 },
      },
    } satisfies ResolvedCliBackend;
    const p = planCliTurn({
      backend: b,
      model: '',
      prompt: '-x marks the spot',
      systemPrompt: undefined,
      images: [],
      binding: undefined,
      forceNewSession: false,
      cwd: tmp,
      timeoutMs: 60_000,
    });
    expect(echo((await runCliProcess(p)).stdout).argv).toEqual(['-p', '--', '-x marks the spot']);
  });

  it('argv elements are passed verbatim, never through a shell', async () => {
    const argv = ['$HOME', '`id`', 'a b', "'q'", '; echo x', ''];
    expect(echo((await runCliProcess(plan('echo-argv.mjs', argv))).stdout).argv).toEqual(argv);
  });

  it('the child gets exactly plan.env and runs in plan.cwd', async () => {
    process.env.SN_TEST_LEAK = 'must not be inherited';
    try {
      const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', SN_TEST_GIVEN: 'yes' };
      const seen = echo((await runCliProcess(plan('echo-argv.mjs', [], { env, cwd: tmp }))).stdout);
      expect(seen.env).toEqual({ SN_TEST_GIVEN: 'yes' });
      expect(seen.cwd).toBe(tmp);
    } finally {
      delete process.env.SN_TEST_LEAK;
    }
  });
});

describe('results and spawn errors', () => {
  it('a non-zero exit is returned as output, not thrown', async () => {
    const output = await runCliProcess(plan('exit-with.mjs', ['3', '{"is_error":true}', 'boom']));
    expect([output.exitCode, output.signal, output.stdout, output.stderr]).toEqual([3, undefined, '{"is_error":true}', 'boom']);
  });

  it('returns the plan without env and stdin, plus stdinChars and durationMs', async () => {
    const p = plan('exit-with.mjs', ['0'], { sessionIdSent: 'sid', parseMode: 'text' });
    const output = await runCliProcess(p);
    expect(output.plan).toEqual({
      command: p.command,
      argv: ['0'],
      cwd: p.cwd,
      resume: false,
      sessionIdSent: 'sid',
      newSession: true,
      parseMode: 'text',
      noOutputTimeoutMs: 30_000,
      continuation: 'new',
      historyTurns: 0,
      stdinChars: 0,
    });
    expect(output.durationMs).toBeGreaterThan(0);
  });

  it('passes output chunks to onOutput, decoded as utf8', async () => {
    const chunks: string[] = [];
    const output = await runCliProcess(plan('exit-with.mjs', ['0', 'héllo ✓', 'wärn']), {
      onOutput: (stream, chunk) => chunks.push(`${stream}:${chunk}`),
    });
    expect(output.stdout).toBe('héllo ✓');
    expect(chunks.join('|')).toContain('stdout:héllo ✓');
    expect(chunks.join('|')).toContain('stderr:wärn');
  });

  it('ENOENT gives a config failure naming the command and the config key', async () => {
    const error = await rejection(runCliProcess(plan('safetynet-no-such-cli'), { backendId: 'my-cli' }));
    expect(error.reason).toBe('config');
    expect(error.message).toBe(
      'command "safetynet-no-such-cli" not found: install it or set agents.defaults.cliBackends.my-cli.command to its full path',
    );
  });

  it('a missing cwd gives a config failure naming the folder', async () => {
    const error = await rejection(runCliProcess(plan('echo-argv.mjs', [], { cwd: join(tmp, 'gone') })));
    expect(error.reason).toBe('config');
    expect(error.message).toContain(join(tmp, 'gone'));
  });

  it('EACCES (not executable) gives a config failure', async () => {
    const file = join(tmp, 'not-executable');
    await writeFile(file, '#!/bin/sh\n', { mode: 0o644 });
    const error = await rejection(runCliProcess(plan(file), { backendId: 'my-cli' }));
    expect(error.reason).toBe('config');
    expect(error.message).toContain('EACCES');
  });

  it('E2BIG (argv too long) gives a config failure pointing at maxPromptArgChars / stdin', async () => {
    const error = await rejection(runCliProcess(plan('echo-argv.mjs', ['x'.repeat(200_000)]), { backendId: 'my-cli' }));
    expect(error.reason).toBe('config');
    expect(error.message).toContain('agents.defaults.cliBackends.my-cli.maxPromptArgChars');
    expect(error.message).toContain('"stdin"');
  });
});

describe('retry watch and overall deadline', () => {
  /**
   * A child that prints `lines` (JSONL) 50 ms apart, its pid first, then keeps running with a
   * grandchild in its group, like a CLI sleeping before its next retry.
   */
  function retrying(lines: object[]): CliTurnPlan {
    const script = [
      'const { spawn } = require("node:child_process");',
      'const g = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });',
      'console.log(JSON.stringify({ type: "system", subtype: "init", pid: process.pid, grandchild: g.pid }));',
      `const lines = ${JSON.stringify(lines.map((line) => JSON.stringify(line)))};`,
      'let i = 0; setInterval(() => { if (i < lines.length) console.log(lines[i++]); }, 50);',
    ].join('\n');
    return plan(process.execPath, ['-e', script], { parseMode: 'jsonl' });
  }
  const retry = (fields: object) => ({
    type: 'system',
    subtype: 'api_retry',
    attempt: 1,
    max_retries: 10,
    retry_delay_ms: 500,
    error_status: 529,
    error: 'overloaded',
    ...fields,
  });

  it('a fatal retry notice kills the process group at once and rejects with the classified reason', async () => {
    const events: CliProcessEvent[] = [];
    const { run, ready } = runWatching(
      retrying([retry({ error_status: 401, error: 'authentication_failed' }), { type: 'result', never: 'reached' }]),
      {
        watch: new CliOutputWatcher({ cli: 'claude' }),
        onEvent: (event) => events.push(event),
        forceKillAfterMs: 200,
      },
    );
    const { pid, grandchild } = await ready;
    const error = await rejection(run);
    expect([error.reason, error.status]).toEqual(['auth', 401]);
    expect(error.message).toMatch(/^claude: API request failed \(HTTP 401, authentication_failed\).*gave up while claude was retrying/);
    expect(events.map((event) => event.type)).toEqual(['cli.retry', 'cli.abandon']);
    expect(events[0]).toMatchObject({ dialect: 'claude', count: 1, status: 401, reason: 'auth', atMs: expect.any(Number) });
    expect(await waitDead(pid!)).toBe(true);
    expect(await waitDead(grandchild!)).toBe(true);
  });

  it('transient notices are reported and tolerated up to the limit, then the run is abandoned', async () => {
    const events: CliProcessEvent[] = [];
    const { run } = runWatching(retrying([retry({ attempt: 1 }), retry({ attempt: 2 }), retry({ attempt: 3 })]), {
      watch: new CliOutputWatcher({ cli: 'claude', claudeRetryLimit: 2 }),
      onEvent: (event) => events.push(event),
    });
    const error = await rejection(run);
    expect([error.reason, error.status]).toEqual(['overloaded', 529]);
    expect(events.filter((event) => event.type === 'cli.retry').map((event) => event.type === 'cli.retry' && event.attempt)).toEqual([
      1, 2,
    ]);
  });

  it('a throwing onEvent does not change the run', async () => {
    const { run } = runWatching(retrying([retry({ error_status: 401, error: 'authentication_failed' })]), {
      watch: new CliOutputWatcher(),
      onEvent: () => {
        throw new Error('observer failed');
      },
    });
    expect((await rejection(run)).reason).toBe('auth');
  });

  it('without a watch the same output is just output (no abandonment)', async () => {
    const script = `console.log(${JSON.stringify(JSON.stringify(retry({ error_status: 401, error: 'authentication_failed' })))})`;
    const output = await runCliProcess(plan(process.execPath, ['-e', script], { parseMode: 'jsonl' }));
    expect(output.exitCode).toBe(0);
    expect(output.stdout).toContain('api_retry');
  });

  it('the overall deadline ends a CLI that keeps printing (the no-output watchdog never trips)', async () => {
    const script = 'setInterval(() => console.log("{}"), 50);';
    const error = await rejection(
      runCliProcess(plan(process.execPath, ['-e', script], { noOutputTimeoutMs: 30_000 }), { deadlineMs: 400 }),
    );
    expect(error.reason).toBe('timeout');
    expect(error.message).toContain('no reply within 400 ms (the attempt deadline)');
  });

  it('a run that ends before the deadline is not affected by it', async () => {
    const output = await runCliProcess(plan(process.execPath, ['-e', 'console.log("ok")']), { deadlineMs: 20_000 });
    expect([output.exitCode, output.stdout.trim()]).toEqual([0, 'ok']);
  });
});
