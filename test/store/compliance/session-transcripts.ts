/**
 * The transcript half of the `SessionStorage` compliance suite (`session-storage.ts`): commits and
 * reads, bounds, replace, conflicts, the bindings a commit writes, reset, keys and arguments.
 */
import { expect, it } from 'vitest';
import { chainTurns } from '../../../src/conversation/digest.js';
import type { TranscriptTurn } from '../../../src/conversation/types.js';
import { StoreError } from '../../../src/errors.js';
import type { SessionStorage } from '../../../src/store/ports.js';
import { appendExchange, CLAUDE, exchange, texts } from '../transcript-support.js';
import type { OpenSessionStorage, SessionStorageOpenOptions } from './session-storage.js';

type NewStore = (options?: SessionStorageOpenOptions) => Promise<SessionStorage>;

/** Register the transcript rules (inside the suite's `describe`). */
export function transcriptRules(newStore: NewStore, open: OpenSessionStorage): void {
  it('committed exchanges read back in order with their seq, digest and stamped time', async () => {
    const { store, reopen } = await open();
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

    const { turns, dropped } = await (await reopen()).transcript('chat');
    expect(dropped).toBe(0);
    expect(turns).toEqual([
      { ...first[0], at: 500 },
      { ...first[1], at: 500 },
      { ...second[0], at: 42 },
      { ...second[1], at: 900 },
    ]);
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
    expect(await appendExchange(store, 'chat', 2, { size: 50 })).toMatchObject({ turns: 2, dropped: 2, lastSeq: 4 });
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
    expect(await appendExchange(store, 'chat', 8)).toMatchObject({ turns: 4, dropped: 0, lastSeq: 4 });
  });

  it('a failed commit never changes the transcript or the binding: a stale storedSeq is a conflict', async () => {
    const store = await newStore();
    await appendExchange(store, 'chat', 1, { binding: CLAUDE });
    const before = [await store.transcript('chat'), await store.get('chat', 'claude-cli'), await store.conversations()];
    const stale = store.commitTurn({
      sessionKey: 'chat',
      write: { mode: 'append', storedSeq: 0 },
      turns: exchange(2, undefined),
      binding: { ...CLAUDE, cliSessionId: 'sess-B' },
    });
    await expect(stale).rejects.toBeInstanceOf(StoreError);
    await expect(stale).rejects.toMatchObject({ code: 'SAFETYNET_TRANSCRIPT_CONFLICT', location: store.location });
    await expect(stale).rejects.toThrow(/"chat".*seq 2.*seq 0/);
    expect([await store.transcript('chat'), await store.get('chat', 'claude-cli'), await store.conversations()]).toEqual(before);
  });

  it('two commits built on the same stored seq at once: one is stored, the other conflicts', async () => {
    const store = await newStore();
    const [a, b] = await Promise.allSettled([appendExchange(store, 'chat', 1), appendExchange(store, 'chat', 2)]);
    expect([a.status, b.status].sort()).toEqual(['fulfilled', 'rejected']);
    expect(((a.status === 'rejected' ? a : b) as PromiseRejectedResult).reason).toMatchObject({ code: 'SAFETYNET_TRANSCRIPT_CONFLICT' });
    expect((await store.transcript('chat')).turns).toHaveLength(2);
  });

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

  it("a commit's new binding records the store's host; a continued one keeps its host", async () => {
    const { store, reopen } = await open({ hostId: 'host-a' });
    expect((await appendExchange(store, 'chat', 1, { binding: CLAUDE })).binding?.host).toBe('host-a');
    const hostB = await reopen({ hostId: 'host-b' });
    expect((await appendExchange(hostB, 'chat', 2, { binding: CLAUDE })).binding).toMatchObject({ host: 'host-a', turns: 2 });
    const fresh = await appendExchange(hostB, 'chat', 3, { binding: { ...CLAUDE, cliSessionId: 'sess-B' } });
    expect(fresh.binding).toMatchObject({ host: 'host-b', turns: 1 });
    expect(await store.get('chat', 'claude-cli')).toEqual(fresh.binding);
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
    expect(await store.list()).toEqual([]);
    expect(await appendExchange(store, 'other', 1)).toMatchObject({ turns: 2, dropped: 0, lastSeq: 2 });
  });

  it('transcripts of session keys with any characters do not collide', async () => {
    const store = await newStore();
    const keys = ['a', 'ab', 'a\u0000', 'a\u0000b', 'a/b', 'a b', 'a:b', 'a*', 'a%0000', '🙂', '\ud83d', '\ude42', '!transcripts!', 'ä'];
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
    const bad = (patch: object) => store.commitTurn({ ...append, ...patch } as Parameters<SessionStorage['commitTurn']>[0]);
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
    await expect(bad({ binding: { ...CLAUDE, host: '' } })).rejects.toThrow(/`binding.host`/);
    await expect(bad({ now: Number.NaN })).rejects.toThrow(/`now`/);
    await expect(bad({})).resolves.toMatchObject({ lastSeq: 2 });
    // the stored last turn is the link the next append must chain to
    await expect(bad({ write: { mode: 'append', storedSeq: 2 }, turns: exchange(2, { seq: 2, digest: 'f'.repeat(32) }) })).rejects.toThrow(
      /`turns\[0\].digest`/,
    );
    expect(texts((await store.transcript('chat')).turns)).toEqual(['q1', 'a1']);
    expect(await store.list()).toEqual([]);
  });
}
