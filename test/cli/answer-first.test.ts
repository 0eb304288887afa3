/**
 * The answer reaches stdout as soon as it is known (issue 12, req. 4): what follows it (the trace
 * write, the store close) does not hold the reply back, and still completes before the process exits.
 * The order is observed, not timed: another process holds the state folder, so the trace cannot be
 * written until the test releases it, and the reply must already be on stdout by then.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { noCooldownsMarker } from '../../src/store/cooldown-marker.js';
import { CooldownStore, TraceStore } from '../../src/store/index.js';
import { cleanup as cleanupStore, holdLock } from '../store/support.js';
import { cleanup, fakeSandbox, startSafetynet } from './support.js';

afterEach(async () => {
  await cleanupStore();
  await cleanup();
});

/** Resolves with the first stdout line of `child`; rejects when it exits before printing one. */
function firstLine(child: ReturnType<typeof startSafetynet>): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      const end = seen.indexOf('\n');
      if (end >= 0) resolve(seen.slice(0, end));
    });
    void child.then((result) => reject(new Error(`exited (${result.exitCode}) before printing a line: ${String(result.stderr)}`)));
  });
}

describe('the answer first', () => {
  it('the reply is on stdout before the trace is written, and the trace is stored before exit', async () => {
    const box = await fakeSandbox();
    const state = path.join(box.home, 'state');
    // A folder marked as holding no cooldowns: the request does not need it before answering.
    const cooldowns = new CooldownStore({ location: state });
    await cooldowns.read(['fake/default']);
    await cooldowns.close();
    expect(existsSync(noCooldownsMarker(state))).toBe(true);

    const holder = await holdLock(state);
    const child = startSafetynet(box, ['agent', '--message', 'hi', '--model', 'fake/default', '--config', box.config, '--json']);
    const line = await firstLine(child);
    const { text, requestId } = JSON.parse(line) as { text: string; requestId: string };
    expect(text).toBe('echo: hi turns=1 model=default');
    // The folder is still held: the trace cannot have been written yet, and the process waits for it.
    expect(child.exitCode).toBeNull();
    await holder.release();

    const result = await child;
    expect(result.exitCode, String(result.stderr)).toBe(0);
    expect(String(result.stderr)).not.toContain('warning');
    const traces = new TraceStore({ location: state });
    expect((await traces.find(requestId)).map((trace) => trace.requestId)).toEqual([requestId]);
    await traces.close();
  });
});
