/**
 * `--session <key>` across separate `safetynet` processes, and `safetynet sessions list | show |
 * export | reset` over the stored conversations (transcripts) and their CLI session bindings
 * (LevelDB under `$SAFETYNET_HOME/state`); an API provider on a loopback stub where a turn must be
 * answered by an API.
 */
import { hostname } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { startStubServer } from '../support/stub-server/index.js';
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
  it('sessions list/show/reset show and clear the stored conversations and their CLI sessions', async () => {
    const box = await fakeSandbox();
    expect((await agent(box, 'a', '--session', 'alpha')).exitCode).toBe(0);
    const alphaId = flagValue(lastCall(box.fakeState).argv, '--session-id')!;
    expect((await agent(box, 'b', '--session', 'beta')).exitCode).toBe(0);
    const betaId = flagValue(lastCall(box.fakeState).argv, '--session-id')!;
    expect((await agent(box, 'a2', '--session', 'alpha')).exitCode).toBe(0);

    const list = await safetynet(box, ['sessions', 'list', '--config', box.config]);
    expect(list.exitCode, list.stderr).toBe(0);
    const lines = list.stdout.split('\n');
    expect(lines[0]).toMatch(/^SESSION\s+TURNS\s+DROPPED\s+UPDATED\s+CLI SESSIONS$/);
    expect(lines.slice(1).map((line) => line.split(/\s+/))).toEqual([
      ['alpha', '4', '0', expect.stringMatching(/^\d{4}-\d\d-\d\dT/), 'fake:current'],
      ['beta', '2', '0', expect.stringMatching(/^\d{4}-\d\d-\d\dT/), 'fake:current'],
    ]);

    const show = await safetynet(box, ['sessions', 'show', 'beta', '--config', box.config]);
    expect(show.exitCode, show.stderr).toBe(0);
    expect(show.stdout).toMatch(/^beta: 2 turns in the transcript, last \d{4}-/);
    expect(show.stdout).toContain(betaId);
    expect(show.stdout).toContain('in sync (seen 2 of 2)');
    expect(show.stdout).not.toContain(alphaId);

    const reset = await safetynet(box, ['sessions', 'reset', 'alpha', '--config', box.config]);
    expect(reset.exitCode, reset.stderr).toBe(0);
    expect(reset.stdout).toBe('removed 1 CLI session and 4 transcript turns of "alpha"');

    const after = await safetynet(box, ['sessions', 'show', 'alpha', '--config', box.config]);
    expect(after.exitCode).toBe(1);
    expect(after.stdout).toBe('');
    expect(after.stderr).toBe('safetynet: no stored session "alpha" (see safetynet sessions list)');
    const listAfter = await safetynet(box, ['sessions', 'list', '--config', box.config]);
    expect(listAfter.stdout).not.toContain('alpha');
    expect(listAfter.stdout).toContain('beta');

    // after a reset the next turn starts a new CLI session with no history, with the system prompt again
    const fresh = await agent(box, 'again', '--session', 'alpha', '--system-prompt', 'sys');
    expect(fresh.exitCode, fresh.stderr).toBe(0);
    const call = lastCall(box.fakeState);
    expect(call.argv).not.toContain('--resume');
    expect(flagValue(call.argv, '--session-id')).not.toBe(alphaId);
    expect(call.system).toBe('sys');
    expect(call.prompt).toBe('again');
    expect(fresh.stdout).toBe('echo: again turns=1 system=sys model=default');
  });

  it('sessions list/show/reset --json print session views (list without the transcript) and what was removed', async () => {
    const box = await fakeSandbox();
    expect((await agent(box, 'a', '--session', 'alpha')).exitCode).toBe(0);
    const alphaId = flagValue(lastCall(box.fakeState).argv, '--session-id');

    const list = await safetynet(box, ['sessions', 'list', '--json', '--config', box.config]);
    expect(list.exitCode, list.stderr).toBe(0);
    const view = {
      sessionKey: 'alpha',
      turns: 2,
      dropped: 0,
      lastSeq: 2,
      updatedAt: expect.any(Number),
      backends: [
        {
          sessionKey: 'alpha',
          backendId: 'fake',
          cliSessionId: alphaId,
          cwd: box.cwd,
          host: hostname(), // the host that created the CLI session (safetynet.store.hostId)
          createdAt: expect.any(Number),
          updatedAt: expect.any(Number),
          turns: 1,
          model: 'fake/default',
          seenSeq: 2,
          seenDigest: expect.stringMatching(/^[0-9a-f]{32}$/),
          sync: 'current',
          behind: 0,
        },
      ],
    };
    expect(JSON.parse(list.stdout)).toEqual([view]);

    const show = await safetynet(box, ['sessions', 'show', 'alpha', '--json', '--config', box.config]);
    expect(show.exitCode, show.stderr).toBe(0);
    expect(JSON.parse(show.stdout)).toEqual({
      ...view,
      transcript: {
        sessionKey: 'alpha',
        dropped: 0,
        turns: [
          expect.objectContaining({ seq: 1, role: 'user', text: 'a' }),
          expect.objectContaining({
            seq: 2,
            role: 'assistant',
            text: 'echo: a turns=1 model=default',
            model: 'fake/default',
            backend: 'cli',
          }),
        ],
      },
    });

    const reset = await safetynet(box, ['sessions', 'reset', 'alpha', '--json', '--config', box.config]);
    expect(reset.exitCode, reset.stderr).toBe(0);
    expect(JSON.parse(reset.stdout)).toEqual({ sessionKey: 'alpha', bindings: 1, turns: 2 });

    const empty = await safetynet(box, ['sessions', 'list', '--json', '--config', box.config]);
    expect(JSON.parse(empty.stdout)).toEqual([]);
  });

  it('sessions reset --backend clears only that backend of the key, and keeps the transcript', async () => {
    const box = await fakeSandbox();
    const other = await extraFakeState(box, 'other-cli');
    const config = writeConfig(box.config, configWith({ fake: fakeBackend(box.fakeState), other: fakeBackend(other) }));
    for (const model of ['fake/default', 'other/default']) {
      const result = await safetynet(box, ['agent', '--message', 'hi', '--model', model, '--session', 'both', '--config', config]);
      expect(result.exitCode, result.stderr).toBe(0);
    }
    const before = JSON.parse((await safetynet(box, ['sessions', 'show', 'both', '--json', '--config', config])).stdout) as SessionViewJson;
    expect(before.backends.map((b) => [b.backendId, b.sync, b.behind]).sort()).toEqual([
      ['fake', 'behind', 2],
      ['other', 'current', 0],
    ]);

    const reset = await safetynet(box, ['sessions', 'reset', 'both', '--backend', 'other', '--config', config]);
    expect(reset.exitCode, reset.stderr).toBe(0);
    expect(reset.stdout).toBe('removed 1 CLI session and 0 transcript turns of "both"');

    const after = JSON.parse((await safetynet(box, ['sessions', 'show', 'both', '--json', '--config', config])).stdout) as SessionViewJson;
    expect(after.backends.map((b) => b.backendId)).toEqual(['fake']);
    expect(after.turns).toBe(4);
  });

  it('sessions list on a fresh SAFETYNET_HOME says there are none, exit 0', async () => {
    const box = await fakeSandbox();
    const result = await safetynet(box, ['sessions', 'list', '--config', box.config]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe('safetynet: no stored sessions');
  });

  it('sessions show and export of an unknown key exit 1 with a clear message and print nothing', async () => {
    const box = await fakeSandbox();
    for (const action of ['show', 'export']) {
      for (const json of [[], ['--json']]) {
        const result = await safetynet(box, ['sessions', action, 'nope', ...json, '--config', box.config]);
        expect(result.exitCode).toBe(1);
        expect(result.stdout).toBe('');
        expect(result.stderr).toBe('safetynet: no stored session "nope" (see safetynet sessions list)');
      }
    }
  });
});

describe('safetynet sessions with an API-answered turn', () => {
  it('show says how far each CLI session is behind, the next turn catches it up (--verbose, --json), export prints the conversation, reset removes it', async () => {
    const stub = await startStubServer({ modes: ['echo'] });
    try {
      const box = await fakeSandbox();
      const config = writeConfig(box.config, {
        ...(configWith({ fake: fakeBackend(box.fakeState) }) as object),
        models: { providers: { stub: { api: 'anthropic-messages', baseUrl: stub.url, apiKey: 'sk-stub-not-a-real-key' } } },
      });
      const run = (message: string, model: string, ...extra: string[]) =>
        safetynet(box, ['agent', '--message', message, '--model', model, '--session', 'demo', '--config', config, ...extra]);
      expect((await run('remember kiwi', 'fake/default')).exitCode).toBe(0);
      const sessionId = flagValue(lastCall(box.fakeState).argv, '--session-id')!;
      const api = await run('and mango', 'stub/claude-test');
      expect(api.exitCode, api.stderr).toBe(0);
      expect(
        stub
          .modelRequests()
          .at(-1)
          ?.body?.messages?.map((m) => m.role),
      ).toEqual(['user', 'assistant', 'user']);

      const show = await safetynet(box, ['sessions', 'show', 'demo', '--config', config]);
      expect(show.exitCode, show.stderr).toBe(0);
      expect(show.stdout).toMatch(/^demo: 4 turns in the transcript, last /);
      expect(show.stdout).toMatch(new RegExp(`fake\\s+${sessionId}\\s+2 turns behind \\(seen 2 of 4; catch-up next\\)`));
      const list = await safetynet(box, ['sessions', 'list', '--config', config]);
      expect(list.stdout.split('\n')[1]).toMatch(/^demo\s+4\s+0\s+\S+\s+fake:-2$/);

      // the next CLI turn is a catch-up: shown by --verbose (stderr) and in the --json attempts
      const next = await run('which fruits?', 'fake/default', '--verbose', '--json');
      expect(next.exitCode, next.stderr).toBe(0);
      expect(next.stderr).toMatch(/attempt 1 fake\/default answered \(exit 0, catch-up \(2 turns\), \d+ ms\)/);
      expect(JSON.parse(next.stdout).attempts).toEqual([
        { model: 'fake/default', backend: 'cli', ok: true, continuation: 'catch-up', historyTurns: 2, durationMs: expect.any(Number) },
      ]);
      expect(flagValue(lastCall(box.fakeState).argv, '--resume')).toBe(sessionId);
      expect(lastCall(box.fakeState).prompt).toMatch(
        /<conversation-history kind="catch-up" turns="2" omitted="0">[\s\S]*\n\nwhich fruits\?$/,
      );
      const synced = await safetynet(box, ['sessions', 'show', 'demo', '--config', config]);
      expect(synced.stdout).toContain('in sync (seen 6 of 6)');

      const exported = await safetynet(box, ['sessions', 'export', 'demo', '--config', config]);
      expect(exported.exitCode, exported.stderr).toBe(0);
      const headings = exported.stdout.split('\n').filter((line) => line.startsWith('#'));
      expect(headings.map((line) => line.replace(/ \d{4}-\S+$/, ''))).toEqual([
        '# demo: 6 turns',
        '## 1 user',
        '## 2 assistant (fake/default, cli)',
        '## 3 user',
        '## 4 assistant (stub/claude-test, api)',
        '## 5 user',
        '## 6 assistant (fake/default, cli)',
      ]);
      expect(exported.stdout).toContain('\n\nremember kiwi\n');
      expect(exported.stdout).toContain(`\n\n${api.stdout}\n`);
      const json = await safetynet(box, ['sessions', 'export', 'demo', '--json', '--config', config]);
      const transcript = JSON.parse(json.stdout) as { sessionKey: string; dropped: number; turns: Array<{ role: string; text: string }> };
      expect(transcript).toMatchObject({ sessionKey: 'demo', dropped: 0 });
      expect(transcript.turns.map((turn) => [turn.role, turn.text])).toEqual([
        ['user', 'remember kiwi'],
        ['assistant', 'echo: remember kiwi turns=1 model=default'],
        ['user', 'and mango'],
        ['assistant', api.stdout],
        ['user', 'which fruits?'],
        ['assistant', JSON.parse(next.stdout).text],
      ]);

      const reset = await safetynet(box, ['sessions', 'reset', 'demo', '--config', config]);
      expect(reset.stdout).toBe('removed 1 CLI session and 6 transcript turns of "demo"');
      const gone = await safetynet(box, ['sessions', 'export', 'demo', '--json', '--config', config]);
      expect(gone.exitCode).toBe(1);
      expect((await safetynet(box, ['sessions', 'list', '--json', '--config', config])).stdout).toBe('[]');
    } finally {
      await stub.close();
    }
  });
});

/** The shape of one `sessions show --json` view this file reads. */
interface SessionViewJson {
  turns: number;
  backends: Array<{ backendId: string; sync: string; behind: number }>;
}
