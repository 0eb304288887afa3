import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AttemptError, SessionBusyError } from '../../src/errors.js';
import { SessionLanes } from '../../src/runtime/session-lane.js';
import { FileLaneLocks } from '../../src/store/lanes/file-lane-locks.js';
import { laneLockPath } from '../../src/store/lanes/lane-lock-files.js';
import { type Child, cleanup, REPO, startNode, tempFolder, waitForLine } from '../store/support.js';

// The fixture runs the compiled lanes: test/global-setup.ts rebuilds dist/ when src/ is newer.
const LANE_HOLDER = path.join(REPO, 'test/fixtures/bin/lane-holder.mjs');
const STALE_MS = 2000;

afterEach(cleanup);

interface Setup {
  folder: string;
  log: string;
}

async function setup(): Promise<Setup> {
  const dir = await tempFolder();
  const log = path.join(dir, 'turns.log');
  await writeFile(log, '');
  return { folder: path.join(dir, 'state.lanes'), log };
}

/** `node lane-holder.mjs <folder> <key> <log> [holdMs] [waitMs] [staleMs] [barrier]`. */
function holder(s: Setup, key: string, options: { holdMs?: number; waitMs?: number; barrier?: number } = {}): Child {
  const { holdMs = 50, waitMs = 20_000, barrier = 0 } = options;
  return startNode(LANE_HOLDER, [s.folder, key, s.log, String(holdMs), String(waitMs), String(STALE_MS), String(barrier)]);
}

/** A holder that took the lane and holds it until `release` on stdin (or 30 s). Wrapped: a child is a thenable. */
async function liveHolder(s: Setup, key: string): Promise<{ child: Child }> {
  const child = holder(s, key, { holdMs: 30_000 });
  await waitForLine(child, 'holding');
  return { child };
}

async function logLines(log: string): Promise<string[]> {
  return (await readFile(log, 'utf8')).split('\n').filter((line) => line !== '');
}

/** The log as [event, pid] pairs, asserting that every start is followed by the end of the same pid. */
function expectStrictlyAlternating(lines: string[]): void {
  for (let i = 0; i < lines.length; i += 2) {
    const [start, pid] = (lines[i] ?? '').split(' ');
    expect(start, lines.join('\n')).toBe('start');
    expect(lines[i + 1], lines.join('\n')).toBe(`end ${pid}`);
  }
}

function lanesOn(s: Setup): SessionLanes {
  return new SessionLanes({ locks: new FileLaneLocks({ folder: s.folder, staleMs: STALE_MS }) });
}

describe('session lanes across processes', () => {
  it('turns of one key never overlap across processes', async () => {
    const s = await setup();
    const results = await Promise.all([1, 2, 3, 4, 5].map(() => holder(s, 'demo', { holdMs: 100 })));

    for (const result of results) expect(result, result.stdout + result.stderr).toMatchObject({ exitCode: 0 });
    const lines = await logLines(s.log);
    expect(lines).toHaveLength(10);
    expectStrictlyAlternating(lines);
    expect(new Set(lines.map((line) => line.split(' ')[1])).size).toBe(5);
  });

  it('turns of different keys run at the same time', async () => {
    const s = await setup();
    // each holds its lane until both have started: only possible when the two lanes are apart
    const results = await Promise.all([holder(s, 'one', { barrier: 2 }), holder(s, 'two', { barrier: 2 })]);

    for (const result of results) expect(result, result.stdout + result.stderr).toMatchObject({ exitCode: 0 });
    expect((await logLines(s.log)).map((line) => line.split(' ')[0])).toEqual(['start', 'start', 'end', 'end']);
  });

  it('a killed holder’s lock goes stale and the next turns proceed, one at a time', async () => {
    const s = await setup();
    const { child: killed } = await liveHolder(s, 'demo');
    killed.kill('SIGKILL');
    await killed;
    expect(existsSync(laneLockPath(s.folder, 'demo'))).toBe(true);

    const results = await Promise.all([1, 2, 3].map(() => holder(s, 'demo', { holdMs: 100 })));

    for (const result of results) expect(result, result.stdout + result.stderr).toMatchObject({ exitCode: 0 });
    const lines = await logLines(s.log);
    expect(lines[0]).toBe(`start ${killed.pid}`);
    expect(lines).toHaveLength(7);
    expectStrictlyAlternating(lines.slice(1));
  });

  it('waiting is bounded: a busy lane ends in SAFETYNET_SESSION_BUSY naming the key', async () => {
    const s = await setup();
    await liveHolder(s, 'chat/1 ünïcode');
    let ran = false;

    const error = await lanesOn(s)
      .run(
        'chat/1 ünïcode',
        async () => {
          ran = true;
        },
        { waitMs: 300 },
      )
      .catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(SessionBusyError);
    expect(error).toMatchObject({ code: 'SAFETYNET_SESSION_BUSY', sessionKey: 'chat/1 ünïcode' });
    expect((error as SessionBusyError).waitedMs).toBeGreaterThanOrEqual(300);
    expect((error as Error).message).toContain('"chat/1 ünïcode"');
    expect(ran).toBe(false);
  });

  it('a waiter aborted while another process holds the lane leaves no lock behind', async () => {
    const s = await setup();
    const { child } = await liveHolder(s, 'demo');
    const lanes = lanesOn(s);
    const controller = new AbortController();
    const waiting = lanes.run('demo', async () => 'ran', { waitMs: 20_000, signal: controller.signal }).catch((caught: unknown) => caught);
    await new Promise((resolve) => setTimeout(resolve, 200)); // let it poll the held lock a few times
    controller.abort();

    const error = await waiting;
    expect(error).toBeInstanceOf(AttemptError);
    expect(error).toMatchObject({ reason: 'aborted', code: 'SAFETYNET_ABORTED' });
    child.stdin.write('release\n');
    expect(await child).toMatchObject({ exitCode: 0 });
    expect(existsSync(laneLockPath(s.folder, 'demo'))).toBe(false);
    // free at once: no stale lock to wait out
    await expect(lanes.run('demo', async () => 'next', { waitMs: 0 })).resolves.toBe('next');
    expect(existsSync(laneLockPath(s.folder, 'demo'))).toBe(false);
  });
});

/** A task that runs until `finish()`; `started` resolves once it runs (the lock is taken before). */
function heldTask<T>(value: T) {
  let finish = (): void => {};
  let markStarted = (): void => {};
  const started = new Promise<void>((resolve) => (markStarted = resolve));
  const task = () =>
    new Promise<T>((resolve) => {
      finish = () => resolve(value);
      markStarted();
    });
  return { task, started, finish: () => finish() };
}

describe('session lanes in one process', () => {
  it('turns of one key run one at a time in call order', async () => {
    const lanes = lanesOn(await setup());
    const events: string[] = [];
    const turn = (n: number) => async () => {
      events.push(`start ${n}`);
      await new Promise((resolve) => setImmediate(resolve));
      events.push(`end ${n}`);
      return n;
    };

    const results = await Promise.all([0, 1, 2, 3, 4].map((n) => lanes.run('demo', turn(n), { waitMs: 20_000 })));

    expect(results).toEqual([0, 1, 2, 3, 4]);
    expect(events).toEqual([0, 1, 2, 3, 4].flatMap((n) => [`start ${n}`, `end ${n}`]));
  });

  it('a turn waiting behind another in this process is aborted without running, and the lane goes on', async () => {
    const s = await setup();
    const lanes = lanesOn(s);
    const held = heldTask('first');
    const first = lanes.run('demo', held.task, { waitMs: 1000 });
    await held.started;
    const controller = new AbortController();
    const second = lanes.run('demo', async () => 'second', { waitMs: 20_000, signal: controller.signal });
    const third = lanes.run('demo', async () => 'third', { waitMs: 20_000 });
    controller.abort();

    await expect(second).rejects.toMatchObject({ reason: 'aborted' });
    held.finish();
    await expect(first).resolves.toBe('first');
    await expect(third).resolves.toBe('third');
    expect(existsSync(laneLockPath(s.folder, 'demo'))).toBe(false);
  });

  it('a turn queued in this process past its wait is busy, not hung', async () => {
    const lanes = lanesOn(await setup());
    const held = heldTask(undefined);
    const first = lanes.run('demo', held.task, { waitMs: 1000 });
    await held.started;

    await expect(lanes.run('demo', async () => 'late', { waitMs: 50 })).rejects.toMatchObject({
      code: 'SAFETYNET_SESSION_BUSY',
      sessionKey: 'demo',
    });
    held.finish();
    await first;
  });

  it('the lock is released when the task throws, and the task’s error is passed on', async () => {
    const s = await setup();
    const lanes = lanesOn(s);
    const failure = new Error('turn failed');

    await expect(lanes.run('demo', () => Promise.reject(failure), { waitMs: 0 })).rejects.toBe(failure);
    expect(existsSync(laneLockPath(s.folder, 'demo'))).toBe(false);
  });

  it('a lock lost while held is a warning: the turn goes on and its result stands', async () => {
    const s = await setup();
    const warnings: string[] = [];
    let warned = (): void => {};
    const lost = new Promise<void>((resolve) => (warned = resolve));
    const locks = new FileLaneLocks({
      folder: s.folder,
      staleMs: STALE_MS,
      onWarning: (message) => {
        warnings.push(message);
        warned();
      },
    });
    const lanes = new SessionLanes({ locks });

    const result = await lanes.run(
      'demo',
      async () => {
        // as if another process had taken the lane over: the next refresh finds the lock gone
        await rm(laneLockPath(s.folder, 'demo'), { recursive: true });
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([lost, new Promise((resolve) => (timer = setTimeout(resolve, 10_000)))]); // bounded: no warning fails below
        clearTimeout(timer);
        return 'answered';
      },
      { waitMs: 0 },
    );

    expect(result).toBe('answered');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('"demo" was lost');
  });
});
