/**
 * The real gemini binary leaves no temp file behind: on API errors it writes
 * `gemini-client-error-*.json` into its temp folder, which is the run's private folder
 * (`src/actors/cli/temp-dir.ts`), removed when the run ends. safetynet's own temp folder
 * (`os.tmpdir()`) is confined to this test's folder, so "anywhere" is checked whole: that folder, the
 * CLI's HOME and cwd, plus the machine's `/tmp` for new reports.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { planCliTurn } from '../../src/actors/cli/plan.js';
import { runCliProcess } from '../../src/actors/cli/process.js';
import { CLI_TEMP_PREFIX } from '../../src/actors/cli/temp-dir.js';
import { CliOutputWatcher } from '../../src/actors/cli/watch.js';
import { GEMINI_CLI_BACKEND } from '../../src/config/builtins.js';
import { mergeBackend } from '../../src/config/merge.js';
import { AttemptError } from '../../src/errors.js';
import { cliTurnRequest } from '../actors/cli/plan-request.js';
import { GEMINI_STUB_MODEL, geminiBin, geminiStubEnv, REAL_CLI_TEST_TIMEOUT_MS } from '../support/real-cli.js';
import { startStubServer, type StubServer } from '../support/stub-server/index.js';

const SYSTEM_TMP = '/tmp';
const REPORT = /^gemini-client-error-/;

let dir: string;
let osTmp: string;
let stub: StubServer;
let savedTmpdir: string | undefined;
let reportsBefore: Set<string>;

/** Every path under `root` (recursive) whose name is a gemini client error report. */
function reportsUnder(root: string): string[] {
  return readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((entry) => REPORT.test(entry.split('/').at(-1) ?? ''));
}

beforeAll(async () => {
  dir = mkdtempSync(join(SYSTEM_TMP, 'safetynet-gemini-temp-'));
  osTmp = join(dir, 'os-tmp');
  mkdirSync(osTmp);
  savedTmpdir = process.env.TMPDIR;
  process.env.TMPDIR = osTmp; // this test process's os.tmpdir(): the parent of the runs' private folders
  stub = await startStubServer({ modes: ['echo'] });
  reportsBefore = new Set(readdirSync(SYSTEM_TMP).filter((name) => REPORT.test(name)));
});
beforeEach(() => {
  for (const name of readdirSync(osTmp)) rmSync(join(osTmp, name), { recursive: true, force: true });
});
afterAll(async () => {
  if (savedTmpdir === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = savedTmpdir;
  await stub?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The built-in gemini-cli turn against the stub, with no configured TMPDIR (so the run gets a private one). */
function geminiPlan(name: string) {
  const home = join(dir, `home-${name}`);
  const cwd = join(dir, `cwd-${name}`);
  mkdirSync(cwd, { recursive: true });
  const { TMPDIR: _configured, ...env } = geminiStubEnv(stub, home);
  const backend = mergeBackend('gemini-cli', GEMINI_CLI_BACKEND, { command: geminiBin, env });
  const plan = planCliTurn(cliTurnRequest(backend, { model: GEMINI_STUB_MODEL, cwd, timeoutMs: 120_000 }), { env: {} });
  return { plan, home, cwd };
}

/** Nothing is left: no private folder in os.tmpdir(), no report anywhere under the test folder, none new in /tmp. */
function expectNothingLeft(): void {
  expect(readdirSync(osTmp)).toEqual([]);
  expect(reportsUnder(dir)).toEqual([]);
  expect(readdirSync(SYSTEM_TMP).filter((name) => REPORT.test(name) && !reportsBefore.has(name))).toEqual([]);
}

describe('the real gemini leaves no temp file behind', { timeout: REAL_CLI_TEST_TIMEOUT_MS }, () => {
  it("a run that failed with 401 wrote its client error report into the run's private temp folder, and the folder is gone", async () => {
    stub.setModes([{ status: 401 }]);
    const { plan } = geminiPlan('401');
    expect(plan.keepTempDir).toBeUndefined();
    const output = await runCliProcess(plan, { backendId: 'gemini-cli' });
    expect(output.exitCode).not.toBe(0);
    const report = /Full report available at: (\S+\.json)/.exec(output.stderr)?.[1];
    expect(report, output.stderr.slice(-2000)).toBeDefined();
    expect(report?.startsWith(join(osTmp, CLI_TEMP_PREFIX))).toBe(true);
    expect(existsSync(report ?? '')).toBe(false);
    expectNothingLeft();
  });

  it('a run abandoned at its first 500 retry notice (process group killed) leaves no gemini-client-error file anywhere', async () => {
    stub.setModes([{ status: 500 }]);
    const { plan } = geminiPlan('500');
    const watchStderr = new CliOutputWatcher({ cli: 'gemini', backendId: 'gemini-cli', source: 'stderr' });
    const failure = await runCliProcess(plan, { backendId: 'gemini-cli', watchStderr }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(AttemptError);
    expect((failure as AttemptError).message).toContain('gave up while gemini was retrying');
    expect(stub.modelRequests().length).toBeGreaterThan(0);
    expectNothingLeft();
  });
});
