/**
 * The process-leak helper (`processes.ts`) fails when it cannot look: a procfs it cannot list, or a
 * process whose environment it cannot read for another reason than having exited, is an error, never
 * "no process left". Run against folders shaped like procfs, made in a temp folder.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { livePidsWithEnv } from './processes.js';

let proc: string;

beforeEach(async () => {
  proc = await mkdtemp(path.join(tmpdir(), 'safetynet-proc-'));
});

afterEach(async () => {
  await rm(proc, { recursive: true, force: true });
});

/** A process folder: `stat` with state and parent pid, and `environ` (a folder when `environ` is null: unreadable as a file). */
async function fakeProcess(pid: number, state: string, parent: number, environ: string | null): Promise<void> {
  const dir = path.join(proc, String(pid));
  await mkdir(dir);
  await writeFile(path.join(dir, 'stat'), `${pid} (node) ${state} ${parent} 0 0`);
  if (environ === null) await mkdir(path.join(dir, 'environ'));
  else await writeFile(path.join(dir, 'environ'), environ);
}

describe('a leak check that cannot look fails instead of reporting the process gone', () => {
  it('finds the live process carrying the marker, not a zombie', async () => {
    await fakeProcess(4242, 'S', 100, 'HOME=/tmp/x\0PATH=/bin\0');
    await fakeProcess(4243, 'Z', 100, 'HOME=/tmp/x\0');
    expect(await livePidsWithEnv('HOME=/tmp/x', proc)).toEqual([4242]);
  });

  it('a process whose environment cannot be read (EISDIR here, EACCES for another user) is an error naming it', async () => {
    await fakeProcess(4242, 'S', 100, null);
    await expect(livePidsWithEnv('HOME=/tmp/x', proc)).rejects.toThrow(
      `cannot read ${proc}/4242 (EISDIR), so no process leak can be checked`,
    );
  });

  it('a kernel thread whose environment is hidden is skipped', async () => {
    await fakeProcess(4242, 'S', 2, null);
    expect(await livePidsWithEnv('HOME=/tmp/x', proc)).toEqual([]);
  });

  it('a procfs that cannot be listed is an error', async () => {
    const missing = path.join(proc, 'missing');
    await expect(livePidsWithEnv('HOME=/tmp/x', missing)).rejects.toThrow(`cannot list ${missing}, so no process leak can be checked`);
  });
});
