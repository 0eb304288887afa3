/**
 * The compliance suite of `LaneLocks` (src/store/ports.ts): every backend (lock files, Redis leases)
 * passes the same tests. `laneLocksSuite(name, open)` registers them in a `describe`; the backend's
 * `open()` gives fresh, isolated locks per test.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { HeldLaneLock, LaneLocks } from '../../../src/store/ports.js';
import { type Child, cleanup, REPO, startNode } from '../support.js';

/** `node lane-lock-holder.mjs <args>` holds a lane lock in a child process (see the fixture). */
export const LANE_LOCK_HOLDER = path.join(REPO, 'test/fixtures/bin/lane-lock-holder.mjs');

/** The place of one test's locks, shared by every `locks()` it opens. */
export interface LaneLocksPlace {
  /** New locks on this place, as another process (or replica) opens them. */
  locks(): LaneLocks;
  /** Arguments of {@link LANE_LOCK_HOLDER} holding `sessionKey`'s lock on this place. */
  holderArgs(sessionKey: string): string[];
  /** After this long without a refresh a lock is taken over (the stale window, or the lease), in ms. */
  expiryMs: number;
  /** Close what `locks()` opened (connections) and remove the place. */
  close(): Promise<void>;
}

/** A child process holding a lock, and the token it printed (undefined when the backend has none). */
async function childHolder(place: LaneLocksPlace, sessionKey: string): Promise<{ child: Child; token: number | undefined }> {
  const child = startNode(LANE_LOCK_HOLDER, place.holderArgs(sessionKey));
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', () => {
      if (/^holding /m.test(output)) resolve();
    });
    void child.then((result) => reject(new Error(`holder exited before holding: ${result.stdout} ${result.stderr}`)));
  });
  const printed = /^holding (\S+)$/m.exec(output)?.[1];
  return { child, token: printed === undefined || printed === '-' ? undefined : Number(printed) };
}

/** Try `locks.tryAcquire(sessionKey)` every 20 ms, at most `boundMs` (a bound, not an assertion). */
async function acquireWithin(locks: LaneLocks, sessionKey: string, boundMs: number): Promise<HeldLaneLock | undefined> {
  for (let waited = 0; waited <= boundMs; waited += 20) {
    const held = await locks.tryAcquire(sessionKey);
    if (held !== undefined) return held;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return undefined;
}

/** Register the `LaneLocks` compliance tests of one backend. */
export function laneLocksSuite(name: string, open: () => Promise<LaneLocksPlace>): void {
  describe(`LaneLocks compliance: ${name}`, () => {
    const places: LaneLocksPlace[] = [];
    const opened: LaneLocks[] = [];
    async function place(): Promise<LaneLocksPlace> {
      const made = await open();
      places.push(made);
      return {
        ...made,
        locks: () => {
          const locks = made.locks();
          opened.push(locks);
          return locks;
        },
      };
    }
    afterEach(async () => {
      await cleanup();
      await Promise.all(opened.splice(0).map((locks) => locks.close()));
      await Promise.all(places.splice(0).map((made) => made.close()));
    });

    it('one holder at a time: a held lock is refused to other locks and to its own', async () => {
      const p = await place();
      const [a, b] = [p.locks(), p.locks()];

      const held = await a.tryAcquire('demo');
      expect(held).toBeDefined();
      expect(await b.tryAcquire('demo')).toBeUndefined();
      expect(await a.tryAcquire('demo')).toBeUndefined();
      await held?.release();
    });

    it('of many locks trying one key at once, exactly one gets it', async () => {
      const p = await place();
      const all = Array.from({ length: 10 }, () => p.locks());

      const tries = await Promise.all(all.map((locks) => locks.tryAcquire('demo')));

      expect(tries.filter((held) => held !== undefined)).toHaveLength(1);
      await Promise.all(tries.map((held) => held?.release()));
    });

    it('locks of different keys are apart', async () => {
      const p = await place();
      const [a, b] = [p.locks(), p.locks()];

      const one = await a.tryAcquire('one');
      const two = await b.tryAcquire('two ünïcode/../x');

      expect(one).toBeDefined();
      expect(two).toBeDefined();
      await Promise.all([one?.release(), two?.release()]);
    });

    it('a release lets the next holder in at once, and a second release is harmless', async () => {
      const p = await place();
      const [a, b] = [p.locks(), p.locks()];
      const held = await a.tryAcquire('demo');

      await held?.release();
      await held?.release();
      const next = await b.tryAcquire('demo');

      expect(next).toBeDefined();
      expect(await a.tryAcquire('demo')).toBeUndefined(); // the repeated release did not free the next hold
      await next?.release();
    });

    it('close() releases the locks still held', async () => {
      const p = await place();
      const [a, b] = [p.locks(), p.locks()];
      expect(await a.tryAcquire('demo')).toBeDefined();

      await a.close();

      const next = await b.tryAcquire('demo');
      expect(next).toBeDefined();
      await next?.release();
    });

    it('fencing tokens, when the backend has them, strictly increase per key across holders', async () => {
      const p = await place();
      const [a, b] = [p.locks(), p.locks()];
      const tokens: (number | undefined)[] = [];
      for (let i = 0; i < 6; i++) {
        const held = await (i % 2 === 0 ? a : b).tryAcquire('demo');
        expect(held).toBeDefined();
        tokens.push(held?.token);
        await held?.release();
      }

      if (tokens[0] === undefined) {
        expect(tokens.every((token) => token === undefined)).toBe(true);
        return;
      }
      for (let i = 1; i < tokens.length; i++) expect(tokens[i]).toBeGreaterThan(tokens[i - 1] as number);
    });

    it('a holder killed with SIGKILL stops refreshing, and its lock is taken over once expired, with a newer token', async () => {
      const p = await place();
      const { child, token } = await childHolder(p, 'demo');
      const locks = p.locks();
      expect(await locks.tryAcquire('demo')).toBeUndefined(); // held and refreshed by the child

      child.kill('SIGKILL');
      await child;
      const next = await acquireWithin(locks, 'demo', 10 * p.expiryMs + 5000);

      expect(next).toBeDefined();
      if (token !== undefined) expect(next?.token).toBeGreaterThan(token);
      await next?.release();
    });

    it('a live holder in another process keeps its lock past the expiry window, and its release lets the next in', async () => {
      const p = await place();
      const { child } = await childHolder(p, 'demo');
      const locks = p.locks();
      // A wait longer than the expiry window: a refreshed lock is never taken over.
      const taken = await acquireWithin(locks, 'demo', 2 * p.expiryMs);
      expect(taken).toBeUndefined();

      child.stdin.write('release\n');
      expect(await child).toMatchObject({ exitCode: 0 });
      const next = await locks.tryAcquire('demo');
      expect(next).toBeDefined();
      await next?.release();
    });
  });
}
