/**
 * A sick state folder degrades instead of stopping the net (issue 13, cases 3 and 4): one-shot
 * requests answer whatever the folder's state (damaged, locked, read-only), with one warning; a
 * request with a session key fails before anything is spawned, with a store error code and the fix;
 * `safetynet doctor --repair` recovers a damaged folder; and twenty processes on one folder all answer.
 */
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { chmod } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { noCooldownsMarker } from '../../src/store/cooldown-marker.js';
import { traceJournalFolder } from '../../src/store/trace-journal.js';
import { cleanup as cleanupStore, holdLock } from '../store/support.js';
import { BIN, cleanup, configWith, fakeSandbox, safetynet, sandbox, type Sandbox, writeConfig } from './support.js';

afterEach(async () => {
  await cleanupStore();
  await cleanup();
});

type Box = Sandbox & { config: string };

/** The fixture CLI's calls so far (one line each in its `calls.log`). */
function calls(box: Box): number {
  const file = path.join(box.fakeState, 'calls.log');
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).length : 0;
}

const oneShot = (box: Box, args: string[] = []) =>
  safetynet(box, ['agent', '--message', 'hi', '--model', 'fake/default', '--config', box.config, '--json', ...args]);
const keyed = (box: Box, args: string[] = []) => oneShot(box, ['--session', 'conv', ...args]);
const warnings = (stderr: string) => stderr.split('\n').filter((line) => line.startsWith('safetynet: warning:'));
const errorOf = (stdout: string) => (JSON.parse(stdout) as { error: { code: string; message: string } }).error;

/**
 * A sandbox whose state folder holds two turns of session `conv` (so a table file exists), without
 * the "no cooldowns stored" mark: a one-shot request reads its cooldowns from the folder, and that
 * read is what fails open here (a marked folder is not read at all: test/runtime/cooldown-marker.test.ts).
 */
async function seeded(): Promise<Box> {
  const box = await fakeSandbox();
  for (let turn = 0; turn < 2; turn++) expect((await keyed(box)).exitCode).toBe(0);
  rmSync(noCooldownsMarker(state(box)), { force: true });
  return box;
}

const state = (box: Box) => path.join(box.home, 'state');
const DAMAGE: Record<string, (folder: string) => void> = {
  'a garbled CURRENT': (folder) => writeFileSync(path.join(folder, 'CURRENT'), 'garbage\n'),
  'a missing table file': (folder) => {
    const tables = readdirSync(folder).filter((name) => name.endsWith('.ldb'));
    expect(tables.length).toBeGreaterThan(0);
    for (const table of tables) rmSync(path.join(folder, table));
  },
};

describe('a sick state folder', () => {
  for (const [damage, apply] of Object.entries(DAMAGE)) {
    it(`with ${damage}, a one-shot request answers with warnings naming the fix; a keyed one fails before spawning with the fix`, async () => {
      const box = await seeded();
      apply(state(box));
      const answered = await oneShot(box);
      expect(answered.exitCode, answered.stderr).toBe(0);
      expect(JSON.parse(answered.stdout)).toMatchObject({ text: 'echo: hi turns=1 model=default' });
      // the cooldown read that failed open; the trace waits in the journal beside the folder
      expect(warnings(answered.stderr)).toEqual([
        expect.stringMatching(/^safetynet: warning: cooldowns cannot be read, .*safetynet doctor --repair/),
      ]);
      const { requestId } = JSON.parse(answered.stdout) as { requestId: string };
      expect(readdirSync(traceJournalFolder(state(box))).filter((name) => name.includes(requestId))).toHaveLength(1);

      const before = calls(box);
      const failed = await keyed(box);
      expect(failed.exitCode).toBe(1);
      expect(errorOf(failed.stdout)).toMatchObject({
        code: 'SAFETYNET_STORE_FAILED',
        message: expect.stringContaining('safetynet doctor --repair'),
      });
      expect(calls(box)).toBe(before); // nothing was spawned
    });
  }

  it('safetynet doctor --repair recovers a damaged folder, says what it recovered, and the conversation goes on', async () => {
    const box = await seeded();
    DAMAGE['a garbled CURRENT']?.(state(box));
    const repair = await safetynet(box, ['doctor', '--repair', '--config', box.config]);
    // (the exit code reflects the other checks too: the built-in backends are not installed here)
    expect(repair.stdout).toContain(`safetynet doctor --repair: repaired ${state(box)}`);
    expect(repair.stdout).toMatch(/recovered \d+ entries \(.*transcripts: \d+/);
    expect(repair.stdout).toContain(`ok    store     ${state(box)} is writable and not locked`);
    const next = await keyed(box);
    expect(next.exitCode, next.stderr).toBe(0);
    expect(JSON.parse(next.stdout)).toMatchObject({ sessionKey: 'conv', text: 'echo: hi turns=3 model=default' });
  });

  it('locked by another process, a one-shot request answers with one warning; a keyed one fails by its deadline before spawning', async () => {
    const box = await seeded();
    const holder = await holdLock(state(box));
    const answered = await oneShot(box);
    expect(answered.exitCode, answered.stderr).toBe(0);
    expect(warnings(answered.stderr)).toHaveLength(1);
    expect(warnings(answered.stderr)[0]).toContain('another safetynet process keeps');

    const before = calls(box);
    const failed = await keyed(box, ['--timeout', '1']);
    expect(failed.exitCode).toBe(1);
    expect(errorOf(failed.stdout).code).toBe('SAFETYNET_STORE_LOCKED');
    expect(calls(box)).toBe(before);
    await holder.release();
  });
});

/** `safetynet <args>` as an unprivileged user (root bypasses file permissions): `setpriv` to nobody when root. */
function unprivileged(box: Box, args: string[]) {
  const root = process.getuid?.() === 0;
  const command = root ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', process.execPath] : [process.execPath];
  const env: Record<string, string | undefined> = { ...process.env, SAFETYNET_HOME: box.home };
  delete env['SAFETYNET_CONFIG'];
  return execa(command[0] ?? 'node', [...command.slice(1), BIN, ...args], {
    cwd: box.cwd,
    env,
    extendEnv: false,
    stdin: 'ignore',
    reject: false,
    timeout: 30_000,
    forceKillAfterDelay: 5_000,
  });
}

const canDropPrivileges = process.getuid?.() !== 0 || existsSync('/usr/bin/setpriv') || existsSync('/bin/setpriv');

describe.skipIf(!canDropPrivileges)('a state folder this user cannot write', () => {
  /** Let the unprivileged user reach the sandbox, run the fixture CLI and keep its state. */
  async function opened(box: Box): Promise<void> {
    for (const folder of [box.root, box.cwd]) await chmod(folder, 0o755);
    await execa('chmod', ['-R', 'a+rwX', box.fakeState]);
    await chmod(box.config, 0o644);
  }

  it('read-only: a one-shot request answers; a keyed one fails with a store error code, not reason unknown', async () => {
    const box = await seeded();
    await opened(box);
    await execa('chmod', ['-R', 'a+rX,a-w', box.home]);
    const args = ['agent', '--message', 'hi', '--model', 'fake/default', '--config', box.config, '--json'];
    const answered = await unprivileged(box, args);
    expect(answered.exitCode, String(answered.stderr)).toBe(0);
    expect(warnings(String(answered.stderr))[0]).toMatch(/^safetynet: warning: cooldowns cannot be read, .*writable by this user/);
    const failed = await unprivileged(box, [...args, '--session', 'conv']);
    expect(failed.exitCode).toBe(1);
    expect(errorOf(String(failed.stdout)).code).toMatch(/^SAFETYNET_STORE_/);
  });

  it('an unwritable SAFETYNET_HOME: a one-shot request answers; a keyed one fails with a store error code, not reason unknown', async () => {
    const box = await fakeSandbox();
    await opened(box);
    await chmod(box.home, 0o555);
    const args = ['agent', '--message', 'hi', '--model', 'fake/default', '--config', box.config, '--json'];
    expect((await unprivileged(box, args)).exitCode).toBe(0);
    const failed = await unprivileged(box, [...args, '--session', 'conv']);
    expect(failed.exitCode).toBe(1);
    expect(errorOf(String(failed.stdout))).toMatchObject({ code: 'SAFETYNET_STORE_FAILED', message: expect.stringContaining(box.home) });
  });
});

describe('twenty processes on one state folder', () => {
  it('twenty safetynet agent processes with different session keys on one SAFETYNET_HOME all answer', { timeout: 300_000 }, async () => {
    const box = await sandbox();
    // A CLI that takes about a second: node sleeping 1 s, then the answer on stdout.
    const slow = {
      command: process.execPath,
      args: ['-e', 'setTimeout(() => console.log("answer"), 1000)'],
      output: 'text',
      sessionMode: 'none',
    };
    const config = writeConfig(path.join(box.root, 'config.json5'), configWith({ slow }, { model: 'slow/default' }));
    const env: Record<string, string | undefined> = { ...process.env, SAFETYNET_HOME: box.home };
    delete env['SAFETYNET_CONFIG'];
    const runs = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        execa(process.execPath, [BIN, 'agent', '--message', `m${i}`, '--session', `key-${i}`, '--config', config, '--json'], {
          cwd: box.cwd,
          env,
          extendEnv: false,
          stdin: 'ignore',
          reject: false,
          timeout: 240_000, // the machine may be busy: 20 Node processes on a few cores
          forceKillAfterDelay: 5_000,
        }),
      ),
    );
    const answered = runs.filter((run) => run.exitCode === 0 && (JSON.parse(String(run.stdout)) as { text?: string }).text === 'answer');
    expect(
      answered.length,
      runs
        .filter((run) => run.exitCode !== 0)
        .map((run) => String(run.stderr))
        .join('\n'),
    ).toBe(20);
    const list = await safetynet(box, ['sessions', 'list', '--json', '--config', config]);
    expect((JSON.parse(list.stdout) as unknown[]).length).toBe(20);
  });
});
