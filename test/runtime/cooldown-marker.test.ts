/**
 * The "no cooldowns stored" marker (`src/store/cooldown-marker.ts`): a folder that holds no
 * cooldown is not opened for a one-shot request's cooldown read, and a cooldown stored by another
 * process removes the mark first, so it is still respected.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRuntime, type Runtime } from '../../src/index.js';
import { noCooldownsMarker } from '../../src/store/cooldown-marker.js';
import { CooldownStore } from '../../src/store/index.js';
import { fakeCliBackend } from '../contract/harnesses.js';
import { cleanup, holdLock, REPO, startNode, tempFolder } from '../store/support.js';

const COOLDOWN_OP = join(REPO, 'test/fixtures/bin/store-cooldown-op.mjs');

let dir: string;
let location: string;
const runtimes: Runtime[] = [];
beforeEach(async () => {
  dir = await tempFolder();
  location = join(dir, 'state');
});
afterEach(async () => {
  await Promise.all(runtimes.splice(0).map((runtime) => runtime.close()));
  await cleanup();
});

/** A one-shot runtime on `location` whose primary is a fixture CLI, then the second one; traces off. */
async function oneShotRuntime(warnings: string[]) {
  const [primary, fallback] = [await fakeCliBackend(join(dir, 'primary')), await fakeCliBackend(join(dir, 'fallback'))];
  const runtime = await createRuntime({
    config: {
      agents: {
        defaults: {
          model: { primary: primary.model, fallbacks: [fallback.model] },
          cliBackends: { [primary.backendId]: primary.backend, [fallback.backendId]: fallback.backend },
        },
      },
      safetynet: { traces: { maxCount: 0 } },
    } as never,
    storeLocation: location,
    storeIdleCloseMs: 0,
    onWarning: (warning) => warnings.push(warning),
  });
  runtimes.push(runtime);
  return { runtime, primary, fallback };
}

describe('no cooldowns stored marker', () => {
  it('the first read of an empty folder marks it; a stored cooldown removes the mark; clearing the last one marks it again', async () => {
    const store = new CooldownStore({ location });
    expect(await store.read(['a/m', 'a'])).toEqual(new Map());
    expect(existsSync(noCooldownsMarker(location))).toBe(true);
    await store.recordFailure({ ref: 'a/m', provider: 'a', failure: { reason: 'rate_limit', message: 'x' } });
    expect(existsSync(noCooldownsMarker(location))).toBe(false);
    expect((await store.read(['a/m'])).has('a/m')).toBe(true);
    expect(existsSync(noCooldownsMarker(location))).toBe(false);
    await store.recordSuccess({ ref: 'a/m', provider: 'a' });
    expect(existsSync(noCooldownsMarker(location))).toBe(true);
    await store.close();
  });

  it('a one-shot request does not open a marked folder for its cooldown read (it answers while another process holds the folder)', async () => {
    const store = new CooldownStore({ location });
    await store.read(['x/y']);
    await store.close();
    expect(existsSync(noCooldownsMarker(location))).toBe(true);
    const holder = await holdLock(location);
    const warnings: string[] = [];
    const { runtime, primary } = await oneShotRuntime(warnings);
    const result = await runtime.run({ message: 'hi' });
    expect(result.model).toBe(primary.model);
    // An opened folder would have waited for the holder's lock and warned that the read failed open.
    expect(warnings).toEqual([]);
    await holder.release();
  });

  it('a cooldown stored by another process is respected by a runtime that saw the folder marked', async () => {
    const warnings: string[] = [];
    const { runtime, primary, fallback } = await oneShotRuntime(warnings);
    // The folder is marked (an empty read), so this runtime routes without opening it.
    const marking = new CooldownStore({ location });
    await marking.read(['x/y']);
    await marking.close();
    expect((await runtime.run({ message: 'one' })).model).toBe(primary.model);
    expect(existsSync(noCooldownsMarker(location))).toBe(true);

    const other = await startNode(COOLDOWN_OP, [location, 'record', primary.model, primary.backendId, 'rate_limit', String(Date.now())]);
    expect(other.exitCode, other.stdout + other.stderr).toBe(0);
    expect(existsSync(noCooldownsMarker(location))).toBe(false);

    const result = await runtime.run({ message: 'two' });
    expect(result.model).toBe(fallback.model);
    expect(result.attempts[0]).toMatchObject({ model: primary.model, skipped: true });
    expect(warnings).toEqual([]);
  });
});
