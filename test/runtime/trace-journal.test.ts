/**
 * Where a runtime stores its request traces (`RuntimeState.saveTraces`): a runtime that has not
 * opened its LevelDB folder journals them beside it (a one-shot turn then never loads LevelDB), one
 * that has writes them into the folder, and either way every reader sees them.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRuntime, type Runtime } from '../../src/index.js';
import { journalTraces, TRACE_JOURNAL_LIMIT, traceJournalFolder } from '../../src/store/trace-journal.js';
import { trace } from '../store/compliance/trace-storage.js';
import { fakeCliBackend } from '../contract/harnesses.js';

let dir: string;
let location: string;
const runtimes: Runtime[] = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'safetynet-trace-journal-'));
  location = join(dir, 'state');
});
afterEach(async () => {
  await Promise.all(runtimes.splice(0).map((runtime) => runtime.close()));
  await rm(dir, { recursive: true, force: true });
});

async function newRuntime(warnings: string[] = [], storeIdleCloseMs?: number): Promise<Runtime> {
  const cli = await fakeCliBackend(join(dir, 'cli'));
  const runtime = await createRuntime({
    config: {
      agents: { defaults: { model: { primary: cli.model }, cliBackends: { [cli.backendId]: cli.backend } } },
    },
    storeLocation: location,
    ...(storeIdleCloseMs === undefined ? {} : { storeIdleCloseMs }),
    onWarning: (warning) => warnings.push(warning),
  });
  runtimes.push(runtime);
  return runtime;
}

const journal = async () => readdir(traceJournalFolder(location)).catch(() => []);

describe('trace journal of a runtime', () => {
  it('a one-shot request journals its trace without creating the state folder, and another runtime reads it', async () => {
    const writer = await newRuntime();
    const { requestId } = await writer.run({ message: 'hi' });
    await writer.close();
    expect(existsSync(location)).toBe(false);
    expect(await journal()).toHaveLength(1);

    const reader = await newRuntime();
    expect((await reader.traces.last())?.requestId).toBe(requestId);
    expect(await journal()).toEqual([]);
  });

  it('the same runtime reads back the trace it journaled', async () => {
    const runtime = await newRuntime();
    const { requestId } = await runtime.run({ message: 'hi' });
    expect((await runtime.traces.find(requestId)).map((trace) => trace.requestId)).toEqual([requestId]);
  });

  it('a runtime that opened its state folder (a session key) stores the trace there, not in the journal', async () => {
    const runtime = await newRuntime();
    const { requestId } = await runtime.run({ message: 'hi', sessionKey: 'chat' });
    await runtime.close();
    expect(await journal()).toEqual([]);
    expect(existsSync(location)).toBe(true);
    expect((await (await newRuntime()).traces.last())?.requestId).toBe(requestId);
  });

  it('a runtime that closes its folder after every use (the safetynet command) journals a keyed turn’s trace too', async () => {
    const runtime = await newRuntime([], 0);
    const { requestId } = await runtime.run({ message: 'hi', sessionKey: 'chat' });
    await runtime.close();
    expect(existsSync(location)).toBe(true); // the transcript and the CLI session were stored there
    expect(await journal()).toHaveLength(1);
    expect((await (await newRuntime()).traces.last())?.requestId).toBe(requestId);
  });

  it('a full journal makes the next writer store into the folder, which moves the whole journal in', async () => {
    const now = Date.now();
    const full = Array.from({ length: TRACE_JOURNAL_LIMIT }, (_, i) => trace(`earlier-${i}`, now - 1000 + i));
    expect(await journalTraces(location, full)).toBe(true);
    const runtime = await newRuntime();
    const { requestId } = await runtime.run({ message: 'hi' });
    await runtime.close();
    expect(await journal()).toEqual([]);
    const reader = await newRuntime();
    expect((await reader.traces.list(TRACE_JOURNAL_LIMIT + 1)).map((t) => t.requestId)).toContain(requestId);
    expect(await reader.traces.list(TRACE_JOURNAL_LIMIT + 1)).toHaveLength(TRACE_JOURNAL_LIMIT + 1);
  });

  it('a journal that cannot be written is skipped: the trace goes to the state folder, with no warning', async () => {
    await writeFile(traceJournalFolder(location), 'not a folder');
    const warnings: string[] = [];
    const runtime = await newRuntime(warnings);
    const { requestId } = await runtime.run({ message: 'hi' });
    await runtime.close();
    expect(warnings).toEqual([]);
    expect(existsSync(location)).toBe(true);
    expect((await (await newRuntime()).traces.last())?.requestId).toBe(requestId);
  });
});
