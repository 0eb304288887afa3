import { stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SafetynetError, StoreError } from '../../src/errors.js';
import { LevelHandle, SessionStore, type LockedRetryEvent } from '../../src/store/index.js';
import { cleanup, holdLock, tempFolder } from './support.js';

afterEach(cleanup);

async function stateFolder(): Promise<string> {
  return path.join(await tempFolder(), 'home', 'state');
}

describe('LevelHandle', () => {
  it('creates the folder (mode 0700) and closes it as soon as the last user is done', async () => {
    const location = await stateFolder();
    const handle = new LevelHandle(location);
    await handle.useSublevel<number, void>('counters', (sub) => sub.put('x', 1));

    expect(handle.status).toBe('closed');
    expect((await stat(location)).mode & 0o777).toBe(0o700);
    expect((await stat(path.dirname(location))).mode & 0o777).toBe(0o700);
    expect(await handle.useSublevel<number, number | undefined>('counters', (sub) => sub.get('x'))).toBe(1);
  });

  it('concurrent operations in one process share one open handle', async () => {
    const handle = new LevelHandle(await stateFolder());
    const store = new SessionStore({ handle });
    const ops = Array.from({ length: 200 }, (_, i) =>
      i % 2 === 0
        ? store.recordSuccess({ sessionKey: `k${i}`, backendId: 'claude-cli', cliSessionId: `s${i}`, cwd: '/w', now: i })
        : store.get(`k${i - 1}`, 'claude-cli'),
    );
    const results = await Promise.all(ops);

    expect(results.filter((r) => r !== undefined).length).toBeGreaterThanOrEqual(100);
    expect(handle.openCount).toBe(1);
    expect(handle.status).toBe('closed');
    expect(await store.list()).toHaveLength(100);
  });

  it('two stores on one folder in one process share the database instead of locking each other out', async () => {
    const location = await stateFolder();
    const a = new SessionStore({ location, budgetMs: 0 });
    const b = new SessionStore({ location, budgetMs: 0 });
    const input = { backendId: 'claude-cli', cliSessionId: 's', cwd: '/w' };
    await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).recordSuccess({ ...input, sessionKey: `k${i % 5}` })));
    expect((await a.list()).map((binding) => binding.turns)).toEqual([10, 10, 10, 10, 10]);
  });

  it('a use that starts while the database is closing waits for the close and reopens it', async () => {
    const handle = new LevelHandle(await stateFolder());
    let late: Promise<number | undefined> | undefined;
    await handle.use(async (db) => {
      db.once('closing', () => {
        late = handle.useSublevel<number, number | undefined>('n', async (sub) => {
          await sub.put('k', 42);
          return sub.get('k');
        });
      });
    });

    expect(late).toBeDefined();
    expect(await late).toBe(42);
    expect(handle.openCount).toBe(2);
    expect(handle.status).toBe('closed');
  });

  it('interleaved opens and closes under load never fail with "database is not open"', async () => {
    const handle = new LevelHandle(await stateFolder());
    const store = new SessionStore({ handle });
    const ops = Array.from({ length: 300 }, async (_, i) => {
      await new Promise((resolve) => setTimeout(resolve, i % 7));
      return i % 3 === 0
        ? store.get(`k${i % 11}`, 'b')
        : store.recordSuccess({ sessionKey: `k${i % 11}`, backendId: 'b', cliSessionId: 's', cwd: '/w' });
    });
    await expect(Promise.all(ops)).resolves.toHaveLength(300);
    const turns = (await store.list()).reduce((sum, binding) => sum + binding.turns, 0);
    expect(turns).toBe(200);
  });

  it('idleCloseMs keeps the database open between users, then closes it', async () => {
    const handle = new LevelHandle(await stateFolder(), { idleCloseMs: 60_000 });
    await handle.useSublevel<number, void>('n', (sub) => sub.put('k', 1));
    expect(handle.status).toBe('open');
    await handle.useSublevel<number, number | undefined>('n', (sub) => sub.get('k'));
    expect(handle.openCount).toBe(1);
    await handle.close();
    expect(handle.status).toBe('closed');

    const short = new LevelHandle(handle.location, { idleCloseMs: 5 });
    await short.use(async () => undefined);
    await vi.waitFor(() => expect(short.status).toBe('closed'));
  });

  it('between operations the folder is not locked: another process can open it', async () => {
    const location = await stateFolder();
    const store = new SessionStore({ location });
    await store.recordSuccess({ sessionKey: 'k', backendId: 'b', cliSessionId: 's', cwd: '/w' });
    const holder = await holdLock(location);
    await holder.release();
    expect((await store.get('k', 'b'))?.turns).toBe(1);
  });

  it('a second process holding the lock makes open wait, then succeed once released', async () => {
    const location = await stateFolder();
    const holder = await holdLock(location);
    const retries: LockedRetryEvent[] = [];
    let released: Promise<void> | undefined;
    const store = new SessionStore({
      location,
      onLockedRetry: (event) => {
        retries.push(event);
        released ??= holder.release();
      },
    });

    const binding = await store.recordSuccess({ sessionKey: 'k', backendId: 'b', cliSessionId: 's', cwd: '/w' });
    await released;

    expect(binding.turns).toBe(1);
    expect(retries.length).toBeGreaterThan(0);
    expect(retries[0]).toMatchObject({ location, attempt: 1 });
    for (const [i, event] of retries.entries()) expect(event.attempt).toBe(i + 1);
  });

  it('a lock held longer than the retry budget gives SAFETYNET_STORE_LOCKED naming the folder', async () => {
    const location = await stateFolder();
    const holder = await holdLock(location);
    const store = new SessionStore({ location, budgetMs: 30, initialDelayMs: 1, maxDelayMs: 5 });

    const error = await store.get('k', 'b').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StoreError);
    expect(SafetynetError.is(error)).toBe(true);
    const storeError = error as StoreError;
    expect(storeError.code).toBe('SAFETYNET_STORE_LOCKED');
    expect(storeError.location).toBe(location);
    expect(storeError.message).toContain(`another safetynet process keeps ${location} open`);
    expect(storeError.message).toContain('SAFETYNET_HOME');
    expect((storeError.cause as { cause?: { code?: string } }).cause?.code).toBe('LEVEL_LOCKED');

    await holder.release();
    expect(await store.get('k', 'b')).toBeUndefined();
  });

  it('a folder that cannot be created gives SAFETYNET_STORE_FAILED naming it, with the cause', async () => {
    const file = path.join(await tempFolder(), 'not-a-folder');
    await writeFile(file, 'x');
    const location = path.join(file, 'state');
    const error = (await new SessionStore({ location }).list().catch((e: unknown) => e)) as StoreError;
    expect(error).toBeInstanceOf(StoreError);
    expect(error.code).toBe('SAFETYNET_STORE_FAILED');
    expect(error.location).toBe(location);
    expect(error.message).toContain(location);
    expect((error.cause as NodeJS.ErrnoException).code).toBe('ENOTDIR');
  });

  it('rejects bad options and arguments with a TypeError naming them', async () => {
    expect(() => new LevelHandle('')).toThrow(/`location`/);
    expect(() => new LevelHandle('/tmp/x', { idleCloseMs: -1 })).toThrow(/`idleCloseMs`/);
    expect(() => new LevelHandle('/tmp/x', { budgetMs: Number.NaN })).toThrow(/`budgetMs`/);
    expect(() => new LevelHandle('/tmp/x', { factor: 0.5 })).toThrow(/`factor`/);
    await expect(new LevelHandle('/tmp/x').useSublevel('', async () => undefined)).rejects.toThrow(/`name`/);
  });
});
