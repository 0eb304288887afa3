import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { planCliTurn } from '../../../src/actors/cli/plan.js';
import { runCliProcess, type RunCliProcessOptions } from '../../../src/actors/cli/process.js';
import { CLI_TEMP_PREFIX } from '../../../src/actors/cli/temp-dir.js';
import type { CliRunOutput, CliTurnPlan } from '../../../src/actors/types.js';
import { AttemptError } from '../../../src/errors.js';
import { testBackend } from '../../support/backends.js';
import { fixturePlan, PROCESS_ENV } from '../../support/cli-plan.js';
import { cliTurnRequest } from './plan-request.js';

const FIXTURE = fileURLToPath(new URL('../../fixtures/bin/write-tmp.mjs', import.meta.url));
const baseEnv = PROCESS_ENV;

let root: string;
let parent: string;
let runDir: string;
beforeEach(() => {
  root ??= mkdtempSync(join(tmpdir(), 'safetynet-temp-dir-test-'));
  parent = mkdtempSync(join(root, 'parent-'));
  runDir = join(parent, '..', `run-${readdirSync(root).length}`);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function plan(how: 'ok' | 'fail' | 'hang', overrides: Partial<CliTurnPlan> = {}): CliTurnPlan {
  return fixturePlan(FIXTURE, [how], overrides);
}

interface SeenTemp {
  tmpdir: string;
  tmp: string;
  temp: string;
  mode: number;
}

/** Run the fixture; `seen` resolves with what it reported about its temp folder (its first stdout line). */
function run(p: CliTurnPlan, options: RunCliProcessOptions = {}) {
  let resolveSeen: (value: SeenTemp) => void = () => {};
  const seen = new Promise<SeenTemp>((resolve) => (resolveSeen = resolve));
  let buffered = '';
  const result: Promise<CliRunOutput | AttemptError> = runCliProcess(p, {
    tempParent: parent,
    runDir,
    forceKillAfterMs: 200,
    ...options,
    onOutput: (stream, chunk) => {
      if (stream !== 'stdout') return;
      buffered += chunk;
      if (buffered.includes('\n')) resolveSeen(JSON.parse(buffered.slice(0, buffered.indexOf('\n'))));
    },
  }).catch((error: unknown) => {
    if (error instanceof AttemptError) return error;
    throw error;
  });
  return { seen, result };
}

/** The folder the run was given was private, and nothing of it (nor its crash record) is left. */
function expectPrivateAndGone(seen: SeenTemp): void {
  expect(seen.tmpdir.startsWith(join(parent, CLI_TEMP_PREFIX))).toBe(true);
  expect([seen.tmp, seen.temp]).toEqual([seen.tmpdir, seen.tmpdir]);
  expect(seen.mode).toBe(0o700);
  expect(existsSync(seen.tmpdir)).toBe(false);
  expect(readdirSync(parent)).toEqual([]);
  expect(existsSync(runDir) ? readdirSync(runDir).filter((name) => name.startsWith('folder.')) : []).toEqual([]);
}

describe("a CLI run's private temp folder never outlives the run", () => {
  it('after a successful run the folder (with the files the CLI wrote) is gone', async () => {
    const { seen, result } = run(plan('ok'));
    expect(await result).toMatchObject({ exitCode: 0 });
    expectPrivateAndGone(await seen);
  });

  it('after a failed run (exit 1) the folder is gone', async () => {
    const { seen, result } = run(plan('fail'));
    expect(await result).toMatchObject({ exitCode: 1 });
    expectPrivateAndGone(await seen);
  });

  it('after a run killed at its deadline (timeout) the folder is gone', async () => {
    const { seen, result } = run(plan('hang'), { deadlineMs: 1_500 });
    expect(await result).toMatchObject({ reason: 'timeout' });
    expectPrivateAndGone(await seen);
  });

  it('after a cancelled run (aborted) the folder is gone', async () => {
    const controller = new AbortController();
    const { seen, result } = run(plan('hang'), { signal: controller.signal });
    const info = await seen;
    expect(existsSync(join(info.tmpdir, 'gemini-client-error-fixture.json'))).toBe(true);
    expect(readdirSync(runDir).filter((name) => name.startsWith('folder.'))).toHaveLength(1); // recorded while it runs
    controller.abort();
    expect(await result).toMatchObject({ reason: 'aborted' });
    expectPrivateAndGone(info);
  });

  it('a run aborted before it started leaves no folder', async () => {
    const controller = new AbortController();
    controller.abort();
    const { result } = run(plan('ok'), { signal: controller.signal });
    expect(await result).toMatchObject({ reason: 'aborted' });
    expect(readdirSync(parent)).toEqual([]);
  });

  it('a configured env.TMPDIR wins: the run keeps it and no folder is made', async () => {
    const own = mkdtempSync(join(root, 'own-'));
    const { seen, result } = run(plan('ok', { env: { ...baseEnv, TMPDIR: own }, keepTempDir: true }));
    await result;
    expect((await seen).tmpdir).toBe(own);
    expect(readdirSync(own)).toContain('gemini-client-error-fixture.json');
    expect(readdirSync(parent)).toEqual([]);
  });
});

describe('planCliTurn: keepTempDir follows the backend config', () => {
  it('is set only when the backend config sets env.TMPDIR (an inherited TMPDIR does not count)', () => {
    const inherited = planCliTurn(cliTurnRequest(testBackend({ id: 'test-cli', command: 'test-cli' })), { env: { TMPDIR: '/inherited' } });
    expect(inherited.keepTempDir).toBeUndefined();
    const configured = planCliTurn(cliTurnRequest(testBackend({ id: 'test-cli', command: 'test-cli', env: { TMPDIR: '/mine' } })));
    expect(configured.keepTempDir).toBe(true);
    expect(configured.env.TMPDIR).toBe('/mine');
  });
});
