import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AttemptFailure, FailureReason } from '../../src/errors.js';
import { COOLDOWNS_SUBLEVEL, CooldownStore, LevelHandle, SessionStore } from '../../src/store/index.js';
import { cleanup, REPO, startNode, tempFolder } from './support.js';

/** One cooldown operation through the compiled store in a child process (see the fixture's header). */
const COOLDOWN_OP = path.join(REPO, 'test/fixtures/bin/store-cooldown-op.mjs');

// The fixture imports the compiled store: test/global-setup.ts rebuilds dist/ when src/ is newer.

afterEach(cleanup);

const S = 1000;
const MIN = 60 * S;
const H = 60 * MIN;
const T0 = 1_700_000_000_000;
const opus = { ref: 'anthropic/claude-opus-4-6', provider: 'anthropic' };
const sonnet = { ref: 'anthropic/claude-sonnet-4-5', provider: 'anthropic' };

async function newStore(): Promise<CooldownStore> {
  return new CooldownStore({ location: path.join(await tempFolder(), 'state') });
}

function failure(reason: FailureReason, retryAfterMs?: number): AttemptFailure {
  return { reason, message: `${reason} in a test`, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
}

async function op(location: string, args: string[]): Promise<unknown> {
  const result = await startNode(COOLDOWN_OP, [location, ...args]);
  expect(result, result.stdout + result.stderr).toMatchObject({ exitCode: 0 });
  return JSON.parse(result.stdout) as unknown;
}

describe('CooldownStore (LevelDB only; the shared rules are in compliance/cooldown-storage.ts)', () => {
  it('cooldowns survive closing and reopening', async () => {
    const store = await newStore();
    const entry = await store.recordFailure({ ...opus, failure: failure('billing'), now: T0 });
    await store.close();
    const reopened = new CooldownStore({ location: store.location });
    expect((await reopened.read(['anthropic'], T0 + H)).get('anthropic')).toEqual(entry);
  });

  it('a stored value that is not an entry reads as absent and is replaced by the next failure', async () => {
    const store = await newStore();
    await new LevelHandle(store.location).useSublevel<unknown, void>(COOLDOWNS_SUBLEVEL, (sub) => sub.put(opus.ref, { until: 'soon' }));
    expect((await store.read([opus.ref], T0)).size).toBe(0);
    expect((await store.recordFailure({ ...opus, failure: failure('rate_limit'), now: T0 }))?.failures).toBe(1);
  });

  it('shares one folder and handle with the session store without collisions', async () => {
    const handle = new LevelHandle(path.join(await tempFolder(), 'state'));
    const cooldowns = new CooldownStore({ handle });
    const sessions = new SessionStore({ handle });
    await sessions.recordSuccess({ sessionKey: opus.ref, backendId: 'x', cliSessionId: 'id', cwd: '/w', now: T0 });
    await cooldowns.recordFailure({ ...opus, failure: failure('rate_limit'), now: T0 });
    expect(await cooldowns.list(T0)).toHaveLength(1);
    expect(await sessions.list()).toHaveLength(1);
  });
});

describe('CooldownStore across processes', () => {
  it('an entry written by one store instance is seen by another process', async () => {
    const location = path.join(await tempFolder(), 'state');
    const written = await new CooldownStore({ location }).recordFailure({ ...opus, failure: failure('overloaded', 12 * S), now: T0 });
    expect(await op(location, ['read', String(T0), opus.ref, 'anthropic'])).toEqual({ [opus.ref]: written });

    const fromChild = await op(location, ['record', sonnet.ref, sonnet.provider, 'auth', String(T0)]);
    expect((await new CooldownStore({ location }).read(['anthropic'], T0)).get('anthropic')).toEqual(fromChild);
  });

  it('a success in another process clears the cooldown here', async () => {
    const location = path.join(await tempFolder(), 'state');
    const store = new CooldownStore({ location });
    await store.recordFailure({ ...opus, failure: failure('billing'), now: T0 });
    await op(location, ['success', opus.ref, opus.provider]);
    expect((await store.read(['anthropic'], T0)).size).toBe(0);
  });

  it('processes failing at once during one outage step the ladder only once', async () => {
    const location = path.join(await tempFolder(), 'state');
    await Promise.all([1, 2, 3].map(() => op(location, ['record', opus.ref, opus.provider, 'rate_limit', String(T0), '-', '10'])));
    expect((await new CooldownStore({ location }).read([opus.ref], T0)).get(opus.ref)).toMatchObject({ failures: 1, until: T0 + 30 * S });
  });
});

describe('CooldownStore half-open probe claims', () => {
  const I = 5 * S;

  it('across processes sharing the folder, exactly one of simultaneous claims wins', async () => {
    const location = path.join(await tempFolder(), 'state');
    const store = new CooldownStore({ location });
    await store.recordFailure({ ...opus, failure: failure('overloaded'), now: T0 });
    await store.close();
    const results = await Promise.all([1, 2, 3, 4].map(() => op(location, ['claim', opus.ref, String(T0 + I), String(I)])));
    expect(results.filter((result) => (result as { claimed: boolean }).claimed)).toHaveLength(1);
  });
});
