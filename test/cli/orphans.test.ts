/**
 * Nothing a CLI started outlives `safetynet agent`, even after `kill -9` (issue 13, case 2), and no
 * turn hangs on a process that escaped the CLI's group (case 1). The CLI is a fixture whose processes
 * carry an env marker of the test's sandbox; stray ones are killed by `cleanup` (by pid).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { livePidsWithEnv, waitUntilNoProcessWithEnv } from '../support/processes.js';
import { cleanup, configWith, PIXEL_PNG, REPO, safetynet, sandbox, startSafetynet, trackMarker, writeConfig } from './support.js';

afterEach(cleanup);

const SPAWN_TREE = path.join(REPO, 'test/fixtures/bin/spawn-tree.sh');
const SETSID_ESCAPE = path.join(REPO, 'test/fixtures/bin/setsid-escape.sh');

/** A sandbox whose backend `tree` runs spawn-tree.sh (output text, images by `--image`), with a private TMPDIR. */
async function treeSandbox() {
  const box = await sandbox();
  const tmp = path.join(box.root, 'tmp');
  await mkdir(tmp);
  const marker = `SAFETYNET_TEST_TREE=${box.root}`;
  trackMarker(marker);
  const backends = {
    tree: { command: SPAWN_TREE, args: [], output: 'text', imageArg: '--image', env: { SAFETYNET_TEST_TREE: box.root } },
    fake: { command: process.execPath, args: ['-e', 'console.log("answer")'], output: 'text' },
  };
  const config = writeConfig(path.join(box.root, 'config.json5'), configWith(backends));
  return { ...box, tmp, marker, config, env: { TMPDIR: tmp } };
}

/** Poll (bounded, ≤ 10 s) until `count` processes carry `marker`. */
async function waitForProcesses(marker: string, count: number): Promise<boolean> {
  for (let i = 0; i < 200; i++) {
    if ((await livePidsWithEnv(marker)).length >= count) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

const imageFolders = (tmp: string) => readdirSync(tmp).filter((name) => name.startsWith('safetynet-images-'));
/** The private temp folders (`TMPDIR`) of CLI runs. */
const runTempFolders = (tmp: string) => readdirSync(tmp).filter((name) => name.startsWith('safetynet-tmp-'));

/** The watcher `sh` of the safetynet process using `runDir` (its argv names the folder), if running. */
function watcherPids(runDir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (argv.includes(runDir) && argv.includes('watch')) pids.push(Number(entry));
    } catch {
      // gone
    }
  }
  return pids;
}

describe('nothing outlives safetynet, even after kill -9', () => {
  it('kill -9 of safetynet agent mid-turn: no CLI process survives it by more than 5 s, and its temp image folder and run temp folder go', async () => {
    const box = await treeSandbox();
    const running = startSafetynet(box, ['agent', '--message', 'hi', '--model', 'tree/x', '--image', PIXEL_PNG, '--config', box.config], {
      env: box.env,
    });
    // the CLI, its two children and the grandchild
    expect(await waitForProcesses(box.marker, 4)).toBe(true);
    expect(imageFolders(box.tmp)).toHaveLength(1);
    expect(runTempFolders(box.tmp)).toHaveLength(1);
    running.kill('SIGKILL');
    expect((await running).signal).toBe('SIGKILL');

    expect(await waitUntilNoProcessWithEnv(box.marker, 50, 100)).toEqual([]);
    expect(imageFolders(box.tmp)).toEqual([]);
    expect(runTempFolders(box.tmp)).toEqual([]);
  });

  it('the next start reaps what a killed safetynet left when its watcher was killed too', async () => {
    const box = await treeSandbox();
    const runDir = path.join(box.home, 'run');
    const running = startSafetynet(box, ['agent', '--message', 'hi', '--model', 'tree/x', '--image', PIXEL_PNG, '--config', box.config], {
      env: box.env,
    });
    expect(await waitForProcesses(box.marker, 4)).toBe(true);
    for (const pid of watcherPids(runDir)) process.kill(pid, 'SIGKILL');
    running.kill('SIGKILL');
    await running;
    // the parent-death signal took the CLI itself; its children are left, and so is the image folder
    expect((await livePidsWithEnv(box.marker)).length).toBeGreaterThan(0);
    expect(imageFolders(box.tmp)).toHaveLength(1);
    expect(runTempFolders(box.tmp)).toHaveLength(1);

    const next = await safetynet(box, ['agent', '--message', 'hi', '--model', 'fake/x', '--config', box.config], { env: box.env });
    expect(next.exitCode, next.stderr).toBe(0);
    expect(await livePidsWithEnv(box.marker)).toEqual([]);
    expect(imageFolders(box.tmp)).toEqual([]);
    expect(runTempFolders(box.tmp)).toEqual([]);
    expect(existsSync(runDir) ? readdirSync(runDir) : []).toEqual([]);
  });
});

describe('a turn always ends by its deadline, whatever its processes do', () => {
  it('safetynet agent --timeout 2 ends although a grandchild escaped the group (setsid) and holds stdout open', async () => {
    const box = await sandbox();
    const marker = `SAFETYNET_TEST_ESCAPE=${box.root}`;
    trackMarker(marker);
    const config = writeConfig(
      path.join(box.root, 'config.json5'),
      configWith({ escape: { command: SETSID_ESCAPE, args: [], output: 'text', env: { SAFETYNET_TEST_ESCAPE: box.root } } }),
    );
    const result = await safetynet(box, ['agent', '--message', 'hi', '--model', 'escape/x', '--timeout', '2', '--config', config]);

    expect(result.timedOut).toBe(false); // the test's own 30 s bound was not needed
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('timeout');
    expect(result.stderr).toContain('a process outside the group kept its output open');
  });
});
