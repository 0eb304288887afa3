/**
 * The compliance suite of `SessionStorage` (src/store/ports.ts): the backend-independent rules of
 * session bindings and transcripts, run on every backend (LevelDB and Redis, in
 * `test/store/session-storage.compliance.test.ts`). Backend-only rules (LevelDB's folder and
 * in-process cache, Redis's replicas, fences and outages) stay in those backends' own test files.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { TranscriptBounds } from '../../../src/store/index.js';
import type { SessionStorage } from '../../../src/store/ports.js';
import { transcriptRules } from './session-transcripts.js';

/** Options the suite opens a store with. */
export interface SessionStorageOpenOptions {
  /** Transcript bounds (the backend's default when omitted). */
  bounds?: TranscriptBounds;
  /** The store's `hostId` option. */
  hostId?: string;
}

/** A store opened on fresh, empty state. */
export interface OpenedSessionStorage {
  store: SessionStorage;
  /**
   * Another store on the same state (a restart, or another host: a new store object sharing only
   * the backend), with `options` (none when omitted).
   */
  reopen(options?: SessionStorageOpenOptions): Promise<SessionStorage>;
  /** Close everything and remove the state. */
  cleanup(): Promise<void>;
}

/** Opens a store on fresh state; every call is a new, empty state. */
export type OpenSessionStorage = (options?: SessionStorageOpenOptions) => Promise<OpenedSessionStorage>;

/** The stores opened by the running test, cleaned up after it. */
export function openTracked(open: OpenSessionStorage): { open: OpenSessionStorage; cleanup(): Promise<void> } {
  const opened: OpenedSessionStorage[] = [];
  return {
    open: async (options) => {
      const store = await open(options);
      opened.push(store);
      return store;
    },
    cleanup: async () => {
      await Promise.all(opened.splice(0).map((store) => store.cleanup()));
    },
  };
}

const turn = { sessionKey: 'chat-1', backendId: 'claude-cli', cliSessionId: 'sess-A', cwd: '/work/a' };

/** Register the compliance tests of `SessionStorage` for one backend, under `describe(name)`. */
export function sessionStorageSuite(name: string, openStorage: OpenSessionStorage): void {
  describe(`${name}: SessionStorage compliance`, () => {
    const tracked = openTracked(openStorage);
    afterEach(tracked.cleanup);
    const newStore = async (options?: SessionStorageOpenOptions) => (await tracked.open(options)).store;

    it('a stored binding survives closing and reopening the store', async () => {
      const { store, reopen } = await tracked.open();
      const stored = await store.recordSuccess({ ...turn, model: 'claude-cli/opus-4.6', now: 1000 });
      await store.close();
      expect(await (await reopen()).get('chat-1', 'claude-cli')).toEqual(stored);
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
      expect((await store.recordSuccess({ ...turn, now: 2000 })).model).toBe('claude-cli/opus-4.6');
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
      await expect(store.recordSuccess({ ...turn, host: '' })).rejects.toThrow(/`host`/);
      await expect(store.recordSuccess({ ...turn, now: Number.NaN })).rejects.toThrow(/`now`/);
      await expect(store.get(42 as unknown as string, 'claude-cli')).rejects.toThrow(/got `42` \(number\)/);
    });

    it('reset removes one backend or every backend of a session key, and list reads only that key', async () => {
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
        ['a:b', 'x'],
        ['a', 'b:x'],
        ['a*', 'x'],
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
        expect((await store.get(sessionKey, backendId))?.cliSessionId).toBe(JSON.stringify([sessionKey, backendId]));
        const backends = pairs.filter(([key]) => key === sessionKey).map(([, backend]) => backend);
        expect((await store.list(sessionKey)).map((b) => b.backendId)).toEqual(backends.sort());
      }
      expect(await store.list()).toHaveLength(pairs.length);
    });

    it('concurrent successes on one binding in one process are all counted', async () => {
      const store = await newStore();
      await Promise.all(Array.from({ length: 100 }, (_, i) => store.recordSuccess({ ...turn, now: i })));
      expect((await store.get('chat-1', 'claude-cli'))?.turns).toBe(100);
    });

    it('a new binding records the host that created it; a continued binding keeps it', async () => {
      const { store, reopen } = await tracked.open({ hostId: 'host-a' });
      expect((await store.recordSuccess({ ...turn, now: 1 })).host).toBe('host-a');
      const hostB = await reopen({ hostId: 'host-b' });
      expect(await hostB.recordSuccess({ ...turn, now: 2 })).toMatchObject({ host: 'host-a', turns: 2 });
      expect(await hostB.get('chat-1', 'claude-cli')).toMatchObject({ host: 'host-a', turns: 2 });
      expect(await hostB.recordSuccess({ ...turn, cliSessionId: 'sess-B', now: 3 })).toMatchObject({ host: 'host-b', turns: 1 });
      expect((await store.recordSuccess({ ...turn, host: 'host-c', replace: true, now: 4 })).host).toBe('host-c');
    });

    it('bindings written without a host stay valid and keep no host when continued', async () => {
      const store = await newStore();
      const first = await store.recordSuccess({ ...turn, now: 1 });
      expect(first).not.toHaveProperty('host');
      expect(await store.recordSuccess({ ...turn, now: 2 })).not.toHaveProperty('host');
      expect(await store.get('chat-1', 'claude-cli')).toMatchObject({ turns: 2 });
    });

    transcriptRules(newStore, tracked.open);
  });
}
