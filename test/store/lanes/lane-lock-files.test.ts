import { existsSync } from 'node:fs';
import { mkdir, utimes } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SessionLanes } from '../../../src/runtime/session-lane.js';
import { FileLaneLocks } from '../../../src/store/lanes/file-lane-locks.js';
import { BREAKER_SUFFIX, laneLockFs, laneLockPath } from '../../../src/store/lanes/lane-lock-files.js';
import { cleanup, tempFolder } from '../support.js';

afterEach(cleanup);

const STALE_MS = 2000;

/** A lock directory as a holder leaves it, last refreshed `ageMs` ago. */
async function leftDirectory(dir: string, ageMs: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  const then = new Date(Date.now() - ageMs);
  await utimes(dir, then, then);
}

function lanesIn(folder: string): SessionLanes {
  return new SessionLanes({ locks: new FileLaneLocks({ folder, staleMs: STALE_MS }) });
}

async function lockOf(key: string): Promise<{ folder: string; lock: string }> {
  const folder = path.join(await tempFolder(), 'state.lanes');
  return { folder, lock: laneLockPath(folder, key) };
}

function rmdirWith(fs: ReturnType<typeof laneLockFs>, dir: string): Promise<unknown> {
  return new Promise((resolve) => fs.rmdir(dir, resolve));
}

describe('lane lock files', () => {
  it('lock file names never contain the raw key', () => {
    const name = path.basename(laneLockPath('/tmp/lanes', '../../etc/passwd'));
    expect(name).toMatch(/^[0-9a-f]{32}\.lock$/);
  });

  it('a stale lock left by a dead holder is taken over', async () => {
    const { folder, lock } = await lockOf('demo');
    await leftDirectory(lock, 10 * STALE_MS);

    await expect(lanesIn(folder).run('demo', async () => 'ran', { waitMs: 0 })).resolves.toBe('ran');
    expect(existsSync(lock)).toBe(false);
  });

  it('a waiter that saw the lock stale never removes the fresh lock another waiter has just taken', async () => {
    const { lock } = await lockOf('demo');
    await leftDirectory(lock, 0);

    const error = await rmdirWith(laneLockFs(STALE_MS, new Set()), lock);

    expect(error).toMatchObject({ code: 'ELOCKED' });
    expect(existsSync(lock)).toBe(true);
    expect(existsSync(lock + BREAKER_SUFFIX)).toBe(false);
  });

  it('the holder’s own release removes its lock', async () => {
    const { lock } = await lockOf('demo');
    await leftDirectory(lock, 0);

    expect(await rmdirWith(laneLockFs(STALE_MS, new Set([lock])), lock)).toBeNull();
    expect(existsSync(lock)).toBe(false);
  });

  it('a stale lock is not broken while another process is breaking it', async () => {
    const { folder, lock } = await lockOf('demo');
    await leftDirectory(lock, 10 * STALE_MS);
    await leftDirectory(lock + BREAKER_SUFFIX, 0);

    const run = lanesIn(folder).run('demo', async () => 'ran', { waitMs: 300 });

    await expect(run).rejects.toMatchObject({ code: 'SAFETYNET_SESSION_BUSY' });
    expect(existsSync(lock)).toBe(true);
  });

  it('a breaker left by a process killed while breaking goes stale too, and the lane proceeds', async () => {
    const { folder, lock } = await lockOf('demo');
    await leftDirectory(lock, 10 * STALE_MS);
    await leftDirectory(lock + BREAKER_SUFFIX, 10 * STALE_MS);

    await expect(lanesIn(folder).run('demo', async () => 'ran', { waitMs: 5000 })).resolves.toBe('ran');
    expect(existsSync(lock)).toBe(false);
    expect(existsSync(lock + BREAKER_SUFFIX)).toBe(false);
  });
});
