/**
 * The trace journal of a LevelDB state folder: finished request traces written as one small file
 * each beside the folder (`<folder>.traces/`), by a process that has not opened the folder, so that
 * a one-shot `safetynet agent` turn stores its trace without loading and opening LevelDB. The trace
 * store moves journaled traces into its `traces` sublevel whenever it uses the folder (every read
 * and write), so readers see them. Rationale: `docs/start-up.md#trace-journal`.
 *
 * A tiny module (`node:fs` only), so that journaling loads nothing of LevelDB.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isTrace, traceKey } from './trace-record.js';
import type { RequestTrace } from './trace-types.js';

/**
 * Journal entries after which a writer stores into the folder instead (which moves the journal in):
 * a process that never reads traces still keeps the journal this small, and pays the folder's open
 * once per this many turns.
 */
export const TRACE_JOURNAL_LIMIT = 64;

/** Age (ms) after which a temp file of the journal is a writer's leftover (killed between write and rename). */
const STALE_TEMP_MS = 60_000;

/** Journal entries end in this; temp files start with `.` and never do. */
const ENTRY_SUFFIX = '.json';

/** The journal folder of the LevelDB folder `location`: `<location>.traces`. */
export function traceJournalFolder(location: string): string {
  return `${location}.traces`;
}

/** The journal entries found by {@link readTraceJournal}: their traces, and the files to remove once stored. */
export interface JournaledTraces {
  traces: RequestTrace[];
  files: string[];
}

/**
 * Journal `traces` for the folder `location`: one file per trace (`<traceKey>.json`, mode 0600, in
 * a folder of mode 0700), each written to a temp file and renamed, so a reader never sees half a
 * trace.
 *
 * @returns false, writing nothing, when the journal already holds {@link TRACE_JOURNAL_LIMIT}
 *   entries or more: the caller then stores the traces in the folder.
 * @throws the file system error when the journal cannot be written (the caller stores the traces
 *   in the folder instead); a failed write leaves no temp file behind.
 */
export async function journalTraces(location: string, traces: readonly RequestTrace[]): Promise<boolean> {
  const folder = traceJournalFolder(location);
  const entries = await readdir(folder).catch(() => undefined);
  if (entries === undefined) await mkdir(folder, { recursive: true, mode: 0o700 });
  else if (entries.filter(isEntry).length + traces.length > TRACE_JOURNAL_LIMIT) return false;
  for (const trace of traces) {
    const temp = join(folder, `.${process.pid}-${randomBytes(6).toString('hex')}.tmp`);
    try {
      await writeFile(temp, JSON.stringify(trace), { mode: 0o600 });
      await rename(temp, join(folder, `${traceKey(trace)}${ENTRY_SUFFIX}`));
    } catch (error) {
      await rm(temp, { force: true }).catch(() => undefined);
      throw error;
    }
  }
  return true;
}

/**
 * The traces journaled for `location`, oldest key first. An entry that is not a trace (a damaged
 * file) is listed for removal without a trace; one that cannot be read now is left for a later
 * read; temp files older than a minute are removed. An absent journal is empty. Call it while
 * holding the folder open, so that no other process moves the same entries in meanwhile.
 */
export async function readTraceJournal(location: string): Promise<JournaledTraces> {
  const folder = traceJournalFolder(location);
  const names = (await readdir(folder).catch(() => [] as string[])).sort();
  const journaled: JournaledTraces = { traces: [], files: [] };
  for (const name of names) {
    const file = join(folder, name);
    if (!isEntry(name)) {
      await removeStaleTemp(file);
      continue;
    }
    const text = await readFile(file, 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    const trace = parseTrace(text);
    if (trace !== undefined) journaled.traces.push(trace);
    journaled.files.push(file);
  }
  return journaled;
}

/** Remove journal entries that were stored (an entry already gone is no error). Never rejects. */
export async function removeJournaled(files: readonly string[]): Promise<void> {
  await Promise.all(files.map((file) => rm(file, { force: true }).catch(() => undefined)));
}

function isEntry(name: string): boolean {
  return !name.startsWith('.') && name.endsWith(ENTRY_SUFFIX);
}

function parseTrace(text: string): RequestTrace | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return isTrace(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

async function removeStaleTemp(file: string): Promise<void> {
  const stats = await stat(file).catch(() => undefined);
  if (stats !== undefined && Date.now() - stats.mtimeMs > STALE_TEMP_MS) await rm(file, { force: true }).catch(() => undefined);
}
