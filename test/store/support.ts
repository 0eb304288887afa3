/**
 * Helpers for the store tests: temp folders and bounded child processes running the fixtures in
 * test/fixtures/bin. Every child is killed by `cleanup()` (call it in `afterEach`) and by its own
 * execa `timeout`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

/** The repository root (fixtures run with it as cwd, so `level` resolves from its node_modules). */
export const REPO = fileURLToPath(new URL('../../', import.meta.url));
/** Holds a LevelDB folder's lock: `node hold-level-lock.mjs <dir> [holdMs]`. */
export const HOLD_LOCK = path.join(REPO, 'test/fixtures/bin/hold-level-lock.mjs');
/** Records bindings through the compiled store: `node store-record-bindings.mjs <dir> <key> <backend> <id> [turns]`. */
export const RECORD_BINDINGS = path.join(REPO, 'test/fixtures/bin/store-record-bindings.mjs');

/** Upper bound of any child process in these tests, in ms. */
export const CHILD_TIMEOUT_MS = 30_000;

function spawnNode(script: string, args: string[]) {
  return execa('node', [script, ...args], { cwd: REPO, timeout: CHILD_TIMEOUT_MS, forceKillAfterDelay: 1000, reject: false });
}

/** A running fixture process (an execa 9 subprocess, also a promise of its result). */
export type Child = ReturnType<typeof spawnNode>;

const children = new Set<Child>();
const folders = new Set<string>();

/** A fresh temp folder, removed by {@link cleanup}. */
export async function tempFolder(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'safetynet-store-'));
  folders.add(dir);
  return dir;
}

/** Start `node <script> ...args` in the repo, bounded by {@link CHILD_TIMEOUT_MS}. */
export function startNode(script: string, args: string[]): Child {
  const child = spawnNode(script, args);
  children.add(child);
  void child.finally(() => children.delete(child));
  return child;
}

/** Resolve when `child` printed the line `text` on stdout; reject if it exits first. */
export function waitForLine(child: Child, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    child.stdout.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.split('\n').includes(text)) resolve();
    });
    void child.then((result) => reject(new Error(`child exited before printing ${text}: ${result.stdout} ${result.stderr}`)));
  });
}

/** A child process holding the lock of `dir` until {@link LockHolder.release} (or `holdMs`). */
export interface LockHolder {
  child: Child;
  /** Ask the holder to close the database; resolves when it has exited. */
  release(): Promise<void>;
}

/** Start the lock-holding fixture on `dir` and wait until it holds the lock. */
export async function holdLock(dir: string, holdMs = 20_000): Promise<LockHolder> {
  const child = startNode(HOLD_LOCK, [dir, String(holdMs)]);
  await waitForLine(child, 'locked');
  return {
    child,
    async release() {
      child.stdin.write('release\n');
      const result = await child;
      if (result.exitCode !== 0) throw new Error(`lock holder failed: ${result.stderr}`);
    },
  };
}

/** Kill every child still running and remove every temp folder. */
export async function cleanup(): Promise<void> {
  for (const child of children) child.kill('SIGKILL');
  await Promise.allSettled([...children]);
  children.clear();
  await Promise.all([...folders].map((dir) => rm(dir, { recursive: true, force: true })));
  folders.clear();
}
