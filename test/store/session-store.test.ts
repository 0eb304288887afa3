import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bindingKey, LevelHandle, SESSIONS_SUBLEVEL, SessionStore } from '../../src/store/index.js';
import { cleanup, tempFolder } from './support.js';

afterEach(cleanup);

async function newStore(): Promise<SessionStore> {
  return new SessionStore({ location: path.join(await tempFolder(), 'state') });
}

const turn = { sessionKey: 'chat-1', backendId: 'claude-cli', cliSessionId: 'sess-A', cwd: '/work/a' };

describe('SessionStore', () => {
  it('a stored binding survives closing and reopening the store', async () => {
    const store = await newStore();
    const stored = await store.recordSuccess({ ...turn, model: 'claude-cli/opus-4.6', now: 1000 });
    await store.close();

    const reopened = new SessionStore({ location: store.location });
    expect(await reopened.get('chat-1', 'claude-cli')).toEqual(stored);
    expect(stored).toEqual({ ...turn, model: 'claude-cli/opus-4.6', createdAt: 1000, updatedAt: 1000, turns: 1 });
  });

  it('a missing binding reads as undefined', async () => {
    const store = await newStore();
    expect(await store.get('nobody', 'claude-cli')).toBeUndefined();
    expect(await store.list()).toEqual([]);
  });

  it('recording the same session id again keeps createdAt and counts turns', async () => {
    const store = await newStore();
    await store.recordSuccess({ ...turn, model: 'claude-cli/opus-4.6', now: 1000 });
    await store.recordSuccess({ ...turn, cwd: '/elsewhere', now: 2000 });
    const third = await store.recordSuccess({ ...turn, model: 'claude-cli/sonnet-4.5', now: 3000 });

    expect(third).toEqual({ ...turn, cwd: '/work/a', model: 'claude-cli/sonnet-4.5', createdAt: 1000, updatedAt: 3000, turns: 3 });
    expect(await store.get('chat-1', 'claude-cli')).toEqual(third);
  });

  it('a model-less turn on the same session keeps the last known model', async () => {
    const store = await newStore();
    await store.recordSuccess({ ...turn, model: 'claude-cli/opus-4.6', now: 1000 });
    const second = await store.recordSuccess({ ...turn, now: 2000 });
    expect(second.model).toBe('claude-cli/opus-4.6');
  });

  it('a new session id replaces the binding (stale id rejected)', async () => {
    const store = await newStore();
    await store.recordSuccess({ ...turn, model: 'claude-cli/opus-4.6', now: 1000 });
    await store.recordSuccess({ ...turn, now: 2000 });
    const fresh = await store.recordSuccess({ ...turn, cliSessionId: 'sess-B', cwd: '/work/b', now: 5000 });

    expect(fresh).toEqual({ ...turn, cliSessionId: 'sess-B', cwd: '/work/b', createdAt: 5000, updatedAt: 5000, turns: 1 });
    expect(await store.get('chat-1', 'claude-cli')).toEqual(fresh);
  });

  it('replace: true starts a new binding even with the same session id', async () => {
    const store = await newStore();
    await store.recordSuccess({ ...turn, now: 1000 });
    await store.recordSuccess({ ...turn, now: 2000 });
    const replaced = await store.recordSuccess({ ...turn, cwd: '/work/c', replace: true, now: 3000 });
    expect(replaced).toEqual({ ...turn, cwd: '/work/c', createdAt: 3000, updatedAt: 3000, turns: 1 });
  });

  it('a turn without a session id cannot overwrite the stored binding', async () => {
    const store = await newStore();
    const stored = await store.recordSuccess({ ...turn, now: 1000 });
    await expect(store.recordSuccess({ ...turn, cliSessionId: '' })).rejects.toThrow(/`cliSessionId` argument/);
    expect(await store.get('chat-1', 'claude-cli')).toEqual(stored);
  });

  it('empty or non-string keys are rejected with a TypeError naming the argument', async () => {
    const store = await newStore();
    await expect(store.get('', 'claude-cli')).rejects.toThrow(TypeError);
    await expect(store.get('', 'claude-cli')).rejects.toThrow(/`sessionKey`/);
    await expect(store.get('chat', '')).rejects.toThrow(/`backendId`/);
    await expect(store.list('')).rejects.toThrow(/`sessionKey`/);
    await expect(store.reset('chat', '')).rejects.toThrow(/`backendId`/);
    await expect(store.recordSuccess({ ...turn, cwd: '' })).rejects.toThrow(/`cwd`/);
    await expect(store.recordSuccess({ ...turn, now: Number.NaN })).rejects.toThrow(/`now`/);
    await expect(store.get(42 as unknown as string, 'claude-cli')).rejects.toThrow(/got `42` \(number\)/);
  });

  it('reset removes one backend or every backend of a session key, and list scans only that key', async () => {
    const store = await newStore();
    for (const sessionKey of ['a', 'ab', 'a\u0000', 'b']) {
      for (const backendId of ['codex-cli', 'claude-cli']) {
        await store.recordSuccess({ ...turn, sessionKey, backendId, cliSessionId: `${sessionKey}/${backendId}`, now: 1 });
      }
    }

    expect((await store.list('a')).map((b) => [b.sessionKey, b.backendId])).toEqual([
      ['a', 'claude-cli'],
      ['a', 'codex-cli'],
    ]);
    expect(await store.reset('a', 'codex-cli')).toBe(1);
    expect(await store.reset('a', 'codex-cli')).toBe(0);
    expect((await store.list('a')).map((b) => b.backendId)).toEqual(['claude-cli']);

    expect(await store.reset('ab')).toBe(2);
    expect(await store.reset('ab')).toBe(0);
    expect(await store.reset('nobody')).toBe(0);
    expect((await store.list()).map((b) => [b.sessionKey, b.backendId])).toEqual([
      ['a', 'claude-cli'],
      ['a\u0000', 'claude-cli'],
      ['a\u0000', 'codex-cli'],
      ['b', 'claude-cli'],
      ['b', 'codex-cli'],
    ]);
  });

  it('session keys with any characters do not collide', async () => {
    const store = await newStore();
    const pairs: [string, string][] = [
      ['a', 'x'],
      ['a\u0000b', 'x'],
      ['a', 'b\u0000x'],
      ['a/b', 'x'],
      ['a b', 'x'],
      ['a%0000b', 'x'],
      ['a%0020b', 'x'],
      ['🙂', 'x'],
      ['\ud83d', 'x'],
      ['\ude42', 'x'],
      ['!sessions!', 'x'],
      ['ä', 'ß'],
    ];
    for (const [sessionKey, backendId] of pairs) {
      await store.recordSuccess({ sessionKey, backendId, cliSessionId: JSON.stringify([sessionKey, backendId]), cwd: '/w', now: 1 });
    }
    for (const [sessionKey, backendId] of pairs) {
      const binding = await store.get(sessionKey, backendId);
      expect(binding?.cliSessionId).toBe(JSON.stringify([sessionKey, backendId]));
      const backends = pairs.filter(([key]) => key === sessionKey).map(([, backend]) => backend);
      expect((await store.list(sessionKey)).map((b) => b.backendId)).toEqual(backends.sort());
    }
    expect(await store.list()).toHaveLength(pairs.length);
  });

  it('a stored value that is not a binding reads as absent and is replaced by the next success', async () => {
    const store = await newStore();
    const handle = new LevelHandle(store.location);
    await handle.useSublevel<unknown, void>(SESSIONS_SUBLEVEL, (sessions) =>
      sessions.put(bindingKey('chat-1', 'claude-cli'), { junk: true }),
    );

    expect(await store.get('chat-1', 'claude-cli')).toBeUndefined();
    expect(await store.list()).toEqual([]);
    expect((await store.recordSuccess({ ...turn, now: 7 })).turns).toBe(1);
  });

  it('concurrent successes on one binding in one process are all counted', async () => {
    const store = await newStore();
    await Promise.all(Array.from({ length: 100 }, (_, i) => store.recordSuccess({ ...turn, now: i })));
    expect((await store.get('chat-1', 'claude-cli'))?.turns).toBe(100);
  });
});
