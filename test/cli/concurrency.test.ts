/**
 * Several `safetynet` processes on one `SAFETYNET_HOME` at the same moment: the LevelDB store is
 * locked by one process at a time, and the others retry the lock, so every process succeeds.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { agentTurn, cleanup, fakeSandbox, fakeSessions, flagValue, lastCall, safetynet } from './support.js';

afterEach(cleanup);

/** What these tests read of a `sessions list --json` / `sessions show --json` view. */
interface View {
  sessionKey: string;
  turns: number;
  backends: Array<{ cliSessionId: string; turns: number }>;
}

describe('concurrent safetynet processes', () => {
  it('two safetynet processes started at the same moment both succeed (different --session keys)', async () => {
    const box = await fakeSandbox();
    for (let round = 0; round < 3; round++) {
      const [a, b] = await Promise.all([agentTurn(box, `a${round}`, 'key-a'), agentTurn(box, `b${round}`, 'key-b')]);
      expect(a.exitCode, a.stderr).toBe(0);
      expect(b.exitCode, b.stderr).toBe(0);
      expect(JSON.parse(a.stdout)).toMatchObject({ sessionKey: 'key-a', text: `echo: a${round} turns=${round + 1} model=default` });
      expect(JSON.parse(b.stdout)).toMatchObject({ sessionKey: 'key-b', text: `echo: b${round} turns=${round + 1} model=default` });
    }
    const list = await safetynet(box, ['sessions', 'list', '--json', '--config', box.config]);
    const views = JSON.parse(list.stdout) as View[];
    expect(views.map((v) => [v.sessionKey, v.turns, v.backends.map((b) => b.turns)])).toEqual([
      ['key-a', 6, [3]],
      ['key-b', 6, [3]],
    ]);
    // each key kept one CLI session over its three turns
    expect(await fakeSessions(box.fakeState)).toEqual(views.flatMap((v) => v.backends.map((b) => b.cliSessionId)).sort());
  });

  it('two safetynet processes started at the same moment both succeed (the same --session key), and the stored session stays resumable', async () => {
    const box = await fakeSandbox();
    const [a, b] = await Promise.all([agentTurn(box, 'a', 'shared'), agentTurn(box, 'b', 'shared')]);
    expect(a.exitCode, a.stderr).toBe(0);
    expect(b.exitCode, b.stderr).toBe(0);
    const ids = [JSON.parse(a.stdout).cliSessionId, JSON.parse(b.stdout).cliSessionId] as string[];

    // one after the other (the session lane): one CLI session, both exchanges in the transcript
    const show = await safetynet(box, ['sessions', 'show', 'shared', '--json', '--config', box.config]);
    const view = JSON.parse(show.stdout) as View;
    const [binding] = view.backends;
    expect(ids).toEqual([binding!.cliSessionId, binding!.cliSessionId]);
    expect([view.turns, binding!.turns]).toEqual([4, 2]);

    const next = await agentTurn(box, 'c', 'shared');
    expect(next.exitCode, next.stderr).toBe(0);
    expect(flagValue(lastCall(box.fakeState).argv, '--resume')).toBe(binding!.cliSessionId);
  });

  it('sessions list while two agents write the store at the same moment succeeds too', async () => {
    const box = await fakeSandbox();
    const results = await Promise.all([
      agentTurn(box, 'a', 'key-a'),
      agentTurn(box, 'b', 'key-b'),
      safetynet(box, ['sessions', 'list', '--json', '--config', box.config]),
    ]);
    for (const result of results) expect(result.exitCode, result.stderr).toBe(0);
    expect(Array.isArray(JSON.parse(results[2].stdout))).toBe(true);
  });
});
