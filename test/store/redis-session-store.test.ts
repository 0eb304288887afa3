/**
 * Rules of the Redis session store that only Redis has: replicas (two stores on two connections)
 * writing one session key at once, the session lane's fence, the key prefix, outages. The
 * backend-independent rules are in the compliance suite.
 */
import { describe, expect, it } from 'vitest';
import type { TranscriptTurn } from '../../src/conversation/types.js';
import { RedisSessionStore } from '../../src/store/index.js';
import { type RigConnectOptions, useRedis } from '../support/redis-rig.js';
import { appendExchange, CLAUDE, exchange, texts } from './transcript-support.js';

const { redis, connect, freshPrefix } = useRedis('replicas');

/** `count` replicas: a store each, on its own connection, sharing one fresh key prefix. */
function replicas(count: number, options: RigConnectOptions = {}): RedisSessionStore[] {
  const keyPrefix = freshPrefix();
  return Array.from({ length: count }, (_, i) => new RedisSessionStore({ connection: connect(keyPrefix, options), hostId: `host-${i}` }));
}

/** One replica (`host-0`) and its connection, under a fresh key prefix. */
function replica(options: RigConnectOptions = {}) {
  const connection = connect(undefined, options);
  return { connection, store: new RedisSessionStore({ connection, hostId: 'host-0' }) };
}

/** Poll `fn` until it resolves (at most 100 tries, 50 ms apart). */
async function eventually<T>(fn: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (error) {
      if (i >= 100) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

describe('RedisSessionStore (Redis only)', () => {
  it('two replicas appending to one session key at once: exactly one wins, the other conflicts, nothing is half-written', async () => {
    const [a, b] = replicas(2) as [RedisSessionStore, RedisSessionStore];
    for (let round = 1; round <= 20; round++) {
      // Both replicas read the same transcript, then both commit on it: only one append can land.
      const [seenA, seenB] = await Promise.all([a.transcript('chat'), b.transcript('chat')]);
      const lastA = seenA.turns.at(-1);
      const lastB = seenB.turns.at(-1);
      const [ra, rb] = await Promise.allSettled([
        a.commitTurn({
          sessionKey: 'chat',
          write: { mode: 'append', storedSeq: lastA?.seq ?? 0 },
          turns: exchange(2 * round, lastA),
          binding: CLAUDE,
          now: 1000 + 2 * round,
        }),
        b.commitTurn({
          sessionKey: 'chat',
          write: { mode: 'append', storedSeq: lastB?.seq ?? 0 },
          turns: exchange(2 * round + 1, lastB),
          binding: { ...CLAUDE, cliSessionId: `sess-${round}` },
          now: 1001 + 2 * round,
        }),
      ]);
      expect([ra.status, rb.status].sort(), `round ${round}`).toEqual(['fulfilled', 'rejected']);
      const lost = (ra.status === 'rejected' ? ra : rb) as PromiseRejectedResult;
      expect(lost.reason).toMatchObject({ code: 'SAFETYNET_TRANSCRIPT_CONFLICT' });
      const won = (ra.status === 'fulfilled' ? ra : rb) as PromiseFulfilledResult<Awaited<ReturnType<RedisSessionStore['commitTurn']>>>;

      const { turns } = await b.transcript('chat');
      expect(turns.map((turn) => turn.seq)).toEqual(turns.map((_, i) => i + 1));
      expect(turns).toHaveLength(2 * round);
      const winner = ra.status === 'fulfilled' ? 2 * round : 2 * round + 1;
      expect(texts(turns.slice(-2))).toEqual([`q${winner}`, `a${winner}`]);
      const last = turns.at(-1) as TranscriptTurn;
      expect(await a.get('chat', 'claude-cli')).toEqual(won.value.binding);
      expect(won.value.binding).toMatchObject({ seenSeq: last.seq, seenDigest: last.digest });
      expect(await a.conversations()).toMatchObject([{ sessionKey: 'chat', turns: 2 * round, lastSeq: 2 * round }]);
    }
  });

  it('bindings recorded by two replicas at once are all counted', async () => {
    const [a, b] = replicas(2) as [RedisSessionStore, RedisSessionStore];
    const success = { sessionKey: 'chat', backendId: 'claude-cli', cliSessionId: 'sess-A', cwd: '/w' };
    await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? a : b).recordSuccess({ ...success, now: i })));
    expect((await a.get('chat', 'claude-cli'))?.turns).toBe(40);
  });

  it('a commit whose session lane fence moved (the lease was lost to another turn) is refused and writes nothing', async () => {
    const { store, connection } = replica();
    const fenceKey = connection.key('fence', 'chat');
    await appendExchange(store, 'chat', 1, { binding: CLAUDE });
    const before = [await store.transcript('chat'), await store.get('chat', 'claude-cli'), await store.conversations()];

    const token = await connection.run('take the lane', (c) => c.incr(fenceKey));
    connection.fences.set('chat', token);
    expect(await appendExchange(store, 'chat', 2)).toMatchObject({ lastSeq: 4 }); // the fence is ours
    await connection.run('take the lane elsewhere', (c) => c.incr(fenceKey)); // another replica acquired the lane

    const lost = appendExchange(store, 'chat', 3, { binding: { ...CLAUDE, cliSessionId: 'sess-B' } });
    await expect(lost).rejects.toMatchObject({ code: 'SAFETYNET_TRANSCRIPT_CONFLICT' });
    await expect(lost).rejects.toThrow(/lease was lost to another turn/);
    const binding = store.recordSuccess({ sessionKey: 'chat', ...CLAUDE, cliSessionId: 'sess-C', now: 5 });
    await expect(binding).rejects.toThrow(/lease was lost/);
    expect(texts((await store.transcript('chat')).turns)).toEqual(['q1', 'a1', 'q2', 'a2']);
    expect(await store.get('chat', 'claude-cli')).toEqual(before[1]);

    connection.fences.delete('chat'); // no lane held: no fence check
    expect(await appendExchange(store, 'chat', 4)).toMatchObject({ lastSeq: 6 });
  });

  it('every key the store writes starts with the key prefix', async () => {
    // Database 1 holds only this test's keys.
    const url = redis().url.replace(/\/0$/, '/1');
    const { store, connection } = replica({ url });
    await appendExchange(store, 'a:b *', 1, { binding: CLAUDE });
    await store.recordSuccess({ sessionKey: 'ä🙂', ...CLAUDE, now: 1 });
    await appendExchange(store, 'other', 1);
    await store.reset('other');
    const keys = await connection.run('list keys', (c) => c.keys('*'));
    expect(keys.length).toBeGreaterThanOrEqual(4);
    for (const key of keys) expect(key.startsWith(connection.prefix), key).toBe(true);
    expect(await store.conversations()).toHaveLength(1);
    expect(await store.list()).toHaveLength(2);
  });

  it('Redis down: commits and reads fail with SAFETYNET_STORE_UNAVAILABLE, and the store works again when it is back', async () => {
    const { store } = replica({ commandTimeoutMs: 300 });
    await appendExchange(store, 'chat', 1);
    const last = (await store.transcript('chat')).turns.at(-1);
    await redis().pause();
    try {
      const commit = store.commitTurn({ sessionKey: 'chat', write: { mode: 'append', storedSeq: 2 }, turns: exchange(2, last) });
      await expect(commit).rejects.toMatchObject({ code: 'SAFETYNET_STORE_UNAVAILABLE', location: store.location });
      await expect(store.transcript('chat')).rejects.toMatchObject({ code: 'SAFETYNET_STORE_UNAVAILABLE' });
      await expect(store.recordSuccess({ sessionKey: 'chat', ...CLAUDE })).rejects.toMatchObject({ code: 'SAFETYNET_STORE_UNAVAILABLE' });
    } finally {
      await redis().resume();
    }
    // The test server keeps nothing across a restart; the store reconnects by itself.
    expect(await eventually(() => store.transcript('chat'))).toEqual({ turns: [], dropped: 0 });
    expect(await appendExchange(store, 'chat', 3)).toMatchObject({ lastSeq: 2 });
  });

  it('Redis stalled longer than the command timeout: nothing stored is lost, and a failed commit is not half-written', async () => {
    const { store, connection } = replica({ commandTimeoutMs: 200 });
    await appendExchange(store, 'chat', 1, { binding: CLAUDE });
    const before = [await store.transcript('chat'), await store.get('chat', 'claude-cli')];
    await connection.run('stall the server', (c) => c.call('CLIENT', 'PAUSE', '1000', 'ALL'));
    const commit = appendExchange(store, 'chat', 2, { binding: { ...CLAUDE, cliSessionId: 'sess-B' } });
    await expect(commit).rejects.toMatchObject({ code: 'SAFETYNET_STORE_UNAVAILABLE' });
    const after = await eventually(async () => [await store.transcript('chat'), await store.get('chat', 'claude-cli')]);
    expect(after).toEqual(before);
  });

  it('stored values that are not bindings read as absent, and a missing meta record is rebuilt from the turns', async () => {
    const { store, connection } = replica();
    await connection.run('store junk', (c) => c.hset(connection.key('session', 'binding', 'chat'), 'claude-cli', 'not json'));
    expect(await store.get('chat', 'claude-cli')).toBeUndefined();
    expect(await store.list()).toEqual([]);
    expect((await store.recordSuccess({ sessionKey: 'chat', ...CLAUDE, now: 7 })).turns).toBe(1);

    for (let n = 1; n <= 2; n++) await appendExchange(store, 'chat', n);
    await connection.run('lose the meta record', (c) => c.del(connection.key('session', 'meta', 'chat')));
    expect(await store.conversations()).toEqual([]);
    expect(await appendExchange(store, 'chat', 3, { now: 77 })).toMatchObject({ turns: 6, dropped: 0, lastSeq: 6 });
    expect(await store.conversations()).toEqual([{ sessionKey: 'chat', turns: 6, dropped: 0, lastSeq: 6, updatedAt: 77 }]);
  });

  it('transcript bounds out of range, or an empty hostId, are a TypeError naming them', () => {
    const connection = connect();
    expect(() => new RedisSessionStore({ connection, bounds: { maxTurns: 1, maxChars: 10 } })).toThrow(/`bounds.maxTurns`/);
    expect(() => new RedisSessionStore({ connection, bounds: { maxTurns: 2, maxChars: 0 } })).toThrow(/`bounds.maxChars`/);
    expect(() => new RedisSessionStore({ connection, hostId: '' })).toThrow(/`hostId`/);
  });

  it('closing the store leaves the shared connection open', async () => {
    const { store, connection } = replica();
    await appendExchange(store, 'chat', 1);
    await store.close();
    expect((await connection.health()).ok).toBe(true);
    expect(texts((await store.transcript('chat')).turns)).toEqual(['q1', 'a1']);
  });
});
