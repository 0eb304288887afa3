import { readFileSync } from 'node:fs';
import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliProcess } from '../../../src/actors/cli/process.js';
import { executeCliTurnRequest, type RunCliTurnDeps } from '../../../src/actors/cli/turn.js';
import { KeyedQueue } from '../../../src/actors/cli/queue.js';
import type { CliRunOutput, CliTurnPlan, CliTurnRequest, SessionBinding } from '../../../src/actors/types.js';
import type { ResolvedCliBackend } from '../../../src/config/types.js';
import type { AttemptError } from '../../../src/errors.js';

const BIN = fileURLToPath(new URL('../../fixtures/bin/', import.meta.url));

function backend(overrides: Partial<ResolvedCliBackend> = {}): ResolvedCliBackend {
  return {
    id: 'echo-cli',
    command: join(BIN, 'echo-argv.mjs'),
    args: ['-p'],
    resumeArgs: ['--resume', '{sessionId}'],
    output: 'json',
    resumeOutput: undefined,
    input: 'arg',
    maxPromptArgChars: undefined,
    env: { SN_TEST_FROM_BACKEND: 'yes' },
    clearEnv: [],
    modelArg: '--model',
    modelAliases: { opus: 'claude-opus' },
    sessionArg: '--session-id',
    sessionArgs: [],
    sessionMode: 'always',
    sessionIdFields: ['session_id'],
    systemPromptArg: '--append-system-prompt',
    systemPromptWhen: 'first',
    imageArg: undefined,
    imageMode: 'repeat',
    serialize: false,
    maxConcurrent: undefined,
    maxQueue: 32,
    promptSeparator: '--',
    watchdog: {
      fresh: { noOutputTimeoutRatio: 0.8, minMs: 1_000, maxMs: 30_000 },
      resume: { noOutputTimeoutRatio: 0.3, minMs: 1_000, maxMs: 30_000 },
    },
    ...overrides,
  };
}

let cwd: string;
const request = (overrides: Partial<CliTurnRequest> = {}): CliTurnRequest => ({
  backend: backend(),
  model: 'opus',
  prompt: 'hello',
  systemPrompt: 'Be brief.',
  images: [],
  binding: undefined,
  forceNewSession: false,
  cwd,
  timeoutMs: 60_000,
  ...overrides,
});
const binding = (cliSessionId: string, bindingCwd: string): SessionBinding => ({
  sessionKey: 'conv',
  backendId: 'echo-cli',
  cliSessionId,
  cwd: bindingCwd,
  createdAt: 1,
  updatedAt: 1,
  turns: 1,
});

/** A stub `runProcess` that records the plans and finishes when the test says so. */
function stubProcess() {
  const plans: CliTurnPlan[] = [];
  const deadlines: Array<number | undefined> = [];
  const finishers: Array<() => void> = [];
  const runProcess: typeof runCliProcess = (plan, options) => {
    plans.push(plan);
    deadlines.push(options?.deadlineMs);
    return new Promise<CliRunOutput>((resolve) => {
      const { env: _env, stdin, ...rest } = plan;
      finishers.push(() =>
        resolve({
          plan: { ...rest, stdinChars: stdin?.length ?? 0 },
          stdout: '',
          stderr: '',
          exitCode: 0,
          signal: undefined,
          durationMs: 1,
        }),
      );
    });
  };
  return { plans, deadlines, finishers, runProcess };
}

/**
 * Start a turn the way the runtime does (`executeCliTurnRequest` with a lane queue and the
 * request's abort signal); `abort()` is what stopping the request's actor does.
 */
function startTurn(input: CliTurnRequest, deps: Partial<RunCliTurnDeps> = {}) {
  const controller = new AbortController();
  const done = executeCliTurnRequest(input, controller.signal, { queue: new KeyedQueue(), ...deps });
  done.catch(() => undefined); // observed by the test when it matters
  return { done, abort: () => controller.abort() };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

/** Bounded poll (≤ 10 s) for a condition; never asserts a duration. */
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !condition(); i += 1) await new Promise((resolve) => setTimeout(resolve, 25));
}

function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !['Z', 'X'].includes(stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3));
  } catch {
    return false;
  }
}

beforeAll(async () => {
  cwd = await realpath(await mkdtemp(join(tmpdir(), 'safetynet-turn-test-')));
});
afterAll(async () => {
  await rm(cwd, { recursive: true, force: true });
});

describe('one CLI turn (executeCliTurnRequest, as the runtime runs it)', () => {
  it('plans, spawns the CLI and returns its output (fresh turn)', async () => {
    const output = await startTurn(request()).done;
    const seen = JSON.parse(output.stdout) as { argv: string[]; cwd: string; env: Record<string, string> };
    expect(output.exitCode).toBe(0);
    expect(seen.argv.slice(0, 5)).toEqual(['-p', '--model', 'claude-opus', '--append-system-prompt', 'Be brief.']);
    expect(seen.argv.slice(-2)).toEqual(['--', 'hello']);
    expect([seen.cwd, seen.env.SN_TEST_FROM_BACKEND]).toEqual([cwd, 'yes']);
    expect(output.plan.newSession).toBe(true);
  });

  it('resumes a stored session in the binding cwd', async () => {
    const sessionCwd = await realpath(await mkdtemp(join(tmpdir(), 'safetynet-turn-session-')));
    try {
      const output = await startTurn(request({ binding: binding('sid-1', sessionCwd) })).done;
      const seen = JSON.parse(output.stdout) as { argv: string[]; cwd: string };
      expect(seen.argv).toEqual(['--resume', 'sid-1', '--model', 'claude-opus', '--', 'hello']);
      expect(seen.cwd).toBe(sessionCwd);
      expect(output.plan.resume).toBe(true);
    } finally {
      await rm(sessionCwd, { recursive: true, force: true });
    }
  });

  it('a binding whose cwd no longer exists is planned as a new session in request.cwd', async () => {
    const stub = stubProcess();
    const turn = startTurn(request({ binding: binding('sid-1', join(cwd, 'deleted')) }), {
      runProcess: stub.runProcess,
      plan: { newSessionId: () => 'fresh-id' },
    });
    await until(() => stub.finishers.length === 1);
    stub.finishers[0]!();
    await turn.done;
    expect(stub.plans[0]).toMatchObject({ resume: false, newSession: true, cwd, sessionIdSent: 'fresh-id' });
  });

  it('aborting the turn kills the CLI (the signal reaches the process group)', async () => {
    let pid: number | undefined;
    const runProcess: typeof runCliProcess = (plan, options) =>
      runCliProcess(plan, {
        ...options,
        forceKillAfterMs: 200,
        onOutput: (_stream, chunk) => (pid = (JSON.parse(chunk) as { pid: number }).pid),
      });
    const turn = startTurn(request({ backend: backend({ command: join(BIN, 'ignore-sigterm.mjs') }) }), { runProcess });
    await until(() => pid !== undefined);
    expect(isAlive(pid!)).toBe(true);
    turn.abort();
    expect(((await turn.done.catch((e: unknown) => e)) as AttemptError).reason).toBe('aborted');
    await until(() => !isAlive(pid!));
    expect(isAlive(pid!)).toBe(false);
  });

  it('the root preflight fails before anything is spawned', async () => {
    const stub = stubProcess();
    const turn = startTurn(request({ backend: backend({ args: ['-p', '--dangerously-skip-permissions'], clearEnv: ['IS_SANDBOX'] }) }), {
      runProcess: stub.runProcess,
      uid: 0,
    });
    const error = await turn.done.catch((e: unknown) => e);
    expect((error as AttemptError).reason).toBe('config');
    expect((error as AttemptError).message).toContain('agents.defaults.cliBackends.echo-cli.env.IS_SANDBOX');
    expect(stub.plans).toEqual([]);
  });

  it('a missing command is a config failure naming the backend key', async () => {
    const error = (await startTurn(request({ backend: backend({ command: 'safetynet-no-such-cli' }) })).done.catch(
      (e: unknown) => e,
    )) as AttemptError;
    expect([error.reason, error.message]).toEqual([
      'config',
      'command "safetynet-no-such-cli" not found: install it or set agents.defaults.cliBackends.echo-cli.command to its full path',
    ]);
  });
});

describe('serialize and backend slots', () => {
  it('serialize: true runs turns of one backend one at a time, in arrival order', async () => {
    const stub = stubProcess();
    const deps = { runProcess: stub.runProcess, queue: new KeyedQueue() };
    const serialized = backend({ serialize: true, maxConcurrent: 1 });
    const first = startTurn(request({ backend: serialized, prompt: 'one' }), deps);
    const second = startTurn(request({ backend: serialized, prompt: 'two' }), deps);
    await tick();
    expect(stub.plans.map((p) => p.argv.at(-1))).toEqual(['one']);
    stub.finishers[0]!();
    await first.done;
    await tick();
    expect(stub.plans.map((p) => p.argv.at(-1))).toEqual(['one', 'two']);
    stub.finishers[1]!();
    await second.done;
  });

  it('serialize: false runs turns concurrently', async () => {
    const stub = stubProcess();
    const deps = { runProcess: stub.runProcess, queue: new KeyedQueue() };
    const turns = ['one', 'two'].map((prompt) => startTurn(request({ prompt }), deps));
    await tick();
    expect(stub.plans).toHaveLength(2);
    for (const finish of stub.finishers) finish();
    await Promise.all(turns.map((turn) => turn.done));
  });

  it('aborting a turn that waits in the lane removes it without spawning', async () => {
    const stub = stubProcess();
    const queue = new KeyedQueue();
    const deps = { runProcess: stub.runProcess, queue };
    const serialized = backend({ serialize: true, maxConcurrent: 1 });
    const first = startTurn(request({ backend: serialized, prompt: 'one' }), deps);
    const waiting = startTurn(request({ backend: serialized, prompt: 'two' }), deps);
    await tick();
    expect(queue.waiting('echo-cli')).toBe(1);
    waiting.abort();
    expect(((await waiting.done.catch((e: unknown) => e)) as AttemptError).reason).toBe('aborted');
    await tick();
    expect(queue.waiting('echo-cli')).toBe(0);
    stub.finishers[0]!();
    await first.done;
    await tick();
    expect(stub.plans).toHaveLength(1);
  });

  it('a turn beyond maxQueue fails at once with queue_full and a Retry-After, and plans no process', async () => {
    const stub = stubProcess();
    const deps = { runProcess: stub.runProcess, queue: new KeyedQueue() };
    const bounded = backend({ maxConcurrent: 1, maxQueue: 0 });
    const first = startTurn(request({ backend: bounded, prompt: 'one' }), deps);
    await tick();
    const error = (await startTurn(request({ backend: bounded, prompt: 'two' }), deps).done.catch((e: unknown) => e)) as AttemptError;
    expect([error.reason, error.retryAfterMs]).toEqual(['queue_full', 1000]);
    expect(stub.plans).toHaveLength(1);
    stub.finishers[0]!();
    await first.done;
  });

  it('a turn that waited for a slot runs with what is left of its attempt deadline, not a fresh one', async () => {
    const stub = stubProcess();
    const deps = { runProcess: stub.runProcess, queue: new KeyedQueue() };
    const single = backend({ maxConcurrent: 1 });
    const first = startTurn(request({ backend: single, prompt: 'one', timeoutMs: 60_000 }), deps);
    const second = startTurn(request({ backend: single, prompt: 'two', timeoutMs: 60_000 }), deps);
    await new Promise((resolve) => setTimeout(resolve, 50));
    stub.finishers[0]!();
    await first.done;
    await until(() => stub.plans.length === 2);
    expect(stub.deadlines[1]).toBeLessThanOrEqual(60_000 - 40); // it waited at least ~50 ms
    expect(stub.deadlines[1]).toBeGreaterThan(0);
    stub.finishers[1]!();
    await second.done;
  });
});
