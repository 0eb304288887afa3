/**
 * Finding processes by a marker in their environment, to prove that no child process outlives its
 * request. Reads procfs; zombies (state Z) count as dead, because PID 1 here does not reap orphans.
 */
import { readFile, readdir } from 'node:fs/promises';

/** Live pids whose environment contains `marker` (e.g. `HOME=/tmp/x`). */
export async function livePidsWithEnv(marker: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const environ = await readFile(`/proc/${entry}/environ`, 'utf8');
      if (!environ.split('\0').includes(marker)) continue;
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (state !== 'Z' && state !== 'X') pids.push(Number(entry));
    } catch {
      // the process ended while we looked, or is not ours to read
    }
  }
  return pids;
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
