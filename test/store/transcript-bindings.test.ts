import { afterEach, describe, expect, it } from 'vitest';
import type { TranscriptTurn } from '../../src/conversation/types.js';
import { SessionStore } from '../../src/store/index.js';
import { cleanup } from './support.js';
import { appendExchange, CLAUDE, exchange, newStore, texts } from './transcript-support.js';

afterEach(cleanup);

describe('SessionStore transcripts: bindings, reset, keys, arguments', () => {
  it("a commit's binding records the last committed turn as seen, and follows recordSuccess's rule", async () => {
    const store = await newStore();
    const first = await appendExchange(store, 'chat', 1, { binding: CLAUDE, now: 1000 });
    const [, answer1] = (await store.transcript('chat')).turns as [TranscriptTurn, TranscriptTurn];
    expect(first.binding).toEqual({
      sessionKey: 'chat',
      backendId: 'claude-cli',
      cliSessionId: 'sess-A',
      cwd: '/work/a',
      model: 'claude-cli/opus-4.6',
      createdAt: 1000,
      updatedAt: 1000,
      turns: 1,
      seenSeq: 2,
      seenDigest: answer1.digest,
    });
    expect(await store.get('chat', 'claude-cli')).toEqual(first.binding);

    await appendExchange(store, 'chat', 2); // answered by an API candidate: no binding written
    expect(await store.get('chat', 'claude-cli')).toEqual(first.binding);

    const third = await appendExchange(store, 'chat', 3, { binding: { ...CLAUDE, cwd: '/elsewhere', model: undefined }, now: 3000 });
    const answer3 = (await store.transcript('chat')).turns.at(-1) as TranscriptTurn;
    expect(third.binding).toMatchObject({ cwd: '/work/a', createdAt: 1000, updatedAt: 3000, turns: 2, model: 'claude-cli/opus-4.6' });
    expect(third.binding).toMatchObject({ seenSeq: 6, seenDigest: answer3.digest });

    const fresh = await appendExchange(store, 'chat', 4, { binding: { ...CLAUDE, cliSessionId: 'sess-B', cwd: '/work/b' }, now: 4000 });
    expect(fresh.binding).toMatchObject({ cliSessionId: 'sess-B', cwd: '/work/b', createdAt: 4000, turns: 1, seenSeq: 8 });
    const replaced = await appendExchange(store, 'chat', 5, { binding: { ...CLAUDE, cliSessionId: 'sess-B', replace: true }, now: 5000 });
    expect(replaced.binding).toMatchObject({ cwd: '/work/a', createdAt: 5000, turns: 1, seenSeq: 10 });
  });

  it('a binding recorded outside the transcript loses its seen position', async () => {
    const store = await newStore();
    await appendExchange(store, 'chat', 1, { binding: CLAUDE });
    const recorded = await store.recordSuccess({ sessionKey: 'chat', ...CLAUDE, now: 9 });
    expect(recorded.turns).toBe(2);
    expect(recorded).not.toHaveProperty('seenSeq');
    expect(recorded).not.toHaveProperty('seenDigest');
    expect(await store.get('chat', 'claude-cli')).toEqual(recorded);
  });

  it('reset of a key removes its transcript with its bindings; reset of one backend keeps the transcript', async () => {
    const store = await newStore();
    await appendExchange(store, 'chat', 1, { binding: CLAUDE });
    await appendExchange(store, 'chat', 2, { binding: { ...CLAUDE, backendId: 'codex-cli' } });
    await appendExchange(store, 'other', 1, { binding: CLAUDE });

    expect(await store.reset('chat', 'codex-cli')).toBe(1);
    expect((await store.transcript('chat')).turns).toHaveLength(4);

    expect(await store.resetAll('chat')).toEqual({ bindings: 1, turns: 4 });
    expect(await store.transcript('chat')).toEqual({ turns: [], dropped: 0 });
    expect(await store.list('chat')).toEqual([]);
    expect(await store.resetAll('chat')).toEqual({ bindings: 0, turns: 0 });

    expect(await store.reset('other')).toBe(1);
    expect(await store.transcript('other')).toEqual({ turns: [], dropped: 0 });
    expect(await store.conversations()).toEqual([]);
    expect(await appendExchange(store, 'other', 1)).toMatchObject({ turns: 2, dropped: 0, lastSeq: 2 });
  });

  it('transcripts of session keys with any characters do not collide', async () => {
    const store = await newStore();
    const keys = ['a', 'ab', 'a\u0000', 'a\u0000b', 'a/b', 'a b', 'a%0000', '🙂', '\ud83d', '\ude42', '!transcripts!', 'ä'];
    for (const [i, key] of keys.entries()) {
      for (let n = 0; n <= i % 3; n++) await appendExchange(store, key, 10 * i + n, { now: i });
    }
    for (const [i, key] of keys.entries()) {
      const expected = Array.from({ length: (i % 3) + 1 }, (_, n) => [`q${10 * i + n}`, `a${10 * i + n}`]).flat();
      expect(texts((await store.transcript(key)).turns), JSON.stringify(key)).toEqual(expected);
    }
    const listed = await store.conversations();
    expect(listed.map((c) => c.sessionKey)).toEqual([...keys].sort());
    expect(listed.map((c) => c.turns)).toEqual([...keys].sort().map((key) => 2 * ((keys.indexOf(key) % 3) + 1)));
    expect(await store.resetAll('a')).toEqual({ bindings: 0, turns: 2 });
    expect((await store.transcript('ab')).turns).toHaveLength(4);
    expect((await store.transcript('a\u0000')).turns).toHaveLength(6);
  });

  it('bad commit arguments throw a TypeError naming the argument, and write nothing', async () => {
    const store = await newStore();
    const turns = exchange(1, undefined);
    const append = { sessionKey: 'chat', write: { mode: 'append' as const, storedSeq: 0 }, turns };
    const bad = (patch: object) => store.commitTurn({ ...append, ...patch } as Parameters<SessionStore['commitTurn']>[0]);
    await expect(bad({ sessionKey: '' })).rejects.toThrow(/`sessionKey`/);
    await expect(bad({ write: { mode: 'merge' } })).rejects.toThrow(/`write.mode`/);
    await expect(bad({ write: { mode: 'append', storedSeq: -1 } })).rejects.toThrow(/`write.storedSeq`/);
    await expect(bad({ turns: [] })).rejects.toThrow(/`turns` argument to be a non-empty array/);
    await expect(bad({ turns: [turns[0], { ...turns[1], role: 'system' }] })).rejects.toThrow(/`turns\[1\].role`/);
    await expect(bad({ turns: [turns[0], { ...turns[1], requestId: '' }] })).rejects.toThrow(/`turns\[1\].requestId`/);
    await expect(bad({ turns: [turns[0], { ...turns[1], images: [{ name: 'x.png' }] }] })).rejects.toThrow(/`turns\[1\].images`/);
    await expect(bad({ turns: [turns[0], { ...turns[1], seq: 3 }] })).rejects.toThrow(/`turns\[1\].seq`/);
    await expect(bad({ write: { mode: 'append', storedSeq: 4 } })).rejects.toThrow(/`turns\[0\].seq` argument to be 5/);
    await expect(bad({ turns: [turns[0], { ...turns[1], text: 'edited' }] })).rejects.toThrow(/`turns\[1\].digest`/);
    await expect(bad({ write: { mode: 'replace' }, turns: exchange(1, { seq: 0, digest: 'f'.repeat(32) }) })).rejects.toThrow(
      /`turns\[0\].digest`/,
    );
    await expect(bad({ binding: { ...CLAUDE, cwd: '' } })).rejects.toThrow(/`binding.cwd`/);
    await expect(bad({ binding: { ...CLAUDE, replace: 'yes' } })).rejects.toThrow(/`binding.replace`/);
    await expect(bad({ now: Number.NaN })).rejects.toThrow(/`now`/);
    await expect(bad({})).resolves.toMatchObject({ lastSeq: 2 });
    // the stored last turn is the link the next append must chain to
    await expect(bad({ write: { mode: 'append', storedSeq: 2 }, turns: exchange(2, { seq: 2, digest: 'f'.repeat(32) }) })).rejects.toThrow(
      /`turns\[0\].digest`/,
    );
    expect(texts((await store.transcript('chat')).turns)).toEqual(['q1', 'a1']);
  });

  it('transcript bounds out of range are a TypeError naming them', () => {
    expect(() => new SessionStore({ location: '/tmp/x', bounds: { maxTurns: 1, maxChars: 10 } })).toThrow(/`bounds.maxTurns`/);
    expect(() => new SessionStore({ location: '/tmp/x', bounds: { maxTurns: 2, maxChars: 0 } })).toThrow(/`bounds.maxChars`/);
  });
});
