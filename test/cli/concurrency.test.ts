/**
 * Several `safetynet` processes on one `SAFETYNET_HOME` at the same moment: the LevelDB store is
 * locked by one process at a time, and the others retry the lock, so every process succeeds.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fakeSandbox, fakeSessions, flagValue, lastCall, safetynet, type Sandbox } from './support.js';

afterEach(cleanup);

function turn(box: Sandbox & { config: string }, message: string, session: string) {
  return safetynet(box, ['agent', '--message', message, '--model', 'fake/default', '--session', session, '--config', box.config, '--json']);
}

interface Binding {
  sessionKey: string;
  cliSessionId: string;
  turns: number;
}

describe('concurrent safetynet processes', () => {
  it('two safetynet processes started at the same moment both succeed (different --session keys)', async () => {
    const box = await fakeSandbox();
    for (let round = 0; round < 3; round++) {
      const [a, b] = await Promise.all([turn(box, `a${round}`, 'key-a'), turn(box, `b${round}`, 'key-b')]);
      expect(a.exitCode, a.stderr).toBe(0);
      expect(b.exitCode, b.stderr).toBe(0);
      expect(JSON.parse(a.stdout)).toMatchObject({ sessionKey: 'key-a', text: `echo: a${round} turns=${round + 1} model=default` });
      expect(JSON.parse(b.stdout)).toMatchObject({ sessionKey: 'key-b', text: `echo: b${round} turns=${round + 1} model=default` });
    }
    const list = await safetynet(box, ['sessions', 'list', '--json', '--config', box.config]);
    const bindings = JSON.parse(list.stdout) as Binding[];
    expect(bindings.map((b) => [b.sessionKey, b.turns])).toEqual([
      ['key-a', 3],
      ['key-b', 3],
    ]);
    // each key kept one CLI session over its three turns
    expect(await fakeSessions(box.fakeState)).toEqual(bindings.map((b) => b.cliSessionId).sort());
  });

  it('two safetynet processes started at the same moment both succeed (the same --session key), and the stored session stays resumable', async () => {
    const box = await fakeSandbox();
    const [a, b] = await Promise.all([turn(box, 'a', 'shared'), turn(box, 'b', 'shared')]);
    expect(a.exitCode, a.stderr).toBe(0);
    expect(b.exitCode, b.stderr).toBe(0);
    const ids = [JSON.parse(a.stdout).cliSessionId, JSON.parse(b.stdout).cliSessionId] as string[];

    const show = await safetynet(box, ['sessions', 'show', 'shared', '--json', '--config', box.config]);
    const [binding] = JSON.parse(show.stdout) as Binding[];
    expect(ids).toContain(binding!.cliSessionId);

    const next = await turn(box, 'c', 'shared');
    expect(next.exitCode, next.stderr).toBe(0);
    expect(flagValue(lastCall(box.fakeState).argv, '--resume')).toBe(binding!.cliSessionId);
  });

  it('sessions list while two agents write the store at the same moment succeeds too', async () => {
    const box = await fakeSandbox();
    const results = await Promise.all([
      turn(box, 'a', 'key-a'),
      turn(box, 'b', 'key-b'),
      safetynet(box, ['sessions', 'list', '--json', '--config', box.config]),
    ]);
    for (const result of results) expect(result.exitCode, result.stderr).toBe(0);
    expect(Array.isArray(JSON.parse(results[2].stdout))).toBe(true);
  });
});
