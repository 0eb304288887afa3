/**
 * Rules of the LevelDB `SessionStore` that only LevelDB has (its sublevels, its batch, its
 * constructor); the backend-independent rules are in the compliance suite
 * (`compliance/session-storage.ts`, run by `session-storage.compliance.test.ts`).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { bindingKey, LevelHandle, SESSIONS_SUBLEVEL, SessionStore } from '../../src/store/index.js';
import { cleanup } from './support.js';
import { appendExchange, CLAUDE, newStore } from './transcript-support.js';

afterEach(cleanup);

const turn = { sessionKey: 'chat-1', backendId: 'claude-cli', cliSessionId: 'sess-A', cwd: '/work/a' };

describe('SessionStore (LevelDB only)', () => {
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

  it('transcript bounds out of range, or an empty hostId, are a TypeError naming them', () => {
    expect(() => new SessionStore({ location: '/tmp/x', bounds: { maxTurns: 1, maxChars: 10 } })).toThrow(/`bounds.maxTurns`/);
    expect(() => new SessionStore({ location: '/tmp/x', bounds: { maxTurns: 2, maxChars: 0 } })).toThrow(/`bounds.maxChars`/);
    expect(() => new SessionStore({ location: '/tmp/x', hostId: '' })).toThrow(/`hostId`/);
  });

  it('a commit whose batch fails writes nothing: transcript, meta and binding stay as they were', async () => {
    const handle = new LevelHandle((await newStore()).location, { idleCloseMs: 60_000 });
    const store = new SessionStore({ handle });
    await appendExchange(store, 'chat', 1, { binding: CLAUDE });
    const before = [await store.transcript('chat'), await store.get('chat', 'claude-cli'), await store.conversations()];

    let ops = 0;
    const failLast = () => {
      if (++ops === 4) throw new Error('disk full (injected)');
    };
    await handle.use(async (db) => db.hooks.prewrite.add(failLast));
    try {
      const failing = appendExchange(store, 'chat', 2, { binding: { ...CLAUDE, cliSessionId: 'sess-B' } });
      await expect(failing).rejects.toMatchObject({ code: 'SAFETYNET_STORE_FAILED' });
    } finally {
      await handle.use(async (db) => db.hooks.prewrite.delete(failLast));
    }
    expect(ops).toBe(4);
    expect([await store.transcript('chat'), await store.get('chat', 'claude-cli'), await store.conversations()]).toEqual(before);
    await handle.close();
  });

  it('a transcript whose meta record is missing is rebuilt from its turns on the next commit', async () => {
    const handle = new LevelHandle((await newStore()).location);
    const store = new SessionStore({ handle });
    for (let n = 1; n <= 2; n++) await appendExchange(store, 'chat', n);
    await handle.useSublevel('transcript-meta', (metas) => metas.clear());
    expect(await store.conversations()).toEqual([]);
    expect(await appendExchange(store, 'chat', 3, { now: 77 })).toMatchObject({ turns: 6, dropped: 0, lastSeq: 6 });
    expect(await store.conversations()).toEqual([{ sessionKey: 'chat', turns: 6, dropped: 0, lastSeq: 6, updatedAt: 77 }]);
  });
});
