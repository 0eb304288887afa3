/**
 * Bounded CLI concurrency per backend (`maxConcurrent`, `maxQueue`) through the public runtime,
 * with real child processes (`test/fixtures/bin/slot-counter.sh` counts its live instances), a
 * loopback Anthropic stub as the fallback, and a real LevelDB in a temp folder.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRuntime, type RequestError, type Runtime } from '../../src/index.js';
import { CooldownStore } from '../../src/store/index.js';
import { livePidsWithEnv } from '../support/processes.js';
import { startStubServer, type StubServer } from '../support/stub-server/index.js';

const SLOT_COUNTER = join(import.meta.dirname, '../fixtures/bin/slot-counter.sh');
const CLI = 'slots/default';
const API = 'stub/claude-test';

describe('CLI backend slots (maxConcurrent, maxQueue)', () => {
  let dir: string;
  let slotDir: string;
  let runtime: Runtime | undefined;
  let stub: StubServer | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'safetynet-slots-'));
    slotDir = join(dir, 'slots');
  });
  afterEach(async () => {
    await runtime?.close();
    await stub?.close();
    runtime = undefined;
    stub = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  /** A runtime whose primary is the slot-counter backend (with `limits`), optionally falling back to an API stub. */
  async function slotRuntime(limits: { maxConcurrent: number; maxQueue: number }, options: { apiFallback?: boolean } = {}) {
    const providers = {} as Record<string, unknown>;
    if (options.apiFallback === true) {
      stub = await startStubServer({ modes: ['echo'] });
      providers['stub'] = { api: 'anthropic-messages', baseUrl: stub.url, apiKey: 'sk-stub-not-a-real-key' };
    }
    runtime = await createRuntime({
      config: {
        agents: {
          defaults: {
            model: { primary: CLI, fallbacks: options.apiFallback === true ? [API] : [] },
            cliBackends: { slots: { command: SLOT_COUNTER, output: 'json', sessionMode: 'none', env: { SLOT_DIR: slotDir }, ...limits } },
          },
        },
        models: { providers },
      } as never,
      storeLocation: join(dir, 'state'),
    });
    return runtime;
  }

  /** How many slot-counter runs started, and how many of its instances each saw alive (itself included). */
  function counts(): number[] {
    const file = join(slotDir, 'counts.log');
    if (!existsSync(file)) return [];
    return readFileSync(file, 'utf8').trim().split('\n').map(Number);
  }

  /** The live slot-counter processes this test process spawned (not their `sleep`/`ls` children), read from /proc. */
  async function liveCliProcesses(): Promise<number> {
    let count = 0;
    for (const pid of await livePidsWithEnv(`SLOT_DIR=${slotDir}`)) {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (parent === process.pid) count++;
    }
    return count;
  }

  /** Polls `check` until it holds (bounded: at most ~10 s). */
  async function until(check: () => boolean): Promise<void> {
    for (let i = 0; i < 1000 && !check(); i++) await sleep(10);
    expect(check()).toBe(true);
  }

  /**
   * Run one turn (the state and slot folders then exist), then start a turn whose process holds the
   * backend's slot until `release()` aborts it; resolves once that process runs.
   */
  async function holdTheOnlySlot(rt: Runtime): Promise<{ release: () => Promise<unknown> }> {
    await rt.run({ message: 'warm up' });
    writeFileSync(join(slotDir, 'sleep'), '30');
    const holder = new AbortController();
    const blocker = rt.run({ message: 'blocker', signal: holder.signal }).catch((error: unknown) => error);
    await until(() => counts().length === 2);
    return {
      release: () => {
        holder.abort();
        return blocker;
      },
    };
  }

  it('200 concurrent runs against maxConcurrent 2, maxQueue 200: never more than 2 processes alive, none lost, all answered', async () => {
    const rt = await slotRuntime({ maxConcurrent: 2, maxQueue: 200 });
    const messages = Array.from({ length: 200 }, (_, n) => `turn ${n}`);
    let settled = false;
    const runs = Promise.all(messages.map((message) => rt.run({ message })));
    runs.then(
      () => (settled = true),
      () => (settled = true),
    );
    const peak = { processes: 0, running: 0, waiting: 0 };
    // Sample until every run has settled (each is bounded by its attempt deadline).
    while (!settled) {
      const stats = rt.cliStats();
      peak.running = Math.max(peak.running, stats.running, stats.byBackend['slots']?.running ?? 0);
      peak.waiting = Math.max(peak.waiting, stats.waiting);
      peak.processes = Math.max(peak.processes, await liveCliProcesses());
      await sleep(5);
    }
    const results = await runs;
    expect(results.map((result) => result.text)).toEqual(messages.map((message) => `answer: ${message}`));
    expect(results.every((result) => result.attempts.length === 1 && result.model === CLI)).toBe(true);
    const seen = counts();
    expect(seen).toHaveLength(200);
    expect(Math.max(...seen)).toBe(2); // the limit was reached, and never passed
    expect(peak.processes).toBeLessThanOrEqual(2);
    expect(peak.running).toBeLessThanOrEqual(2);
    expect(peak.waiting).toBeGreaterThan(0);
    expect(rt.cliStats()).toEqual({ running: 0, waiting: 0, byBackend: {} });
  });

  it('a full queue fails the turn with queue_full at once, spawns nothing, falls back to the API, and cools nothing down', async () => {
    const rt = await slotRuntime({ maxConcurrent: 1, maxQueue: 0 }, { apiFallback: true });
    const blocker = await holdTheOnlySlot(rt);

    const result = await rt.run({ message: 'overflow' });
    expect(result.attempts[0]).toMatchObject({
      model: CLI,
      backend: 'cli',
      ok: false,
      reason: 'queue_full',
      retryAfterMs: expect.any(Number),
    });
    expect(result.attempts[0]?.retryAfterMs).toBeGreaterThan(0);
    expect(result).toMatchObject({ model: API, backend: 'api' });
    expect(result.text).toMatch(/^echo: overflow/);
    // answered while the blocker still holds the only slot: the turn never waited, and never spawned
    expect(rt.cliStats()).toEqual({ running: 1, waiting: 0, byBackend: { slots: { running: 1, waiting: 0 } } });
    expect(counts()).toHaveLength(2);

    expect(await blocker.release()).toMatchObject({ code: 'SAFETYNET_ABORTED' });
    writeFileSync(join(slotDir, 'sleep'), '0');
    // not cooled: the next request tries the CLI first again, and it answers
    expect(await rt.run({ message: 'after' })).toMatchObject({ model: CLI, text: 'answer: after', attempts: [{ ok: true }] });
    await rt.close();
    expect(await new CooldownStore({ location: join(dir, 'state') }).clear()).toBe(0); // no entry was ever written
  });

  it('without another candidate, a full queue ends the request with queue_full and its Retry-After estimate', async () => {
    const rt = await slotRuntime({ maxConcurrent: 1, maxQueue: 0 });
    const blocker = await holdTheOnlySlot(rt);
    const error = (await rt.run({ message: 'overflow' }).catch((e: unknown) => e)) as RequestError;
    expect(error.code).toBe('SAFETYNET_ALL_CANDIDATES_FAILED');
    expect(error.attempts).toEqual([expect.objectContaining({ model: CLI, reason: 'queue_full', retryAfterMs: expect.any(Number) })]);
    expect(error.message).toMatch(/maxConcurrent or maxQueue/);
    await blocker.release();
  });

  it('an aborted waiting turn leaves the queue without spawning, and its place goes to the next turn', async () => {
    const rt = await slotRuntime({ maxConcurrent: 1, maxQueue: 1 });
    const blocker = await holdTheOnlySlot(rt);

    const leaving = new AbortController();
    const waiter = rt.run({ message: 'waiter', signal: leaving.signal }).catch((error: unknown) => error);
    await until(() => rt.cliStats().waiting === 1);
    leaving.abort();
    expect(await waiter).toMatchObject({ code: 'SAFETYNET_ABORTED' });
    expect(rt.cliStats()).toMatchObject({ running: 1, waiting: 0 });

    writeFileSync(join(slotDir, 'sleep'), '0');
    const next = rt.run({ message: 'next' });
    await until(() => rt.cliStats().waiting === 1); // the line (maxQueue 1) has room again
    await blocker.release();
    expect((await next).text).toBe('answer: next');
    expect(counts()).toHaveLength(3); // warm up, blocker, next: the aborted waiter never spawned
  });

  it('a turn still waiting for a slot at its attempt deadline fails with queue_full, spawning nothing', async () => {
    const rt = await slotRuntime({ maxConcurrent: 1, maxQueue: 5 });
    const blocker = await holdTheOnlySlot(rt);
    const error = (await rt.run({ message: 'late', timeoutMs: 300 }).catch((e: unknown) => e)) as RequestError;
    expect(error.attempts).toEqual([expect.objectContaining({ model: CLI, reason: 'queue_full' })]);
    expect(rt.cliStats()).toMatchObject({ running: 1, waiting: 0 });
    expect(counts()).toHaveLength(2); // warm up and blocker only
    await blocker.release();
  });
});
