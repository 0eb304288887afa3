/**
 * The trace journal (`src/store/trace-journal.ts`): traces journaled beside a LevelDB folder without
 * opening it are moved into the folder by the trace store's next use, once, within its bounds, and
 * nothing of a journaled trace is lost on the way.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TraceStore, traceKey } from '../../src/store/index.js';
import { journalTraces, readTraceJournal, TRACE_JOURNAL_LIMIT, traceJournalFolder } from '../../src/store/trace-journal.js';
import { T0, trace } from './compliance/trace-storage.js';
import { cleanup, tempFolder } from './support.js';

let location: string;
beforeEach(async () => {
  location = path.join(await tempFolder(), 'state');
});
afterEach(cleanup);

const journalNames = async () => (await readdir(traceJournalFolder(location))).sort();

describe('trace journal', () => {
  it('journaling a trace neither opens nor creates the LevelDB folder; a file per trace, private to the user', async () => {
    expect(await journalTraces(location, [trace('a', T0), trace('b', T0 + 1)])).toBe(true);
    expect(existsSync(location)).toBe(false);
    expect(await journalNames()).toEqual([`${traceKey(trace('a', T0))}.json`, `${traceKey(trace('b', T0 + 1))}.json`]);
    const { mode } = await stat(path.join(traceJournalFolder(location), `${traceKey(trace('a', T0))}.json`));
    expect(mode & 0o777).toBe(0o600);
  });

  it('the trace store’s first read moves journaled traces in, and removes the entries it stored', async () => {
    const now = Date.now(); // a read prunes by the age bound at the current time
    await journalTraces(location, [trace('a', now - 2), trace('b', now - 1)]);
    const store = new TraceStore({ location });
    expect((await store.last())?.requestId).toBe('b');
    expect((await store.list()).map((t) => t.requestId)).toEqual(['b', 'a']);
    expect(await journalNames()).toEqual([]);
    await store.close();
  });

  it('a write moves the journal in with its own trace, in one prune: the count bound holds across both', async () => {
    await journalTraces(
      location,
      Array.from({ length: 5 }, (_, i) => trace(`j${i}`, T0 + i)),
    );
    const store = new TraceStore({ location, maxCount: 3 });
    await store.write(trace('own', T0 + 10), T0 + 10);
    expect((await store.list()).map((t) => t.requestId)).toEqual(['own', 'j4', 'j3']);
    expect(await journalNames()).toEqual([]);
    await store.close();
  });

  it('journaled traces past the age bound are not stored', async () => {
    await journalTraces(location, [trace('old', T0), trace('new', T0 + 5000)]);
    const store = new TraceStore({ location, maxAgeMs: 1000 });
    await store.write(trace('now', T0 + 5500), T0 + 5500);
    expect((await store.list()).map((t) => t.requestId)).toEqual(['now', 'new']);
    await store.close();
  });

  it('an entry moved in twice (removal interrupted) is stored once: the key is the same', async () => {
    const now = Date.now();
    await journalTraces(location, [trace('twice', now)]);
    const store = new TraceStore({ location });
    expect(await store.count()).toBe(1);
    await journalTraces(location, [trace('twice', now)]);
    expect(await store.count()).toBe(1);
    await store.close();
  });

  it('a full journal refuses more entries, so that the writer stores into the folder instead', async () => {
    const full = Array.from({ length: TRACE_JOURNAL_LIMIT }, (_, i) => trace(`r${i}`, T0 + i));
    expect(await journalTraces(location, full)).toBe(true);
    expect(await journalTraces(location, [trace('one-more', T0 + 1000)])).toBe(false);
    expect(await journalNames()).toHaveLength(TRACE_JOURNAL_LIMIT);
  });

  it('a damaged entry is dropped, a fresh temp file is left to its writer, a stale one is removed', async () => {
    const folder = traceJournalFolder(location);
    await mkdir(folder, { recursive: true });
    await writeFile(path.join(folder, '1767225600000-damaged.json'), '{"requestId": "dam');
    await writeFile(path.join(folder, '.123-fresh.tmp'), '{');
    await writeFile(path.join(folder, '.123-stale.tmp'), '{');
    const twoMinutesAgo = new Date(Date.now() - 120_000);
    await utimes(path.join(folder, '.123-stale.tmp'), twoMinutesAgo, twoMinutesAgo);
    const journaled = await readTraceJournal(location);
    expect(journaled.traces).toEqual([]);
    expect(journaled.files.map((file) => path.basename(file))).toEqual(['1767225600000-damaged.json']);
    expect(await journalNames()).toEqual(['.123-fresh.tmp', '1767225600000-damaged.json']);
  });

  it('a journal that cannot be written throws and leaves no temp file behind', async () => {
    await mkdir(traceJournalFolder(location), { recursive: true });
    const entry = `${traceKey(trace('a', T0))}.json`;
    await mkdir(path.join(traceJournalFolder(location), entry)); // the entry's name is taken by a folder
    await expect(journalTraces(location, [trace('a', T0)])).rejects.toThrow();
    expect(await journalNames()).toEqual([entry]);
  });
});
