/**
 * `--session <key>` across separate `safetynet` processes, and `safetynet sessions list | show |
 * reset` over the stored bindings (LevelDB under `$SAFETYNET_HOME/state`).
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  cleanup,
  configWith,
  extraFakeState,
  fakeBackend,
  fakeSandbox,
  fakeSessions,
  flagValue,
  lastCall,
  safetynet,
  setModes,
  writeConfig,
  type Sandbox,
} from './support.js';

afterEach(cleanup);

function agent(box: Sandbox & { config: string }, message: string, ...extra: string[]) {
  return safetynet(box, ['agent', '--message', message, '--model', 'fake/default', '--config', box.config, ...extra]);
}

describe('safetynet agent --session', () => {
  it('a second turn with the same --session resumes the stored CLI session (argv has --resume and neither --session-id nor the system prompt)', async () => {
    const box = await fakeSandbox();

    const first = await agent(box, 'remember kiwi', '--session', 'demo', '--system-prompt', 'be brief', '--json');
    expect(first.exitCode, first.stderr).toBe(0);
    const firstCall = lastCall(box.fakeState);
    const sessionId = flagValue(firstCall.argv, '--session-id');
    expect(sessionId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(firstCall.argv).not.toContain('--resume');
    expect(firstCall.system).toBe('be brief');
    expect(JSON.parse(first.stdout)).toMatchObject({
      sessionKey: 'demo',
      cliSessionId: sessionId,
      text: 'echo: remember kiwi turns=1 system=be brief model=default',
    });

    const second = await agent(box, 'what fruit?', '--session', 'demo', '--system-prompt', 'be brief', '--json');
    expect(second.exitCode, second.stderr).toBe(0);
    const secondCall = lastCall(box.fakeState);
    expect(flagValue(secondCall.argv, '--resume')).toBe(sessionId);
    expect(secondCall.argv).not.toContain('--session-id');
    expect(secondCall.argv).not.toContain('--system');
    expect(secondCall.argv).not.toContain('be brief');
    expect(JSON.parse(second.stdout)).toMatchObject({
      sessionKey: 'demo',
      cliSessionId: sessionId,
      text: 'echo: what fruit? turns=2 model=default',
    });
    // one CLI session, two turns
    expect(await fakeSessions(box.fakeState)).toEqual([sessionId]);
  });

  it('without --session every run starts a new CLI session and nothing is stored', async () => {
    const box = await fakeSandbox();
    for (const message of ['one', 'two']) {
      const result = await agent(box, message);
      expect(result.exitCode, result.stderr).toBe(0);
      expect(result.stdout).toBe(`echo: ${message} turns=1 model=default`);
      expect(lastCall(box.fakeState).argv).not.toContain('--resume');
    }
    expect(await fakeSessions(box.fakeState)).toHaveLength(2);
    const list = await safetynet(box, ['sessions', 'list', '--json', '--config', box.config]);
    expect(list.exitCode, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout)).toEqual([]);
  });

  it('a failed turn keeps the stored session: the next turn still resumes it', async () => {
    const box = await fakeSandbox();
    expect((await agent(box, 'one', '--session', 'keep')).exitCode).toBe(0);
    const sessionId = flagValue(lastCall(box.fakeState).argv, '--session-id');

    setModes(box.fakeState, ['auth', 'ok']);
    const failed = await agent(box, 'two', '--session', 'keep');
    expect(failed.exitCode).toBe(1);
    expect(flagValue(lastCall(box.fakeState).argv, '--resume')).toBe(sessionId);

    const third = await agent(box, 'three', '--session', 'keep');
    expect(third.exitCode, third.stderr).toBe(0);
    expect(flagValue(lastCall(box.fakeState).argv, '--resume')).toBe(sessionId);
    expect(third.stdout).toBe('echo: three turns=2 model=default');
  });
});

describe('safetynet sessions', () => {
  it('sessions list/show/reset show and clear the stored bindings', async () => {
    const box = await fakeSandbox();
    expect((await agent(box, 'a', '--session', 'alpha')).exitCode).toBe(0);
    const alphaId = flagValue(lastCall(box.fakeState).argv, '--session-id')!;
    expect((await agent(box, 'b', '--session', 'beta')).exitCode).toBe(0);
    const betaId = flagValue(lastCall(box.fakeState).argv, '--session-id')!;
    expect((await agent(box, 'a2', '--session', 'alpha')).exitCode).toBe(0);

    const list = await safetynet(box, ['sessions', 'list', '--config', box.config]);
    expect(list.exitCode, list.stderr).toBe(0);
    const lines = list.stdout.split('\n');
    expect(lines[0]).toMatch(/^SESSION\s+BACKEND\s+CLI SESSION ID\s+TURNS\s+UPDATED\s+CWD$/);
    expect(lines.slice(1).map((line) => line.split(/\s+/).slice(0, 4))).toEqual([
      ['alpha', 'fake', alphaId, '2'],
      ['beta', 'fake', betaId, '1'],
    ]);
    expect(lines[1]!.endsWith(box.cwd)).toBe(true);

    const show = await safetynet(box, ['sessions', 'show', 'beta', '--config', box.config]);
    expect(show.exitCode, show.stderr).toBe(0);
    expect(show.stdout).toContain(betaId);
    expect(show.stdout).not.toContain(alphaId);

    const reset = await safetynet(box, ['sessions', 'reset', 'alpha', '--config', box.config]);
    expect(reset.exitCode, reset.stderr).toBe(0);
    expect(reset.stdout).toBe('removed 1 stored CLI session of "alpha"');

    const after = await safetynet(box, ['sessions', 'show', 'alpha', '--config', box.config]);
    expect(after.exitCode).toBe(1);
    expect(after.stdout).toBe('');
    expect(after.stderr).toContain('no stored CLI session for "alpha"');
    const listAfter = await safetynet(box, ['sessions', 'list', '--config', box.config]);
    expect(listAfter.stdout).not.toContain('alpha');
    expect(listAfter.stdout).toContain(betaId);

    // after a reset the next turn starts a new CLI session, with the system prompt again
    const fresh = await agent(box, 'again', '--session', 'alpha', '--system-prompt', 'sys');
    expect(fresh.exitCode, fresh.stderr).toBe(0);
    const call = lastCall(box.fakeState);
    expect(call.argv).not.toContain('--resume');
    expect(flagValue(call.argv, '--session-id')).not.toBe(alphaId);
    expect(call.system).toBe('sys');
    expect(fresh.stdout).toBe('echo: again turns=1 system=sys model=default');
  });

  it('sessions list/show/reset --json print the bindings and the removed count as JSON', async () => {
    const box = await fakeSandbox();
    expect((await agent(box, 'a', '--session', 'alpha')).exitCode).toBe(0);
    const alphaId = flagValue(lastCall(box.fakeState).argv, '--session-id');

    const list = await safetynet(box, ['sessions', 'list', '--json', '--config', box.config]);
    expect(list.exitCode, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout)).toEqual([
      {
        sessionKey: 'alpha',
        backendId: 'fake',
        cliSessionId: alphaId,
        cwd: box.cwd,
        createdAt: expect.any(Number),
        updatedAt: expect.any(Number),
        turns: 1,
        model: 'fake/default',
      },
    ]);

    const show = await safetynet(box, ['sessions', 'show', 'alpha', '--json', '--config', box.config]);
    expect(show.exitCode, show.stderr).toBe(0);
    expect(JSON.parse(show.stdout)).toEqual(JSON.parse(list.stdout));

    const reset = await safetynet(box, ['sessions', 'reset', 'alpha', '--json', '--config', box.config]);
    expect(reset.exitCode, reset.stderr).toBe(0);
    expect(JSON.parse(reset.stdout)).toEqual({ sessionKey: 'alpha', removed: 1 });

    const empty = await safetynet(box, ['sessions', 'show', 'alpha', '--json', '--config', box.config]);
    expect(JSON.parse(empty.stdout)).toEqual([]);
  });

  it('sessions reset --backend clears only that backend of the key', async () => {
    const box = await fakeSandbox();
    const other = await extraFakeState(box, 'other-cli');
    const config = writeConfig(box.config, configWith({ fake: fakeBackend(box.fakeState), other: fakeBackend(other) }));
    for (const model of ['fake/default', 'other/default']) {
      const result = await safetynet(box, ['agent', '--message', 'hi', '--model', model, '--session', 'both', '--config', config]);
      expect(result.exitCode, result.stderr).toBe(0);
    }
    const before = await safetynet(box, ['sessions', 'show', 'both', '--json', '--config', config]);
    expect((JSON.parse(before.stdout) as Array<{ backendId: string }>).map((b) => b.backendId).sort()).toEqual(['fake', 'other']);

    const reset = await safetynet(box, ['sessions', 'reset', 'both', '--backend', 'other', '--config', config]);
    expect(reset.exitCode, reset.stderr).toBe(0);
    expect(reset.stdout).toBe('removed 1 stored CLI session of "both"');

    const after = await safetynet(box, ['sessions', 'show', 'both', '--json', '--config', config]);
    expect((JSON.parse(after.stdout) as Array<{ backendId: string }>).map((b) => b.backendId)).toEqual(['fake']);
  });

  it('sessions list on a fresh SAFETYNET_HOME says there are none, exit 0', async () => {
    const box = await fakeSandbox();
    const result = await safetynet(box, ['sessions', 'list', '--config', box.config]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('no stored CLI sessions');
  });
});
