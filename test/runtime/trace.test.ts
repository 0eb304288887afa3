/**
 * Request traces through `createRuntime` → `run`: recorded from the inspection events, stored in
 * the `traces` sublevel of a real LevelDB in a temp folder, with the fixture CLI as backends.
 */
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { InspectionEvent } from 'xstate';
import { createRuntime, RequestError, type Runtime } from '../../src/index.js';
import type { SafetynetConfigFile } from '../../src/config/types.js';
import { fakeCliBackend } from '../contract/harnesses.js';

describe('request traces', () => {
  let dir: string;
  let runtime: Runtime | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'safetynet-trace-'));
  });
  afterEach(async () => {
    await runtime?.close();
    runtime = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  /** Three candidates: a fixture CLI answering 401, a command that does not exist, a fixture CLI that answers. */
  async function threeCandidates(extra: SafetynetConfigFile = {}) {
    const first = await fakeCliBackend(join(dir, 'first'));
    const third = await fakeCliBackend(join(dir, 'third'));
    first.setMode('auth');
    const missing = {
      command: join(dir, 'no-such-cli'),
      args: ['--print'],
      output: 'json' as const,
      sessionMode: 'none' as const,
      promptSeparator: '--',
    };
    runtime = await createRuntime({
      config: {
        ...extra,
        agents: {
          defaults: {
            model: { primary: first.model, fallbacks: ['missing/m', third.model] },
            cliBackends: { [first.backendId]: first.backend, missing, [third.backendId]: third.backend },
          },
        },
      },
      storeLocation: join(dir, 'state'),
    });
    return { first, third, runtime };
  }

  it('a request that fell back twice leaves a trace with the three attempts in order, argv redacted', async () => {
    const { first, third, runtime } = await threeCandidates();
    const prompt = 'the secret plan for tomorrow';
    const systemPrompt = 'you are a careful assistant';
    const result = await runtime.run({ message: prompt, systemPrompt, sessionKey: 'chat-1' });
    expect(result.model).toBe(third.model);
    expect(result.warnings).toEqual([]);

    const trace = await runtime.traces.last();
    expect(trace).toBeDefined();
    expect(trace!.requestId).toBe(result.requestId);
    expect(trace!.status).toBe('answered');
    expect(trace!.model).toBe(third.model);
    expect(trace!.attempts.map((a) => [a.index, a.model, a.ok, a.reason])).toEqual([
      [1, first.model, false, 'auth'],
      [2, 'missing/m', false, 'config'],
      [3, third.model, true, undefined],
    ]);
    const [auth, missing, answered] = trace!.attempts;
    // attempt 1: the process ran; exit code and the CLI's HTTP status; argv from the run itself
    expect(auth).toMatchObject({ backend: 'cli', provider: first.backendId, exitCode: 1, status: 401 });
    expect(auth!.argvPlanned).toBeUndefined();
    expect(auth!.argv).toContain(`<prompt:${prompt.length} chars>`);
    expect(auth!.argv).toContain(`<system-prompt:${systemPrompt.length} chars>`);
    expect(auth!.argv!.slice(0, 2)).toEqual(['--model', 'default']);
    // attempt 2: never started; argv planned from the attempt's input
    expect(missing).toMatchObject({
      command: join(dir, 'no-such-cli'),
      argvPlanned: true,
      argv: ['--print', '--', `<prompt:${prompt.length} chars>`],
    });
    expect(missing!.detail).toMatch(/not found/);
    // attempt 3: answered, with its exit code and the session it created
    expect(answered).toMatchObject({ exitCode: 0, session: { resume: false, newSession: true } });
    expect(trace!.session).toMatchObject({
      sessionKey: 'chat-1',
      backendId: third.backendId,
      cliSessionId: result.cliSessionId,
      resumed: false,
    });
    // prompts never reach the store
    const stored = JSON.stringify(trace);
    expect(stored).not.toContain(prompt);
    expect(stored).not.toContain(systemPrompt);
    // the path through the states, in order, with non-decreasing timestamps
    expect(trace!.steps.map((s) => s.state)).toEqual([
      'selecting-model',
      'spawning-cli',
      'parsing',
      'falling-back',
      'selecting-model',
      'spawning-cli',
      'falling-back',
      'selecting-model',
      'spawning-cli',
      'parsing',
      'persisting-session',
      'answered',
    ]);
    expect(trace!.steps[3]).toMatchObject({ state: 'falling-back', candidate: first.model, reason: 'auth' });
    const times = trace!.steps.map((s) => s.atMs);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(trace!.attempts.map((a) => a.startedAtMs)).toEqual([...trace!.attempts.map((a) => a.startedAtMs)].sort((a, b) => a - b));

    // the second turn resumes the stored session, and the trace says so
    await runtime.run({ message: 'again', sessionKey: 'chat-1' });
    const second = await runtime.traces.last();
    expect(second!.requestId).not.toBe(trace!.requestId);
    expect(second!.attempts.at(-1)!.session).toMatchObject({
      stored: result.cliSessionId,
      sent: result.cliSessionId,
      resume: true,
      newSession: false,
    });
    expect(second!.session).toMatchObject({ resumed: true, cliSessionId: result.cliSessionId });
    expect((await runtime.traces.find(trace!.requestId))[0]!.requestId).toBe(trace!.requestId);
  });

  it('a request where every candidate failed leaves a failed trace with the error', async () => {
    const { third, runtime } = await threeCandidates();
    third.setMode('auth');
    const error = await runtime.run({ message: 'hi' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestError);
    const trace = await runtime.traces.last();
    expect(trace).toMatchObject({ requestId: (error as RequestError).requestId, status: 'failed', session: null });
    expect(trace!.error?.code).toBe('SAFETYNET_ALL_CANDIDATES_FAILED');
    expect(trace!.attempts.map((a) => a.ok)).toEqual([false, false, false]);
    expect(trace!.steps.at(-1)!.state).toBe('failed');
  });

  it('an aborted request leaves an aborted trace', async () => {
    const { first, runtime } = await threeCandidates();
    first.setMode('hang');
    const controller = new AbortController();
    const seen: InspectionEvent[] = [];
    const running = runtime.run({
      message: 'hi',
      signal: controller.signal,
      // abort as soon as the first CLI runs: read from the same inspection events
      inspect: (event) => {
        seen.push(event);
        if (event.type === '@xstate.snapshot' && (event.actorRef as { id?: string }).id === 'runCliTurn')
          setTimeout(() => controller.abort(), 200);
      },
    });
    await expect(running).rejects.toMatchObject({ code: 'SAFETYNET_ABORTED' });
    const trace = await runtime.traces.last();
    expect(trace!.status).toBe('aborted');
    expect(trace!.error).toBeUndefined();
    expect(trace!.attempts).toHaveLength(1);
    expect(trace!.attempts[0]).toMatchObject({ model: first.model, reason: 'aborted', argvPlanned: true });
    expect(trace!.steps.at(-1)!.state).toBe('aborted');
    expect(seen.some((event) => event.type === '@xstate.actor')).toBe(true);
  });

  it('safetynet.traces.maxCount bounds the stored traces; 0 stores none', async () => {
    const first = await fakeCliBackend(join(dir, 'one'));
    const config = (maxCount: number): SafetynetConfigFile => ({
      safetynet: { traces: { maxCount } },
      agents: { defaults: { model: { primary: first.model }, cliBackends: { [first.backendId]: first.backend } } },
    });
    runtime = await createRuntime({ config: config(2), storeLocation: join(dir, 'state') });
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push((await runtime.run({ message: `m${i}` })).requestId);
    expect((await runtime.traces.list(10)).map((t) => t.requestId)).toEqual([ids[3], ids[2]]);
    await runtime.close();

    runtime = await createRuntime({ config: config(0), storeLocation: join(dir, 'state') });
    await runtime.run({ message: 'untraced' });
    expect((await runtime.traces.list(10)).map((t) => t.requestId)).toEqual([ids[3], ids[2]]);
  });

  it('a trace that cannot be stored is a warning (written off the request path), never a failure', async () => {
    const one = await fakeCliBackend(join(dir, 'one'));
    writeFileSync(join(dir, 'a-file'), 'not a folder');
    const warnings: string[] = [];
    runtime = await createRuntime({
      config: { agents: { defaults: { model: { primary: one.model }, cliBackends: { [one.backendId]: one.backend } } } },
      storeLocation: join(dir, 'a-file', 'state'), // cannot be created: every trace write fails
      onWarning: (warning) => warnings.push(warning),
    });
    const result = await runtime.run({ message: 'hi' });
    expect(result.text).toMatch(/^echo: hi/);
    await runtime.traces.list().catch(() => undefined); // waits for the pending trace write
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^the request trace could not be stored: .*a-file/);

    one.setMode('auth');
    await expect(runtime.run({ message: 'hi' })).rejects.toMatchObject({ code: 'SAFETYNET_ALL_CANDIDATES_FAILED' });
    await runtime.close();
    expect(warnings.filter((warning) => warning.startsWith('the request trace could not be stored'))).toHaveLength(2);
    expect(warnings).toContainEqual(expect.stringMatching(/^a cooldown could not be stored: /));
  });
});
