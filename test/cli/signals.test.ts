/**
 * Ctrl-C: SIGINT to the `safetynet` process kills the running CLI's whole process group and the
 * command exits 130; no child process outlives the command.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { waitUntilNoProcessWithEnv } from '../support/processes.js';
import {
  cleanup,
  configWith,
  fakeSandbox,
  flagValue,
  lastCall,
  safetynet,
  sandbox,
  setModes,
  startSafetynet,
  STUBBORN_CLI,
  trackMarker,
  waitForFile,
  waitForHangingCli,
  writeConfig,
} from './support.js';

afterEach(cleanup);

describe('interrupting safetynet agent', () => {
  it("SIGINT kills the running CLI's process group and exits 130", async () => {
    const box = await fakeSandbox();
    setModes(box.fakeState, ['hang']);
    const running = startSafetynet(box, ['agent', '--message', 'hi', '--model', 'fake/default', '--config', box.config]);

    // the fixture CLI and its grandchild (same process group) are both running
    expect(await waitForHangingCli(box.marker)).toBe(true);
    running.kill('SIGINT');
    const result = await running;

    expect(result.exitCode, String(result.stderr)).toBe(130);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('SAFETYNET_ABORTED');
    expect(await waitUntilNoProcessWithEnv(box.marker)).toEqual([]);
  });

  it('--json: an interrupted request prints the SAFETYNET_ABORTED object and exits 130', async () => {
    const box = await fakeSandbox();
    setModes(box.fakeState, ['hang']);
    const running = startSafetynet(box, ['agent', '--message', 'hi', '--model', 'fake/default', '--json', '--config', box.config]);
    expect(await waitForHangingCli(box.marker)).toBe(true);
    running.kill('SIGINT');
    const result = await running;

    expect(result.exitCode).toBe(130);
    expect(JSON.parse(String(result.stdout))).toMatchObject({ error: { code: 'SAFETYNET_ABORTED' } });
    expect(await waitUntilNoProcessWithEnv(box.marker)).toEqual([]);
  });

  it('an interrupted --session turn keeps the stored session: the next turn resumes it', async () => {
    const box = await fakeSandbox();
    const first = await safetynet(box, [
      'agent',
      '--message',
      'one',
      '--model',
      'fake/default',
      '--session',
      'chat',
      '--config',
      box.config,
    ]);
    expect(first.exitCode, first.stderr).toBe(0);
    const sessionId = flagValue(lastCall(box.fakeState).argv, '--session-id');

    setModes(box.fakeState, ['hang', 'ok']);
    const running = startSafetynet(box, [
      'agent',
      '--message',
      'two',
      '--model',
      'fake/default',
      '--session',
      'chat',
      '--config',
      box.config,
    ]);
    expect(await waitForHangingCli(box.marker)).toBe(true);
    running.kill('SIGINT');
    expect((await running).exitCode).toBe(130);
    expect(await waitUntilNoProcessWithEnv(box.marker)).toEqual([]);

    const third = await safetynet(box, [
      'agent',
      '--message',
      'three',
      '--model',
      'fake/default',
      '--session',
      'chat',
      '--config',
      box.config,
    ]);
    expect(third.exitCode, third.stderr).toBe(0);
    expect(flagValue(lastCall(box.fakeState).argv, '--resume')).toBe(sessionId);
  });

  it('a second Ctrl-C while a CLI that ignores SIGTERM is being killed still leaves no process behind, and exits 130', async () => {
    const box = await sandbox();
    const state = path.join(box.root, 'stubborn');
    const marker = `STUBBORN_STATE=${state}`;
    trackMarker(marker);
    const config = writeConfig(
      path.join(box.root, 'config.json5'),
      configWith({ stubborn: { command: process.execPath, args: [STUBBORN_CLI], output: 'text', env: { STUBBORN_STATE: state } } }),
    );
    await mkdir(state);
    const running = startSafetynet(box, ['agent', '--message', 'hi', '--model', 'stubborn/x', '--config', config]);

    expect(await waitForFile(path.join(state, 'ready'))).toBe(true);
    running.kill('SIGINT');
    // safetynet has sent SIGTERM to the group (ignored): the user presses Ctrl-C again
    expect(await waitForFile(path.join(state, 'sigterm'))).toBe(true);
    running.kill('SIGINT');
    const result = await running;

    expect(result.exitCode, `signal ${result.signal}; ${String(result.stderr)}`).toBe(130);
    expect(await waitUntilNoProcessWithEnv(marker)).toEqual([]);
  });

  it("SIGTERM to safetynet also kills the CLI's process group", async () => {
    const box = await fakeSandbox();
    setModes(box.fakeState, ['hang']);
    const running = startSafetynet(box, ['agent', '--message', 'hi', '--model', 'fake/default', '--config', box.config]);
    expect(await waitForHangingCli(box.marker)).toBe(true);
    running.kill('SIGTERM');
    const result = await running;

    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain('SAFETYNET_ABORTED');
    expect(await waitUntilNoProcessWithEnv(box.marker)).toEqual([]);
  });
});
