/**
 * The exit codes of `safetynet`: the README's table lists exactly the codes of `EXIT`, and each
 * code is what a real run ends with (the fixture CLI as backend, real processes).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes.js';
import {
  cleanup,
  configWith,
  fakeBackend,
  fakeSandbox,
  REPO,
  safetynet,
  sandbox,
  setModes,
  startSafetynet,
  waitForHangingCli,
  writeConfig,
} from './support.js';

afterEach(cleanup);

const GONE = { command: 'safetynet-no-such-cli' };

/** The rows of the README's exit-code table: `| **N** | \`name\` | … |`. */
function readmeExitCodes(): Record<string, number> {
  const readme = readFileSync(path.join(REPO, 'README.md'), 'utf8');
  const rows = [...readme.matchAll(/^\| \*\*(\d+)\*\* +\| `([a-z]+)` +\|/gm)];
  return Object.fromEntries(rows.map((row) => [row[2], Number(row[1])]));
}

describe('exit codes', () => {
  it("the README's exit-code table lists exactly the codes of src/cli/exit-codes.ts", () => {
    expect(readmeExitCodes()).toEqual({ ...EXIT });
  });

  it('0: the request was answered', async () => {
    const box = await fakeSandbox();
    const run = await safetynet(box, ['agent', '--message', 'hi', '--model', 'fake/default', '--config', box.config]);
    expect(run.exitCode, run.stderr).toBe(EXIT.ok);
  });

  it('1: every candidate failed and a failure was not a config problem (one config failure among them does not make it 2)', async () => {
    const box = await sandbox();
    setModes(box.fakeState, ['auth']);
    const config = writeConfig(
      path.join(box.root, 'config.json5'),
      configWith({ fake: fakeBackend(box.fakeState), gone: GONE }, { model: { primary: 'gone/m', fallbacks: ['fake/default'] } }),
    );
    const run = await safetynet(box, ['agent', '--message', 'hi', '--config', config]);
    expect(run.exitCode, run.stderr).toBe(EXIT.failed);
    expect(run.stderr).toContain('SAFETYNET_ALL_CANDIDATES_FAILED');
  });

  it('2: bad usage (no --message)', async () => {
    const box = await fakeSandbox();
    const run = await safetynet(box, ['agent', '--model', 'fake/default', '--config', box.config]);
    expect(run.exitCode).toBe(EXIT.usage);
  });

  it('2: a request whose every failure is a config problem (the only candidate is not installed)', async () => {
    const box = await sandbox();
    const config = writeConfig(path.join(box.root, 'config.json5'), configWith({ gone: GONE }, { model: 'gone/m' }));
    const run = await safetynet(box, ['agent', '--message', 'hi', '--config', config]);
    expect(run.exitCode, run.stderr).toBe(EXIT.usage);
    expect(run.stderr).toContain('command "safetynet-no-such-cli" not found');
    expect(run.stderr).toContain('SAFETYNET_ALL_CANDIDATES_FAILED');
  });

  it('130: interrupted', async () => {
    const box = await fakeSandbox();
    setModes(box.fakeState, ['hang']);
    const running = startSafetynet(box, ['agent', '--message', 'hi', '--model', 'fake/default', '--config', box.config]);
    expect(await waitForHangingCli(box.marker)).toBe(true);
    running.kill('SIGINT');
    expect((await running).exitCode).toBe(EXIT.interrupted);
  });
});
