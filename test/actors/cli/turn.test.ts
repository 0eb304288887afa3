import { readFileSync } from 'node:fs';
import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActor, toPromise } from 'xstate';
import { runCliProcess } from '../../../src/actors/cli/process.js';
import { createRunCliTurn, runCliTurn } from '../../../src/actors/cli/turn.js';
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
  const finishers: Array<() => void> = [];
  const runProcess: typeof runCliProcess = (plan) => {
    plans.push(plan);
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
  return { plans, finishers, runProcess };
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

describe('runCliTurn actor', () => {
  it('plans, spawns the CLI and returns its output (fresh turn)', async () => {
    const actor = createActor(runCliTurn, { input: request() }).start();
    const output = await toPromise(actor);
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
      const output = await toPromise(createActor(runCliTurn, { input: request({ binding: binding('sid-1', sessionCwd) }) }).start());
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
    const actor = createActor(createRunCliTurn({ runProcess: stub.runProcess, plan: { newSessionId: () => 'fresh-id' } }), {
      input: request({ binding: binding('sid-1', join(cwd, 'deleted')) }),
    }).start();
    await until(() => stub.finishers.length === 1);
    stub.finishers[0]!();
    await toPromise(actor);
    expect(stub.plans[0]).toMatchObject({ resume: false, newSession: true, cwd, sessionIdSent: 'fresh-id' });
  });

  it('stopping the actor kills the CLI (the signal reaches the process group)', async () => {
    let pid: number | undefined;
    const runProcess: typeof runCliProcess = (plan, options) =>
      runCliProcess(plan, {
        ...options,
        forceKillAfterMs: 200,
        onOutput: (_stream, chunk) => (pid = (JSON.parse(chunk) as { pid: number }).pid),
      });
    const actor = createActor(createRunCliTurn({ runProcess }), {
      input: request({ backend: backend({ command: join(BIN, 'ignore-sigterm.mjs') }) }),
    });
    actor.start();
    await until(() => pid !== undefined);
    expect(isAlive(pid!)).toBe(true);
    actor.stop();
    await until(() => !isAlive(pid!));
    expect(isAlive(pid!)).toBe(false);
  });

  it('the root preflight fails before anything is spawned', async () => {
    const stub = stubProcess();
    const actor = createActor(createRunCliTurn({ runProcess: stub.runProcess, uid: 0 }), {
      input: request({ backend: backend({ args: ['-p', '--dangerously-skip-permissions'], clearEnv: ['IS_SANDBOX'] }) }),
    }).start();
    const error = await toPromise(actor).catch((e: unknown) => e);
    expect((error as AttemptError).reason).toBe('config');
    expect((error as AttemptError).message).toContain('agents.defaults.cliBackends.echo-cli.env.IS_SANDBOX');
    expect(stub.plans).toEqual([]);
  });

  it('a missing command is a config failure naming the backend key', async () => {
    const actor = createActor(runCliTurn, { input: request({ backend: backend({ command: 'safetynet-no-such-cli' }) }) }).start();
    const error = (await toPromise(actor).catch((e: unknown) => e)) as AttemptError;
    expect([error.reason, error.message]).toEqual([
      'config',
      'command "safetynet-no-such-cli" not found: install it or set agents.defaults.cliBackends.echo-cli.command to its full path',
    ]);
  });
});

describe('serialize', () => {
  it('serialize: true runs turns of one backend one at a time, in arrival order', async () => {
    const stub = stubProcess();
    const logic = createRunCliTurn({ runProcess: stub.runProcess, queue: new KeyedQueue() });
    const serialized = backend({ serialize: true });
    const first = createActor(logic, { input: request({ backend: serialized, prompt: 'one' }) }).start();
    const second = createActor(logic, { input: request({ backend: serialized, prompt: 'two' }) }).start();
    await tick();
    expect(stub.plans.map((p) => p.argv.at(-1))).toEqual(['one']);
    stub.finishers[0]!();
    await toPromise(first);
    await tick();
    expect(stub.plans.map((p) => p.argv.at(-1))).toEqual(['one', 'two']);
    stub.finishers[1]!();
    await toPromise(second);
  });

  it('serialize: false runs turns concurrently', async () => {
    const stub = stubProcess();
    const logic = createRunCliTurn({ runProcess: stub.runProcess, queue: new KeyedQueue() });
    const actors = ['one', 'two'].map((prompt) => createActor(logic, { input: request({ prompt }) }).start());
    await tick();
    expect(stub.plans).toHaveLength(2);
    for (const finish of stub.finishers) finish();
    await Promise.all(actors.map((a) => toPromise(a)));
  });

  it('stopping a turn that waits in the lane removes it without spawning', async () => {
    const stub = stubProcess();
    const queue = new KeyedQueue();
    const logic = createRunCliTurn({ runProcess: stub.runProcess, queue });
    const serialized = backend({ serialize: true });
    const first = createActor(logic, { input: request({ backend: serialized, prompt: 'one' }) }).start();
    const waiting = createActor(logic, { input: request({ backend: serialized, prompt: 'two' }) }).start();
    await tick();
    expect(queue.waiting('echo-cli')).toBe(1);
    waiting.stop();
    await tick();
    expect(queue.waiting('echo-cli')).toBe(0);
    stub.finishers[0]!();
    await toPromise(first);
    await tick();
    expect(stub.plans).toHaveLength(1);
  });
});
