import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { processStartTime, reapOrphans, recordFolder, recordGroup } from '../../../src/actors/cli/orphans.js';

let tmp: string;
let runDir: string;
const children: ChildProcess[] = [];

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'safetynet-orphans-test-'));
});
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  rmSync(runDir, { recursive: true, force: true });
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A sleeping process leading its own process group, and its start time. */
function groupLeader(): { pid: number; start: string } {
  const child = spawn('sleep', ['1000'], { detached: true, stdio: 'ignore' });
  children.push(child);
  const pid = child.pid ?? -1;
  runDir = join(tmp, `run-${pid}`);
  return { pid, start: processStartTime(pid) ?? 'none' };
}

/** Alive = /proc/<pid>/stat exists and its state is not Z/X (zombies are dead). */
const isAlive = (pid: number) => processStartTime(pid) !== undefined;

/** Bounded poll (≤ 5 s) until `pid` is dead. */
async function waitDead(pid: number): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    if (!isAlive(pid)) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

/** An owner tag whose pid is alive with another start time: a dead owner whose PID was reused. */
const deadOwner = () => `${process.pid}.0`;

function writeRecord(name: string, content: string): string {
  mkdirSync(runDir, { recursive: true });
  const file = join(runDir, name);
  writeFileSync(file, `${content}\n`);
  return file;
}

describe.skipIf(process.platform !== 'linux')('crash records: what a dead safetynet left is reaped, nothing else', () => {
  it("a dead owner's recorded process group is SIGKILLed at the next start, and its record deleted", async () => {
    const leader = groupLeader();
    const file = writeRecord(`group.${deadOwner()}.${leader.pid}`, `${leader.pid} ${leader.start}`);
    expect(await reapOrphans(runDir)).toBe(1);
    expect(await waitDead(leader.pid)).toBe(true);
    expect(existsSync(file)).toBe(false);
  });

  it('a recorded group whose leader pid now belongs to another process (a reused PID) is never killed', async () => {
    const leader = groupLeader();
    // the record's leader started earlier than the live process that has its pid now
    const file = writeRecord(`group.${deadOwner()}.${leader.pid}`, `${leader.pid} ${Number(leader.start) - 1}`);
    expect(await reapOrphans(runDir)).toBe(1);
    expect(isAlive(leader.pid)).toBe(true);
    expect(existsSync(file)).toBe(false);
  });

  it('the records of a live owner are left alone', async () => {
    const leader = groupLeader();
    const remove = recordGroup(runDir, leader.pid);
    const [name] = readdirSync(runDir).filter((entry) => entry.startsWith('group.'));
    expect(readFileSync(join(runDir, name ?? ''), 'utf8')).toBe(`${leader.pid} ${leader.start}\n`);
    expect(await reapOrphans(runDir)).toBe(0);
    expect(isAlive(leader.pid)).toBe(true);
    remove();
    expect(readdirSync(runDir).filter((entry) => entry.startsWith('group.'))).toEqual([]);
  });

  it("a dead owner's image folder is removed, and a recorded folder not named safetynet-images-* never is", async () => {
    groupLeader(); // names runDir
    const images = mkdtempSync(join(tmp, 'safetynet-images-'));
    const other = mkdtempSync(join(tmp, 'something-else-'));
    writeRecord(`folder.${deadOwner()}.1`, images);
    writeRecord(`folder.${deadOwner()}.2`, other);
    expect(await reapOrphans(runDir)).toBe(2);
    expect([existsSync(images), existsSync(other)]).toEqual([false, true]);
    expect(readdirSync(runDir)).toEqual([]);
  });

  it("a dead owner's CLI run temp folder (safetynet-tmp-*, the run's TMPDIR) is removed with what the CLI wrote in it", async () => {
    groupLeader(); // names runDir
    const runTemp = mkdtempSync(join(tmp, 'safetynet-tmp-'));
    mkdirSync(join(runTemp, 'nested'));
    writeFileSync(join(runTemp, 'nested', 'gemini-client-error-x.json'), '{}');
    writeRecord(`folder.${deadOwner()}.7`, runTemp);
    expect(await reapOrphans(runDir)).toBe(1);
    expect(existsSync(runTemp)).toBe(false);
    expect(readdirSync(runDir)).toEqual([]);
  });

  it('recordFolder keeps a record until its remover is called', () => {
    groupLeader();
    const remove = recordFolder(runDir, join(tmp, 'safetynet-images-x'));
    expect(readdirSync(runDir).filter((entry) => entry.startsWith('folder.'))).toHaveLength(1);
    remove();
    remove(); // idempotent
    expect(readdirSync(runDir).filter((entry) => entry.startsWith('folder.'))).toEqual([]);
  });
});
