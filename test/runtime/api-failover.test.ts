/**
 * The failover chain API first, CLI last, through the public runtime: a loopback Anthropic stub as
 * the primary (`models.providers`), the fixture CLI as the fallback, cooldowns in a real LevelDB.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_ANSWER_BYTES } from '../../src/actors/limits.js';
import { createRuntime, type RequestError, type Runtime } from '../../src/index.js';
import { CooldownStore } from '../../src/store/index.js';
import { fakeCliBackend } from '../contract/harnesses.js';
import { apiFirstConfig } from '../support/api-first-config.js';
import { startStubServer, type StubServer } from '../support/stub-server/index.js';

describe('API failover through the runtime', () => {
  let dir: string;
  let stub: StubServer;
  let runtime: Runtime;
  let fallback: Awaited<ReturnType<typeof fakeCliBackend>>;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'safetynet-api-failover-'));
    stub = await startStubServer({ modes: ['echo'] });
    fallback = await fakeCliBackend(join(dir, 'fallback'));
    runtime = await createRuntime({ config: config(), storeLocation: join(dir, 'state') });
  });

  /** The stub API as the primary, the fixture CLI as the fallback, and `safetynet` settings. */
  function config(safetynet: Record<string, unknown> = {}): never {
    return apiFirstConfig(stub.url, fallback, { safetynet });
  }

  afterEach(async () => {
    await runtime.close();
    await stub.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('a working API provider answers with backend "api"', async () => {
    const result = await runtime.run({ message: 'hello api' });
    expect(result).toMatchObject({ backend: 'api', model: 'stub/claude-test', cliSessionId: null });
    expect(result.text).toMatch(/^echo: hello api/);
  });

  for (const [mode, reason] of [
    [{ status: 429, retryAfter: 1 }, 'rate_limit'],
    [{ status: 529 }, 'overloaded'],
    [{ status: 500 }, 'server_error'],
    [{ status: 503 }, 'overloaded'],
    [{ status: 401 }, 'auth'],
    ['sseerror:overloaded_error', 'overloaded'],
    ['badjson', 'server_error'],
    ['reset', 'transport'],
    [`huge:${MAX_ANSWER_BYTES + 1}`, 'server_error'],
  ] as const) {
    it(`an API answering ${JSON.stringify(mode)} falls back to the CLI with reason ${reason}, after exactly one request`, async () => {
      stub.setModes([mode]);
      const result = await runtime.run({ message: 'fall back please' });
      expect(result.model).toBe(fallback.model);
      expect(result.attempts[0]).toMatchObject({ model: 'stub/claude-test', backend: 'api', ok: false, reason });
      expect(result.attempts[1]).toMatchObject({ model: fallback.model, backend: 'cli', ok: true });
      expect(stub.modelRequests()).toHaveLength(1);
    });
  }

  it('an API that does not answer is given up at the attempt deadline (timeout) and the CLI answers', async () => {
    stub.setModes(['hang']);
    const result = await runtime.run({ message: 'anyone?', timeoutMs: 1_000 });
    expect(result.attempts[0]).toMatchObject({ ok: false, reason: 'timeout' });
    expect(result.model).toBe(fallback.model);
  });

  it('a rate-limited provider is skipped while its Retry-After cooldown lasts, then tried again once it ends', async () => {
    stub.setModes([{ status: 429, retryAfter: 1 }, 'echo']);
    await runtime.run({ message: 'one' });
    const skipped = await runtime.run({ message: 'two' });
    expect(skipped.attempts[0]).toMatchObject({ model: 'stub/claude-test', skipped: true, reason: 'rate_limit' });
    expect(stub.modelRequests()).toHaveLength(1);
    // Bounded wait for the 1 s Retry-After cooldown to end (the test does not measure time).
    let back: Awaited<ReturnType<Runtime['run']>> | undefined;
    for (let i = 0; i < 40 && back?.backend !== 'api'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      back = await runtime.run({ message: 'three' });
    }
    expect(back?.backend).toBe('api');
  });

  it("a success clears the provider's cooldown: with an hour of Retry-After left it is no longer skipped", async () => {
    // Both candidates cool down for hours (written straight into the runtime's LevelDB), so the one
    // whose cooldown ends first, the API, is still tried, and answers.
    const cooldowns = new CooldownStore({ location: join(dir, 'state') });
    const now = Date.now();
    const rateLimited = (ref: string, provider: string, retryAfterMs: number) =>
      cooldowns.recordFailure({ ref, provider, failure: { reason: 'rate_limit', message: '429', retryAfterMs }, now });
    await rateLimited('stub/claude-test', 'stub', 3_600_000);
    await rateLimited(fallback.model, fallback.backendId, 7_200_000);
    const first = await runtime.run({ message: 'one' });
    expect(first.attempts).toEqual([expect.objectContaining({ model: 'stub/claude-test', ok: true })]);
    expect((await cooldowns.read(['stub/claude-test'])).has('stub/claude-test')).toBe(false);
    // The fallback recovers; only the cleared API cooldown lets the API go first again (its
    // Retry-After alone would last another hour, and it would be skipped for the fallback).
    await cooldowns.recordSuccess({ ref: fallback.model, provider: fallback.backendId });
    const second = await runtime.run({ message: 'two' });
    expect(second.attempts).toEqual([expect.objectContaining({ model: 'stub/claude-test', ok: true })]);
    expect(stub.modelRequests()).toHaveLength(2);
    await cooldowns.close();
  });

  it('with safetynet.retry.sameCandidateMaxMs, a short Retry-After is waited out and the same provider answers', async () => {
    stub.setModes([{ status: 429, retryAfter: 1 }, 'echo']);
    const retrying = await createRuntime({
      config: config({ retry: { sameCandidateMaxMs: 2_000 } }),
      storeLocation: join(dir, 'state-retry'),
    });
    const result = await retrying.run({ message: 'again' });
    await retrying.close();
    expect(result.attempts).toEqual([expect.objectContaining({ model: 'stub/claude-test', ok: true })]);
    expect(stub.modelRequests()).toHaveLength(2);
  });

  it('when every candidate fails, the error lists each attempt with its reason and the advice (retry after N s)', async () => {
    stub.setModes([{ status: 429, retryAfter: 7 }]);
    fallback.setMode('auth');
    const failure = (await runtime.run({ message: 'doomed' }).catch((error: unknown) => error)) as RequestError;
    expect(failure.code).toBe('SAFETYNET_ALL_CANDIDATES_FAILED');
    expect(failure.attempts.map((attempt) => attempt.reason)).toEqual(['rate_limit', 'auth']);
    expect(failure.message).toMatch(/stub\/claude-test: rate_limit .*retry after 7 s/);
    expect(failure.message).toMatch(/auth .*log the CLI in/);
    expect(failure.message).not.toContain('sk-stub-not-a-real-key');
  });

  it('a user abort during the API call stops the chain at once (no fallback)', async () => {
    stub.setModes(['hang']);
    const controller = new AbortController();
    const running = runtime.run({ message: 'wait', signal: controller.signal }).catch((error: unknown) => error);
    for (let i = 0; i < 100 && stub.modelRequests().length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    controller.abort();
    const failure = (await running) as RequestError;
    expect(failure.code).toBe('SAFETYNET_ABORTED');
    expect(failure.attempts).toEqual([expect.objectContaining({ model: 'stub/claude-test', reason: 'aborted' })]);
  });
});
