/**
 * The last resort (`docs/failover-policy.md#the-last-resort`), through `createRuntime` → `run`: when
 * every live candidate has failed, a candidate skipped for its cooldown is still tried, last, before
 * the request fails. The fixture CLI as backends, cooldowns in a real LevelDB in a temp folder.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RequestError, type RequestAttempt, type Runtime } from '../../src/index.js';
import { CooldownStore } from '../../src/store/index.js';
import { twoCliRuntime } from '../support/two-cli-runtime.js';

const shape = (attempts: readonly RequestAttempt[]) =>
  attempts.map((a) => [a.model, a.ok, a.reason ?? null, a.skipped === true ? 'skipped' : a.probe === true ? 'probe' : 'tried']);

describe('the last resort: a cooling candidate is tried last before the request fails', () => {
  let dir: string;
  let runtime: Runtime | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'safetynet-last-resort-'));
  });
  afterEach(async () => {
    await runtime?.close();
    runtime = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  /** Two fixture CLIs, primary and fallback; `allowFirstOnly`: the allowlist excludes the fallback. */
  async function twoBackends(allowFirstOnly = false) {
    const made = await twoCliRuntime(dir, ({ first }) => (allowFirstOnly ? { models: { [first.model]: {} } } : {}));
    runtime = made.runtime;
    return made;
  }

  it('after an auth cooldown with the key fixed, the request answers: the cooling candidate is tried after the live one failed', async () => {
    const { first, second, runtime } = await twoBackends();
    first.setMode('auth');
    await runtime.run({ message: 'one' }); // the primary's provider cools down (auth), the fallback answers
    first.setMode('ok'); // the key is fixed
    second.setMode('auth'); // and the only live candidate fails
    const result = await runtime.run({ message: 'two' });
    expect(result.model).toBe(first.model);
    expect(shape(result.attempts)).toEqual([
      [first.model, false, 'auth', 'skipped'],
      [second.model, false, 'auth', 'tried'],
      [first.model, true, null, 'probe'],
    ]);
    await runtime.traces.last(); // waits for the background cooldown writes
    await runtime.close();
    const cooldowns = new CooldownStore({ location: join(dir, 'state') });
    // the success cleared the primary's cooldown; the fallback's failure cooled it
    expect([...(await cooldowns.read([first.model, first.backendId, second.model, second.backendId], Date.now())).keys()]).toEqual([
      second.backendId,
    ]);
    await cooldowns.close();
  });

  it('a request whose last resort fails too fails only after trying everything, and the cooldown does not climb the ladder', async () => {
    const { first, second, runtime } = await twoBackends();
    first.setMode('auth');
    await runtime.run({ message: 'one' });
    second.setMode('auth');
    const error = await runtime.run({ message: 'two' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestError);
    expect((error as RequestError).code).toBe('SAFETYNET_ALL_CANDIDATES_FAILED');
    expect((error as RequestError).message).toContain('(2 tried of 2)');
    expect(shape((error as RequestError).attempts)).toEqual([
      [first.model, false, 'auth', 'skipped'],
      [second.model, false, 'auth', 'tried'],
      [first.model, false, 'auth', 'probe'],
    ]);
    await runtime.traces.last();
    await runtime.close();
    const cooldowns = new CooldownStore({ location: join(dir, 'state') });
    // the late failure belongs to the running episode: still the first step of the auth ladder
    expect((await cooldowns.read([first.backendId], Date.now())).get(first.backendId)).toMatchObject({ reason: 'auth', failures: 1 });
    await cooldowns.close();
  });

  it('a candidate skipped for the config (outside the allowlist) is never tried, not even as the last resort', async () => {
    const { first, second, runtime } = await twoBackends(true);
    first.setMode('auth');
    const error = (await runtime.run({ message: 'hi' }).catch((e: unknown) => e)) as RequestError;
    expect(shape(error.attempts)).toEqual([
      [first.model, false, 'auth', 'tried'],
      [second.model, false, 'config', 'skipped'],
    ]);
    expect(existsSync(join(dir, 'second', 'calls.log'))).toBe(false);
  });
});
