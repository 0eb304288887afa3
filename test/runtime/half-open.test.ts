/**
 * Half-open probes through the public runtime (`docs/failover-policy.md#half-open-probes`): a
 * loopback Anthropic stub as the primary, a second stub as the fallback, cooldowns in a real
 * LevelDB, and an injected clock (`RuntimeOptions.now`) instead of real time.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRuntime, type RunResult, type Runtime } from '../../src/index.js';
import { CooldownStore } from '../../src/store/index.js';
import { startStubServer, type StubMode, type StubServer } from '../support/stub-server/index.js';

const S = 1000;
const T0 = 1_700_000_000_000;
const PRIMARY = 'stub/claude-test';
const FALLBACK = 'backup/claude-test';

describe('half-open probes through the runtime', () => {
  let dir: string;
  let primary: StubServer;
  let backup: StubServer;
  let clock: number;
  /** The primary fails (overloaded) while the clock is before this time, then answers. */
  let recoversAt: number;
  const runtimes: Runtime[] = [];

  async function newRuntime(probeIntervalSeconds?: number): Promise<Runtime> {
    const runtime = await createRuntime({
      config: {
        agents: { defaults: { model: { primary: PRIMARY, fallbacks: [FALLBACK] } } },
        models: {
          providers: {
            stub: { api: 'anthropic-messages', baseUrl: primary.url, apiKey: 'sk-stub-not-a-real-key' },
            backup: { api: 'anthropic-messages', baseUrl: backup.url, apiKey: 'sk-stub-not-a-real-key' },
          },
        },
        ...(probeIntervalSeconds === undefined ? {} : { safetynet: { cooldowns: { probeIntervalSeconds } } }),
      } as never,
      storeLocation: join(dir, 'state'),
      now: () => clock,
    });
    runtimes.push(runtime);
    return runtime;
  }

  /** Runs one request at `at` (the injected clock) and waits for its cooldown writes. */
  async function runAt(runtime: Runtime, at: number): Promise<RunResult> {
    clock = at;
    const result = await runtime.run({ message: 'ping' });
    await runtime.traces.last(); // waits for the background cooldown writes
    return result;
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'safetynet-half-open-'));
    clock = T0;
    recoversAt = Number.POSITIVE_INFINITY;
    primary = await startStubServer({
      modes: (): StubMode => (clock < recoversAt ? { status: 529 } : 'ok'),
      requestBudget: 10_000,
    });
    backup = await startStubServer({ modes: ['ok'], requestBudget: 10_000 });
  });

  afterEach(async () => {
    await Promise.all(runtimes.splice(0).map((runtime) => runtime.close()));
    await primary.close();
    await backup.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('a cooled key admits exactly one probe per interval across concurrent requests', async () => {
    const runtime = await newRuntime();
    expect((await runAt(runtime, T0)).model).toBe(FALLBACK);
    expect(primary.modelRequests()).toHaveLength(1);
    clock = T0 + 5 * S;
    const results = await Promise.all(Array.from({ length: 6 }, () => runtime.run({ message: 'burst' })));
    expect(primary.modelRequests()).toHaveLength(2);
    const first = results.map((result) => result.attempts[0]);
    expect(first.filter((attempt) => attempt?.probe === true)).toEqual([
      expect.objectContaining({ model: PRIMARY, ok: false, reason: 'overloaded', probe: true }),
    ]);
    expect(first.filter((attempt) => attempt?.skipped === true)).toHaveLength(5);
    expect(results.every((result) => result.model === FALLBACK)).toBe(true);
  });

  it('two runtimes on one state folder: only one of their concurrent requests probes', async () => {
    const [one, two] = [await newRuntime(), await newRuntime()] as [Runtime, Runtime];
    await runAt(one, T0);
    clock = T0 + 5 * S;
    const results = await Promise.all([one, two, one, two].map((runtime) => runtime.run({ message: 'burst' })));
    expect(primary.modelRequests()).toHaveLength(2);
    expect(results.filter((result) => result.attempts[0]?.probe === true)).toHaveLength(1);
  });

  it('a successful probe closes the circuit: the next request uses the primary without a probe', async () => {
    const runtime = await newRuntime();
    await runAt(runtime, T0);
    recoversAt = T0 + S;
    const skipped = await runAt(runtime, T0 + 2 * S);
    expect(skipped.attempts[0]).toMatchObject({ model: PRIMARY, skipped: true, reason: 'overloaded' });
    const probe = await runAt(runtime, T0 + 5 * S);
    expect(probe.attempts).toEqual([expect.objectContaining({ model: PRIMARY, ok: true, probe: true })]);
    expect((await runtime.traces.find(probe.requestId))[0]?.attempts[0]).toMatchObject({ model: PRIMARY, ok: true, probe: true });
    const next = await runAt(runtime, T0 + 5 * S + 1);
    expect(next.attempts).toEqual([expect.objectContaining({ model: PRIMARY, ok: true })]);
    expect(next.attempts[0]?.probe).toBeUndefined();
  });

  it('a failed probe keeps the ladder step, and the next probe comes one interval after it', async () => {
    const runtime = await newRuntime();
    await runAt(runtime, T0);
    const probe = await runAt(runtime, T0 + 5 * S);
    expect(probe.attempts[0]).toMatchObject({ model: PRIMARY, probe: true, ok: false });
    const store = new CooldownStore({ location: join(dir, 'state') });
    expect((await store.read([PRIMARY], T0 + 5 * S)).get(PRIMARY)).toMatchObject({ failures: 1, since: T0, lastFailureAt: T0 + 5 * S });
    await store.close();
    expect((await runAt(runtime, T0 + 10 * S - 1)).attempts[0]).toMatchObject({ skipped: true, retryAfterMs: 1 });
    expect((await runAt(runtime, T0 + 10 * S)).attempts[0]).toMatchObject({ probe: true });
  });

  it('a candidate skipped for its cooldown carries retryAfterMs: the time until its next probe', async () => {
    const runtime = await newRuntime();
    await runAt(runtime, T0);
    const skipped = await runAt(runtime, T0 + 1200);
    expect(skipped.attempts[0]).toMatchObject({ model: PRIMARY, skipped: true, retryAfterMs: 3800 });
    expect(skipped.attempts[1]).toMatchObject({ model: FALLBACK, ok: true });
    expect((await runtime.traces.find(skipped.requestId))[0]?.attempts[0]).toMatchObject({ skipped: true, retryAfterMs: 3800 });
  });

  /** One request per simulated second from T0 on; the first second (from T0) the primary answers again. */
  async function secondPrimaryServesAgain(runtime: Runtime, seconds: number): Promise<number | undefined> {
    for (let s = 0; s <= seconds; s++) {
      const result = await runAt(runtime, T0 + s * S);
      if (s > 0 && result.model === PRIMARY) return s;
      if (s === 0) expect(result.model).toBe(FALLBACK);
    }
    return undefined;
  }

  it('a primary failing for 60 s serves again at the first probe after it recovered (within one 5 s interval)', async () => {
    recoversAt = T0 + 61 * S;
    const back = await secondPrimaryServesAgain(await newRuntime(), 120);
    expect(back).toBeGreaterThanOrEqual(61);
    expect(back).toBeLessThanOrEqual(66);
    // One failure, then one probe per 5 s: the outage costs the primary about 13 calls, not 61.
    expect(primary.modelRequests().length).toBeLessThanOrEqual(1 + 61 / 5 + 2);
  });

  it('with probes off (probeIntervalSeconds: 0) the same primary is only back after the 30 s + 60 s ladder', async () => {
    recoversAt = T0 + 61 * S;
    const back = await secondPrimaryServesAgain(await newRuntime(0), 120);
    expect(back).toBe(90);
  });
});
