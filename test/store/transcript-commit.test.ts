import { afterEach, describe, expect, it } from 'vitest';
import { chainTurns } from '../../src/conversation/digest.js';
import { StoreError } from '../../src/errors.js';
import { LevelHandle, SessionStore } from '../../src/store/index.js';
import { cleanup } from './support.js';
import { appendExchange, CLAUDE, exchange, newStore, texts } from './transcript-support.js';

afterEach(cleanup);

describe('SessionStore transcripts: commit and read', () => {
  it('committed exchanges read back in order with their seq, digest and stamped time', async () => {
    const store = await newStore();
    expect(await store.transcript('chat')).toEqual({ turns: [], dropped: 0 });

    const first = exchange(1, undefined);
    expect(await store.commitTurn({ sessionKey: 'chat', write: { mode: 'append', storedSeq: 0 }, turns: first, now: 500 })).toEqual({
      turns: 2,
      dropped: 0,
      lastSeq: 2,
      binding: undefined,
    });
    const second = exchange(2, first[1]);
    second[0] = { ...(second[0] as (typeof second)[0]), at: 42 };
    await store.commitTurn({ sessionKey: 'chat', write: { mode: 'append', storedSeq: 2 }, turns: second, now: 900 });
    await store.close();

    const reopened = new SessionStore({ location: store.location });
    const { turns, dropped } = await reopened.transcript('chat');
    expect(dropped).toBe(0);
    expect(turns).toEqual([
      { ...first[0], at: 500 },
      { ...first[1], at: 500 },
      { ...second[0], at: 42 },
      { ...second[1], at: 900 },
    ]);
    expect(turns.map((t) => t.seq)).toEqual([1, 2, 3, 4]);
    expect(turns.map((t) => t.digest)).toEqual([...first, ...second].map((t) => t.digest));
  });

  it('a transcript keeps at most maxTurns turns, dropping the oldest and counting them', async () => {
    const store = await newStore({ bounds: { maxTurns: 4, maxChars: 1_000_000 } });
    for (let n = 1; n <= 4; n++) await appendExchange(store, 'chat', n);
    expect(await appendExchange(store, 'chat', 5)).toMatchObject({ turns: 4, dropped: 6, lastSeq: 10 });
    const { turns, dropped } = await store.transcript('chat');
    expect(dropped).toBe(6);
    expect(texts(turns)).toEqual(['q4', 'a4', 'q5', 'a5']);
    expect(turns.map((turn) => turn.seq)).toEqual(turns.map((_, i) => dropped + i + 1));
    expect(await store.conversations()).toEqual([{ sessionKey: 'chat', turns: 4, dropped: 6, lastSeq: 10, updatedAt: 1005 }]);
  });

  it('a transcript keeps at most maxChars characters of text, dropping the oldest turns', async () => {
    const store = await newStore({ bounds: { maxTurns: 100, maxChars: 150 } });
    for (let n = 1; n <= 3; n++) await appendExchange(store, 'chat', n, { size: 30 });
    const { turns, dropped } = await store.transcript('chat');
    expect(dropped).toBe(1);
    expect(turns.map((t) => t.text.slice(0, 2))).toEqual(['a1', 'q2', 'a2', 'q3', 'a3']);
    expect(turns.reduce((sum, t) => sum + t.text.length, 0)).toBeLessThanOrEqual(150);
  });

  it('the exchange just answered is never dropped, even when it alone exceeds the bounds', async () => {
    const store = await newStore({ bounds: { maxTurns: 2, maxChars: 10 } });
    await appendExchange(store, 'chat', 1, { size: 50 });
    const result = await appendExchange(store, 'chat', 2, { size: 50 });
    expect(result).toMatchObject({ turns: 2, dropped: 2, lastSeq: 4 });
    expect(texts((await store.transcript('chat')).turns).map((t) => t.slice(0, 2))).toEqual(['q2', 'a2']);
  });

  it('a commit of many turns over the bounds drops its own older turns, never its last two', async () => {
    const store = await newStore({ bounds: { maxTurns: 3, maxChars: 1_000_000 } });
    await appendExchange(store, 'chat', 1);
    const { turns: stored } = await store.transcript('chat');
    const catchUp = chainTurns(
      [...exchange(2, undefined), ...exchange(3, undefined)].map(({ seq: _s, digest: _d, ...turn }) => turn),
      stored[1],
    );
    const result = await store.commitTurn({ sessionKey: 'chat', write: { mode: 'append', storedSeq: 2 }, turns: catchUp, now: 1 });
    expect(result).toMatchObject({ turns: 3, dropped: 3, lastSeq: 6 });
    const { turns, dropped } = await store.transcript('chat');
    expect([dropped, ...texts(turns)]).toEqual([3, 'a2', 'q3', 'a3']);
  });

  it('replace deletes the stored turns and writes the new conversation from seq 1', async () => {
    const store = await newStore({ bounds: { maxTurns: 4, maxChars: 1_000_000 } });
    for (let n = 1; n <= 4; n++) await appendExchange(store, 'chat', n);
    const replacement = [...exchange(7, undefined)];
    const result = await store.commitTurn({ sessionKey: 'chat', write: { mode: 'replace' }, turns: replacement, now: 1 });
    expect(result).toMatchObject({ turns: 2, dropped: 0, lastSeq: 2 });
    expect(await store.transcript('chat')).toEqual({ turns: replacement.map((t) => ({ ...t, at: 1 })), dropped: 0 });
    const after = await appendExchange(store, 'chat', 8);
    expect(after).toMatchObject({ turns: 4, dropped: 0, lastSeq: 4 });
  });

  it('a failed commit never changes the transcript or the binding: a stale storedSeq is a conflict', async () => {
    const store = await newStore();
    await appendExchange(store, 'chat', 1, { binding: CLAUDE });
    const transcript = await store.transcript('chat');
    const binding = await store.get('chat', 'claude-cli');
    const conversations = await store.conversations();

    const stale = store.commitTurn({
      sessionKey: 'chat',
      write: { mode: 'append', storedSeq: 0 },
      turns: exchange(2, undefined),
      binding: { ...CLAUDE, cliSessionId: 'sess-B' },
    });
    await expect(stale).rejects.toBeInstanceOf(StoreError);
    await expect(stale).rejects.toMatchObject({ code: 'SAFETYNET_TRANSCRIPT_CONFLICT', location: store.location });
    await expect(stale).rejects.toThrow(/"chat".*seq 2.*seq 0/);
    expect(await store.transcript('chat')).toEqual(transcript);
    expect(await store.get('chat', 'claude-cli')).toEqual(binding);
    expect(await store.conversations()).toEqual(conversations);
  });

  it('two commits built on the same stored seq at once: one is stored, the other conflicts', async () => {
    const store = await newStore();
    const [a, b] = await Promise.allSettled([appendExchange(store, 'chat', 1), appendExchange(store, 'chat', 2)]);
    expect([a.status, b.status].sort()).toEqual(['fulfilled', 'rejected']);
    expect(((a.status === 'rejected' ? a : b) as PromiseRejectedResult).reason).toMatchObject({ code: 'SAFETYNET_TRANSCRIPT_CONFLICT' });
    expect((await store.transcript('chat')).turns).toHaveLength(2);
  });

  it('a commit whose batch fails writes nothing: transcript, meta and binding stay as they were', async () => {
    const handle = new LevelHandle((await newStore()).location, { idleCloseMs: 60_000 });
    const store = new SessionStore({ handle });
    await appendExchange(store, 'chat', 1, { binding: CLAUDE });
    const before = [await store.transcript('chat'), await store.get('chat', 'claude-cli'), await store.conversations()];

    let ops = 0;
    const failLast = () => {
      if (++ops === 4) throw new Error('disk full (injected)');
    };
    await handle.use(async (db) => db.hooks.prewrite.add(failLast));
    try {
      const failing = appendExchange(store, 'chat', 2, { binding: { ...CLAUDE, cliSessionId: 'sess-B' } });
      await expect(failing).rejects.toMatchObject({ code: 'SAFETYNET_STORE_FAILED' });
    } finally {
      await handle.use(async (db) => db.hooks.prewrite.delete(failLast));
    }
    expect(ops).toBe(4);
    expect([await store.transcript('chat'), await store.get('chat', 'claude-cli'), await store.conversations()]).toEqual(before);
    await handle.close();
  });

  it('a transcript whose meta record is missing is rebuilt from its turns on the next commit', async () => {
    const handle = new LevelHandle((await newStore()).location);
    const store = new SessionStore({ handle });
    for (let n = 1; n <= 2; n++) await appendExchange(store, 'chat', n);
    await handle.useSublevel('transcript-meta', (metas) => metas.clear());
    expect(await store.conversations()).toEqual([]);
    expect(await appendExchange(store, 'chat', 3, { now: 77 })).toMatchObject({ turns: 6, dropped: 0, lastSeq: 6 });
    expect(await store.conversations()).toEqual([{ sessionKey: 'chat', turns: 6, dropped: 0, lastSeq: 6, updatedAt: 77 }]);
  });
});
