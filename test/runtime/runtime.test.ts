/**
 * The runtime's own rules, through `createRuntime` → `run`, with the fixture CLI as backends and a
 * real LevelDB in a temp folder.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRuntime, type RequestError, type RequestAttempt, type Runtime } from '../../src/index.js';
import { CooldownStore } from '../../src/store/index.js';
import { fakeCliBackend } from '../contract/harnesses.js';
import { twoCliRuntime } from '../support/two-cli-runtime.js';
import { waitForProcessWithEnv } from '../support/processes.js';

describe('runtime', () => {
  let dir: string;
  let runtime: Runtime | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'safetynet-runtime-'));
  });
  afterEach(async () => {
    await runtime?.close();
    runtime = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  async function twoBackends() {
    const made = await twoCliRuntime(dir);
    runtime = made.runtime;
    return made;
  }

  it('onAttempt reports each attempt as soon as it ends, in order', async () => {
    const { first, second, runtime } = await twoBackends();
    first.setMode('auth');
    const seen: RequestAttempt[] = [];
    const result = await runtime.run({ message: 'hi', onAttempt: (attempt) => seen.push(attempt) });
    expect(seen.map((attempt) => [attempt.model, attempt.ok, attempt.reason])).toEqual([
      [first.model, false, 'auth'],
      [second.model, true, undefined],
    ]);
    expect(result.attempts).toEqual(seen);
  });

  it('a provider that just failed is skipped by the next request (a skipped attempt) while it cools down', async () => {
    const { first, second, runtime } = await twoBackends();
    first.setMode('auth');
    await runtime.run({ message: 'one' });
    first.setMode('ok');
    const result = await runtime.run({ message: 'two' });
    expect(result.model).toBe(second.model);
    expect(result.attempts[0]).toMatchObject({ model: first.model, ok: false, skipped: true, reason: 'auth', durationMs: 0 });
  });

  it('when every candidate cools down, the one whose cooldown ends first is still tried, and its success clears it', async () => {
    const { first, second, runtime } = await twoBackends();
    const cooldowns = new CooldownStore({ location: join(dir, 'state') });
    const now = Date.now();
    await cooldowns.recordFailure({
      ref: first.model,
      provider: first.backendId,
      failure: { reason: 'rate_limit', message: '429', retryAfterMs: 3_600_000 },
      now,
    });
    await cooldowns.recordFailure({
      ref: second.model,
      provider: second.backendId,
      failure: { reason: 'rate_limit', message: '429', retryAfterMs: 60_000 },
      now,
    });
    const result = await runtime.run({ message: 'anyone?' });
    expect(result.model).toBe(second.model);
    expect(result.attempts.map((attempt) => [attempt.model, attempt.ok, attempt.skipped ?? false])).toEqual([
      [first.model, false, true],
      [second.model, true, false],
    ]);
    expect((await cooldowns.read([second.model], Date.now())).has(second.model)).toBe(false);
    expect((await cooldowns.read([first.model], Date.now())).has(first.model)).toBe(true);
    await cooldowns.close();
  });

  it('fallbacks outside the allowlist are reported as skipped attempts, never silently dropped', async () => {
    const made = await twoCliRuntime(dir, ({ first }) => ({ models: { [first.model]: {} } }));
    const { first, second } = made;
    runtime = made.runtime;
    first.setMode('auth');
    const failure = (await runtime.run({ message: 'hi' }).catch((error: unknown) => error)) as RequestError;
    expect(failure.code).toBe('SAFETYNET_ALL_CANDIDATES_FAILED');
    expect(failure.attempts).toEqual([
      expect.objectContaining({ model: first.model, ok: false, reason: 'auth' }),
      expect.objectContaining({ model: second.model, skipped: true, reason: 'config' }),
    ]);
    expect(failure.message).toMatch(/allowlist/);
  });

  it('requests of one session key run one at a time, in arrival order', async () => {
    const { runtime } = await twoBackends();
    const results = await Promise.all([1, 2, 3].map((n) => runtime.run({ message: `turn ${n}`, sessionKey: 'lane' })));
    expect(results.map((result) => result.text.match(/turns=(\d)/)?.[1])).toEqual(['1', '2', '3']);
  });

  it('serialize: true runs one turn of the backend at a time, in the order of the run() calls', async () => {
    const first = await fakeCliBackend(join(dir, 'serial'));
    runtime = await createRuntime({
      config: {
        agents: {
          defaults: { model: { primary: first.model }, cliBackends: { [first.backendId]: { ...first.backend, serialize: true } } },
        },
      },
      storeLocation: join(dir, 'state'),
    });
    first.setMode('auth');
    await runtime.run({ message: 'make the state folder exist' }).catch(() => undefined); // later requests read cooldowns from LevelDB
    writeFileSync(join(dir, 'serial', 'modes.json'), JSON.stringify(['slow', 'ok']));
    writeFileSync(join(dir, 'serial', 'calls.log'), '');
    const blocker = runtime.run({ message: 'blocker', model: first.model, timeoutMs: 30_000 }).catch(() => undefined);
    expect(await waitForProcessWithEnv(first.envMarker)).toBe(true);
    const messages = Array.from({ length: 12 }, (_, n) => `turn ${n}`);
    await Promise.all(messages.map((message) => runtime!.run({ message }).catch(() => undefined)));
    await blocker;
    const calls = readFileSync(join(dir, 'serial', 'calls.log'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as string);
    expect(calls).toEqual(['blocker', ...messages]);
  });

  it("a CLI's retry notices reach the attempt log and the trace through the request machine", async () => {
    const command = join(import.meta.dirname, '../fixtures/bin/retry-then-answer.mjs');
    runtime = await createRuntime({
      config: { agents: { defaults: { model: { primary: 'retrying/x' }, cliBackends: { retrying: { command, output: 'jsonl' } } } } },
      storeLocation: join(dir, 'state'),
    });
    const result = await runtime.run({ message: 'hi' });
    expect(result.text).toBe('answered after a retry');
    expect(result.attempts).toEqual([expect.objectContaining({ ok: true, notices: [expect.stringMatching(/529/)] })]);
    const trace = await runtime.traces.last();
    expect(trace?.attempts[0]?.notices).toEqual(result.attempts[0]?.notices);
  });

  it('a retry notice enters no state: the trace shows spawning-cli once for the one process', async () => {
    const command = join(import.meta.dirname, '../fixtures/bin/retry-then-answer.mjs');
    runtime = await createRuntime({
      config: { agents: { defaults: { model: { primary: 'retrying/x' }, cliBackends: { retrying: { command, output: 'jsonl' } } } } },
      storeLocation: join(dir, 'state'),
    });
    await runtime.run({ message: 'hi' });
    const trace = await runtime.traces.last();
    expect(trace?.attempts[0]?.notices).toHaveLength(1);
    expect(trace?.steps.filter((step) => step.state === 'spawning-cli')).toHaveLength(1);
  });

  it('run() after close() is refused with SAFETYNET_RUNTIME_CLOSED', async () => {
    const { runtime } = await twoBackends();
    await runtime.close();
    await expect(runtime.run({ message: 'late' })).rejects.toMatchObject({ code: 'SAFETYNET_RUNTIME_CLOSED' });
  });

  it('a bad request is refused at the boundary, naming the field and what was received', async () => {
    const { runtime } = await twoBackends();
    await expect(runtime.run({ message: '' })).rejects.toMatchObject({
      code: 'SAFETYNET_USAGE',
      message: expect.stringMatching(/request\.message: expected a non-empty string \(or give messages\), received ""/),
    });
    await expect(runtime.run({ message: 'x', timeoutMs: -1 })).rejects.toMatchObject({
      code: 'SAFETYNET_USAGE',
      message: expect.stringMatching(/request\.timeoutMs/),
    });
  });
});
