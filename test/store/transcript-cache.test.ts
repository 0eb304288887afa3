import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { SessionStore } from '../../src/store/index.js';
import { TranscriptCache } from '../../src/store/transcript-cache.js';
import { cleanup, REPO, startNode, tempFolder } from './support.js';
import { appendExchange, exchange, newStore, texts } from './transcript-support.js';

// The child imports the compiled store: test/global-setup.ts rebuilds dist/ when src/ is newer.

afterEach(cleanup);

/** A child process that appends exchange 2 to `chat`, then replaces the transcript with the same texts under new request ids. */
async function otherWriter() {
  const dist = (file: string) => JSON.stringify(pathToFileURL(path.join(REPO, 'dist', file)).href);
  const script = path.join(await tempFolder(), 'writer.mjs');
  await writeFile(
    script,
    `import { SessionStore } from ${dist('store/index.js')};
import { chainTurns } from ${dist('conversation/digest.js')};
const store = new SessionStore({ location: process.argv[2] });
const turn = (role, text, requestId) => ({ role, text, requestId, at: 0 });
const { turns } = await store.transcript('chat');
const last = turns.at(-1);
await store.commitTurn({ sessionKey: 'chat', write: { mode: 'append', storedSeq: last.seq }, turns: chainTurns([turn('user', 'q2', 'child-1'), turn('assistant', 'a2', 'child-1')], last) });
if (process.argv[3] === 'replace') {
  const again = (await store.transcript('chat')).turns.map((t) => turn(t.role, t.text, 'child-2'));
  await store.commitTurn({ sessionKey: 'chat', write: { mode: 'replace' }, turns: chainTurns(again, undefined) });
}
console.log('done');
`,
  );
  return script;
}

describe('SessionStore transcripts: the in-process cache', () => {
  it('a transcript changed by another process is read fresh, even with the same last seq and digest', async () => {
    const store = await newStore();
    await appendExchange(store, 'chat', 1);
    expect(texts((await store.transcript('chat')).turns)).toEqual(['q1', 'a1']);

    const child = await startNode(await otherWriter(), [store.location, 'replace']);
    expect(child.exitCode, child.stderr).toBe(0);

    const { turns } = await store.transcript('chat');
    expect(texts(turns)).toEqual(['q1', 'a1', 'q2', 'a2']);
    expect(turns.map((t) => t.requestId)).toEqual(['child-2', 'child-2', 'child-2', 'child-2']);
    expect(await appendExchange(store, 'chat', 3)).toMatchObject({ lastSeq: 6 });
    expect(texts((await new SessionStore({ location: store.location }).transcript('chat')).turns)).toHaveLength(6);
  });

  it('a read transcript is the caller’s array of frozen turns: changing it never changes the next read', async () => {
    const store = await newStore();
    await appendExchange(store, 'chat', 1);
    const first = await store.transcript('chat');
    first.turns.push(...exchange(9, undefined));
    expect(() => {
      (first.turns[0] as { text: string }).text = 'changed';
    }).toThrow(TypeError);
    expect(texts((await store.transcript('chat')).turns)).toEqual(['q1', 'a1']);
  });

  it('the cache keeps at most its character budget, dropping the least recently used transcripts', () => {
    const cache = new TranscriptCache(10);
    const transcript = (text: string) => ({ turns: exchange(1, undefined).map((turn) => ({ ...turn, text })), dropped: 0 });
    cache.set('a', 'v1', transcript('aa')); // 4 chars
    cache.set('b', 'v1', transcript('bb')); // 8
    expect(cache.get('a', 'v1')?.turns).toHaveLength(2); // a is now the most recent
    cache.set('c', 'v1', transcript('cc')); // 12 > 10: b goes
    expect(cache.chars).toBe(8);
    expect(cache.get('b', 'v1')).toBeUndefined();
    expect(cache.get('a', 'v2')).toBeUndefined();
    cache.set('d', 'v1', transcript('dddddd')); // 12 alone: never kept
    expect(cache.get('d', 'v1')).toBeUndefined();
    expect(cache.chars).toBe(8);
  });
});
