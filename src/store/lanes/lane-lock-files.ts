/**
 * The session lane lock files: their names, and the file-system adapter handed to proper-lockfile
 * for them: plain `node:fs` calls, except that removing a stale lock someone else held is done under a short "breaker" lock and only
 * when the lock is still stale at that moment.
 *
 * Rationale: `docs/sessions.md#session-lanes-across-processes`. proper-lockfile breaks a stale lock
 * with stat → rmdir → mkdir; two waiters that both saw the stale lock could otherwise both remove it,
 * the second one removing the fresh lock the first had just taken, and both would hold the lane.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** proper-lockfile's suffix: the lock of target `<folder>/<hash>` is the directory `<folder>/<hash>.lock`. */
export const LOCK_SUFFIX = '.lock';

/**
 * The target proper-lockfile locks for `sessionKey` in `folder` (an absolute path that need not exist):
 * the first 32 hex digits of the key's sha256. The raw key never appears in a path.
 */
export function laneLockTarget(folder: string, sessionKey: string): string {
  return path.resolve(folder, createHash('sha256').update(sessionKey).digest('hex').slice(0, 32));
}

/** Path of the lock of `sessionKey` in `folder`: {@link laneLockTarget} plus `.lock` (a directory, as proper-lockfile makes it). */
export function laneLockPath(folder: string, sessionKey: string): string {
  return laneLockTarget(folder, sessionKey) + LOCK_SUFFIX;
}

/** The callback-style `fs` subset proper-lockfile calls (its `fs` option). */
export interface LaneLockFs {
  mkdir: typeof fs.mkdir;
  stat: typeof fs.stat;
  utimes: typeof fs.utimes;
  rmdir: (path: string, callback: (error: NodeJS.ErrnoException | null) => void) => void;
  rmdirSync: typeof fs.rmdirSync;
}

/** Suffix of the breaker lock next to a lane lock (`<hash>.lock.break`). */
export const BREAKER_SUFFIX = '.break';

/**
 * A proper-lockfile `fs` adapter whose `rmdir` of a lock this process does not hold is guarded:
 * it takes `<lock>.break` (mkdir), re-reads the lock's mtime, removes the lock only when it is still
 * older than `staleMs`, then removes the breaker. A breaker busy with another process, or a lock
 * found fresh again, answers `ELOCKED` (proper-lockfile then reports the lane as held, and the
 * caller polls again). A breaker left by a process killed while breaking is itself stale after
 * `staleMs` and removed by the next waiter that finds it.
 *
 * @param staleMs - the lane lock's stale window, in ms (the same value proper-lockfile was given).
 * @param held - the lock paths this process holds now: their `rmdir` is a release, done directly.
 */
export function laneLockFs(staleMs: number, held: ReadonlySet<string>): LaneLockFs {
  const rmdir: LaneLockFs['rmdir'] = (lockPath, callback) => {
    if (held.has(lockPath)) {
      fs.rmdir(lockPath, callback);
      return;
    }
    breakStale(lockPath, staleMs, callback);
  };
  return { mkdir: fs.mkdir, stat: fs.stat, utimes: fs.utimes, rmdir, rmdirSync: fs.rmdirSync };
}

function breakStale(lockPath: string, staleMs: number, callback: (error: NodeJS.ErrnoException | null) => void): void {
  const breaker = lockPath + BREAKER_SUFFIX;
  fs.mkdir(breaker, (mkdirError) => {
    if (mkdirError !== null) {
      if (mkdirError.code !== 'EEXIST') return callback(mkdirError);
      // Another process is breaking this lock now, or was killed while doing so.
      return removeIfStale(breaker, staleMs, () => callback(lockedError(lockPath)));
    }
    const done = (error: NodeJS.ErrnoException | null): void => fs.rmdir(breaker, () => callback(error));
    fs.stat(lockPath, (statError, stat) => {
      if (statError !== null) return done(statError); // ENOENT: already gone, proper-lockfile takes it next
      if (!isStale(stat.mtimeMs, staleMs)) return done(lockedError(lockPath)); // taken over by another waiter
      fs.rmdir(lockPath, done);
    });
  });
}

function removeIfStale(dir: string, staleMs: number, then: () => void): void {
  fs.stat(dir, (error, stat) => {
    if (error === null && isStale(stat.mtimeMs, staleMs)) fs.rmdir(dir, () => then());
    else then();
  });
}

/** proper-lockfile's own staleness rule: not refreshed for more than `staleMs`. */
function isStale(mtimeMs: number, staleMs: number): boolean {
  return mtimeMs < Date.now() - staleMs;
}

/** The error proper-lockfile itself gives for a lock held by someone else. */
function lockedError(lockPath: string): NodeJS.ErrnoException {
  return Object.assign(new Error('Lock file is already being held'), { code: 'ELOCKED', path: lockPath });
}
