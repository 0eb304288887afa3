/**
 * `runtime.cooldowns` (the library side of `safetynet cooldowns`): list the cooldowns in force and
 * clear them by model ref, provider or all, on both stores: a real LevelDB in a temp folder and a
 * real `redis-server` on a loopback port. Entries are written through the same store port a failure
 * writes through (`CooldownStorage.recordFailure`).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRuntime, type Runtime, SafetynetError } from '../../src/index.js';
import { openStateStores } from '../../src/store/state-stores.js';
import type { StateStores } from '../../src/store/ports.js';
import { useRedis } from '../support/redis-rig.js';

const { redis, freshPrefix } = useRedis('cooldowns-api');
const NOW = Date.UTC(2026, 11, 1, 12);
const MINUTE = 60_000;

const PRIMARY = 'anthropic/claude-opus-4-6';
const FALLBACK = 'claude-cli/opus-4.6';
const OTHER = 'anthropic/claude-sonnet-4-5';

describe.each(['level', 'redis'] as const)('runtime.cooldowns on %s', (kind) => {
  let dir: string;
  let runtime: Runtime;
  let stores: StateStores;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'safetynet-cooldowns-api-'));
    const store = kind === 'redis' ? { store: { kind: 'redis' as const, url: redis().url, keyPrefix: freshPrefix() } } : {};
    runtime = await createRuntime({
      config: { agents: { defaults: { model: { primary: PRIMARY, fallbacks: [FALLBACK] } } }, safetynet: store },
      storeLocation: join(dir, 'state'),
      now: () => NOW,
    });
    const { config } = runtime;
    stores = await openStateStores({
      settings: config.store,
      location: join(dir, 'state'),
      idleCloseMs: 0,
      bounds: config.sessions,
      traces: config.traces,
    });
  });
  afterEach(async () => {
    await runtime.close();
    await stores.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function fail(ref: string, reason: 'auth' | 'rate_limit', at = NOW) {
    const provider = ref.slice(0, ref.indexOf('/'));
    await stores.cooldowns.recordFailure({ ref, provider, failure: { reason, message: reason }, now: at });
  }

  it('list shows the cooldowns in force, sorted by key, with the time left and the configured refs each blocks', async () => {
    await fail(PRIMARY, 'auth'); // provider scope: anthropic, 10 min
    await fail(FALLBACK, 'rate_limit'); // model scope, 30 s
    await fail(OTHER, 'rate_limit', NOW - 10 * MINUTE); // ended: not listed
    const views = await runtime.cooldowns.list();
    expect(views.map((v) => [v.key, v.scope, v.reason, v.failures, v.remainingMs, v.blocks])).toEqual([
      ['anthropic', 'provider', 'auth', 1, 10 * MINUTE, [PRIMARY]],
      [FALLBACK, 'model', 'rate_limit', 1, 30_000, [FALLBACK]],
    ]);
  });

  it("clearing a model ref removes what keeps it from being tried: its own and its provider's cooldown", async () => {
    await fail(PRIMARY, 'auth');
    await fail(PRIMARY, 'rate_limit');
    await fail(FALLBACK, 'rate_limit');
    expect(await runtime.cooldowns.clear(PRIMARY)).toEqual({ keys: ['anthropic', PRIMARY] });
    expect((await runtime.cooldowns.list()).map((v) => v.key)).toEqual([FALLBACK]);
  });

  it('clearing a provider removes its own cooldown and those of its models; --all removes every one', async () => {
    await fail(PRIMARY, 'auth');
    await fail(OTHER, 'rate_limit');
    await fail(FALLBACK, 'rate_limit');
    expect(await runtime.cooldowns.clear('Anthropic')).toEqual({ keys: ['anthropic', OTHER] });
    await fail(PRIMARY, 'auth');
    expect(await runtime.cooldowns.clear('all')).toEqual({ keys: ['anthropic', FALLBACK] });
    expect(await runtime.cooldowns.list()).toEqual([]);
  });

  it('a known ref without a cooldown clears nothing; an unknown one is a usage error that lists the known ones', async () => {
    expect(await runtime.cooldowns.clear(FALLBACK)).toEqual({ keys: [] });
    const error = await runtime.cooldowns.clear('antropic/claude-opus-4-6').catch((e: unknown) => e);
    expect(SafetynetError.is(error) && error.code).toBe('SAFETYNET_USAGE');
    expect((error as Error).message).toContain('"antropic/claude-opus-4-6"');
    expect((error as Error).message).toContain(`known: anthropic, ${PRIMARY}, claude-cli, ${FALLBACK}, codex-cli, gemini-cli, openai`);
  });
});

describe('runtime.cooldowns without a state folder', () => {
  it('lists none and clears nothing without creating the folder', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'safetynet-cooldowns-api-'));
    const runtime = await createRuntime({ config: {}, storeLocation: join(dir, 'state') });
    expect(await runtime.cooldowns.list()).toEqual([]);
    expect(await runtime.cooldowns.clear('all')).toEqual({ keys: [] });
    await runtime.close();
    expect(existsSync(join(dir, 'state'))).toBe(false);
    await rm(dir, { recursive: true, force: true });
  });
});
