/**
 * `--image <path>`: the CLI gets a private copy (folder 0700, file 0600), never the user's file,
 * and the copy is removed when the command ends, whatever way it ends.
 */
import { existsSync, statSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { waitUntilNoProcessWithEnv } from '../support/processes.js';
import {
  cleanup,
  fakeSandbox,
  lastCall,
  PIXEL_PNG,
  safetynet,
  setModes,
  startSafetynet,
  waitForCall,
  waitForHangingCli,
} from './support.js';

afterEach(cleanup);

/** The `--image` values of an argv. */
function imagePaths(argv: readonly string[]): string[] {
  return argv.flatMap((arg, i) => (arg === '--image' && argv[i + 1] !== undefined ? [argv[i + 1]!] : []));
}

describe('safetynet agent --image', () => {
  it('--image passes a private copy that is removed afterwards', async () => {
    const box = await fakeSandbox();
    const mine = path.join(box.cwd, 'photo.png');
    const other = path.join(box.cwd, 'second.png');
    await copyFile(PIXEL_PNG, mine);
    await copyFile(PIXEL_PNG, other);
    const result = await safetynet(box, [
      'agent',
      '--message',
      'look',
      '--image',
      mine,
      '--image',
      'second.png',
      '--model',
      'fake/default',
      '--config',
      box.config,
    ]);

    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toBe('echo: look turns=1 images=2 model=default'); // the CLI found both files while it ran
    const passed = imagePaths(lastCall(box.fakeState).argv);
    expect(passed).toHaveLength(2);
    for (const copy of passed) {
      expect(path.isAbsolute(copy)).toBe(true);
      expect([mine, other]).not.toContain(copy);
      expect(existsSync(copy)).toBe(false); // removed with its folder
      expect(existsSync(path.dirname(copy))).toBe(false);
    }
    expect(existsSync(mine) && existsSync(other)).toBe(true); // the user's files are untouched
  });

  it('the private copy is 0600 in a 0700 folder while the CLI runs, and is removed when the command is interrupted', async () => {
    const box = await fakeSandbox();
    setModes(box.fakeState, ['hang']);
    const running = startSafetynet(box, [
      'agent',
      '--message',
      'look',
      '--image',
      PIXEL_PNG,
      '--model',
      'fake/default',
      '--config',
      box.config,
    ]);
    expect(await waitForHangingCli(box.marker)).toBe(true);
    const [copy] = imagePaths((await waitForCall(box.fakeState)).argv);

    expect(copy).toBeDefined();
    expect(copy).not.toBe(PIXEL_PNG);
    expect(statSync(copy!).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(copy!)).mode & 0o777).toBe(0o700);

    running.kill('SIGINT');
    expect((await running).exitCode).toBe(130);
    expect(existsSync(copy!)).toBe(false);
    expect(existsSync(path.dirname(copy!))).toBe(false);
    expect(await waitUntilNoProcessWithEnv(box.marker)).toEqual([]);
  });

  it('the private copy is removed when every candidate failed', async () => {
    const box = await fakeSandbox();
    setModes(box.fakeState, ['auth']);
    const result = await safetynet(box, [
      'agent',
      '--message',
      'look',
      '--image',
      PIXEL_PNG,
      '--model',
      'fake/default',
      '--config',
      box.config,
    ]);

    expect(result.exitCode).toBe(1);
    const [copy] = imagePaths(lastCall(box.fakeState).argv);
    expect(copy).toBeDefined();
    expect(existsSync(path.dirname(copy!))).toBe(false);
  });
});
