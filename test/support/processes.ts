/**
 * Finding processes by a marker in their environment, to prove that no child process outlives its
 * request. Reads procfs; zombies (state Z) count as dead, because PID 1 here does not reap orphans.
 * A process that cannot be read for another reason than having exited makes the check fail: a leak
 * check that cannot look must not pass.
 */
import { readFile, readdir } from 'node:fs/promises';

/** The `/proc` read errors that mean the process has exited (ENOENT, ESRCH). */
const GONE = new Set(['ENOENT', 'ESRCH']);

function isGone(error: unknown): boolean {
  return typeof error === 'object' && error !== null && GONE.has(String((error as { code?: unknown }).code));
}

/** Init (pid 1), kthreadd (pid 2) and kernel threads (its children): never a child a test spawned. */
function isSystemProcess(pid: number, parentPid: number): boolean {
  return pid === 1 || pid === 2 || parentPid === 2;
}

/**
 * Live pids whose environment contains `marker` (e.g. `HOME=/tmp/x`). `proc` is the procfs folder
 * (default `/proc`; a test of this helper points it at a folder it made).
 *
 * @throws Error when `proc` cannot be listed, or a process's `stat`/`environ` cannot be read for a
 *   reason other than the process having exited (e.g. EACCES/EPERM), unless that process is init or a
 *   kernel thread (whose `environ` a sandbox may hide even from root).
 */
export async function livePidsWithEnv(marker: string, proc = '/proc'): Promise<number[]> {
  const pids: number[] = [];
  let entries: string[];
  try {
    entries = await readdir(proc);
  } catch (error) {
    throw new Error(`cannot list ${proc}, so no process leak can be checked: ${String(error)}`);
  }
  for (const entry of entries) {
    const pid = Number(entry);
    if (!/^\d+$/.test(entry) || pid === process.pid) continue;
    let stat: string;
    try {
      stat = await readFile(`${proc}/${entry}/stat`, 'utf8');
    } catch (error) {
      if (isGone(error)) continue; // the process ended while we looked
      throw unreadable(proc, entry, error);
    }
    // fields after "(comm)": state, ppid, …
    const [state, parent] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (state === 'Z' || state === 'X') continue;
    let environ: string;
    try {
      environ = await readFile(`${proc}/${entry}/environ`, 'utf8');
    } catch (error) {
      if (isGone(error) || isSystemProcess(pid, Number(parent))) continue;
      throw unreadable(proc, entry, error);
    }
    if (environ.split('\0').includes(marker)) pids.push(pid);
  }
  return pids;
}

function unreadable(proc: string, entry: string, error: unknown): Error {
  const code = String((error as { code?: unknown }).code);
  return new Error(`cannot read ${proc}/${entry} (${code}), so no process leak can be checked: ${String(error)}`);
}

/** Poll (bounded: `attempts` × `intervalMs`) until no live process carries `marker`; returns what is left. */
export async function waitUntilNoProcessWithEnv(marker: string, attempts = 50, intervalMs = 100): Promise<number[]> {
  let left = await livePidsWithEnv(marker);
  for (let i = 0; i < attempts && left.length > 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
    left = await livePidsWithEnv(marker);
  }
  return left;
}

/** Poll (bounded) until some live process carries `marker`; true when one appeared. */
export async function waitForProcessWithEnv(marker: string, attempts = 100, intervalMs = 50): Promise<boolean> {
  for (let i = 0; i < attempts; i++) {
    if ((await livePidsWithEnv(marker)).length > 0) return true;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  return false;
}
