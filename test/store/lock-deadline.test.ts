/**
 * Lock waits are bounded by the caller's deadline (`withLockDeadline`), not by a fixed budget: a
 * request that has time waits for a locked folder as long as it has, one that has none gives up.
 * No wall-clock assertion: a wait that ignored the deadline would outlast the test's timeout.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StoreError } from '../../src/errors.js';
import { LevelHandle, type LockedRetryEvent } from '../../src/store/index.js';
import { lockDeadline, withLockDeadline } from '../../src/store/lock-deadline.js';
import { cleanup, holdLock, tempFolder } from './support.js';

afterEach(cleanup);

const code = (error: unknown) => (error instanceof StoreError ? error.code : error);

describe('lock waits bounded by the deadline', () => {
  it('a locked folder fails the open at the caller deadline, however long the handle budget', async () => {
    const location = path.join(await tempFolder(), 'state');
    const holder = await holdLock(location);
    const handle = new LevelHandle(location, { budgetMs: 600_000 }); // ignoring the deadline would outlast the test
    const error = await withLockDeadline(200, () => handle.use(async () => 'opened')).catch((e: unknown) => e);
    expect(code(error)).toBe('SAFETYNET_STORE_LOCKED');
    await holder.release();
  });

  it('a deadline longer than the handle budget lets the open wait until the lock is released', async () => {
    const location = path.join(await tempFolder(), 'state');
    const holder = await holdLock(location);
    let released: Promise<void> | undefined;
    const onLockedRetry = (event: LockedRetryEvent) => {
      if (event.attempt === 3) released ??= holder.release();
    };
    const handle = new LevelHandle(location, { budgetMs: 0, onLockedRetry }); // alone, a single attempt
    expect(await withLockDeadline(20_000, () => handle.use(async () => 'opened'))).toBe('opened');
    await released;
  });

  it("a user with time left opens again after another user's shorter wait ran out", async () => {
    const location = path.join(await tempFolder(), 'state');
    const holder = await holdLock(location);
    let released: Promise<void> | undefined;
    const handle = new LevelHandle(location, {
      budgetMs: 0,
      onLockedRetry: () => {
        released ??= holder.release(); // only the patient user retries: release the lock then
      },
    });
    const hasty = withLockDeadline(0, () => handle.use(async () => 'hasty'));
    const patient = withLockDeadline(20_000, () => handle.use(async () => 'patient'));
    expect(code(await hasty.catch((e: unknown) => e))).toBe('SAFETYNET_STORE_LOCKED');
    expect(await patient).toBe('patient');
    await released;
  });

  it('an inner bound never extends the outer one; outside of any bound there is none', () => {
    expect(lockDeadline()).toBeUndefined();
    withLockDeadline(100, () => {
      const outer = lockDeadline() ?? 0;
      withLockDeadline(60_000, () => expect(lockDeadline()).toBe(outer));
      withLockDeadline(Number.POSITIVE_INFINITY, () => expect(lockDeadline()).toBe(outer));
      withLockDeadline(0, () => expect(lockDeadline()).toBeLessThan(outer));
    });
    expect(() => withLockDeadline(Number.NaN, () => 0)).toThrow(TypeError);
  });
});
