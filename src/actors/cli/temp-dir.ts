/**
 * The private temp folder of one CLI run: every run gets a fresh `<os.tmpdir()>/safetynet-tmp-XXXXXX`
 * (mode 0700) as its `TMPDIR`, `TMP` and `TEMP`, removed when the run ends, so nothing a CLI drops
 * into its temp folder outlives the request (Gemini writes `gemini-client-error-*.json` reports there
 * on API errors). Recorded in the crash records (`./orphans.ts`, `recordFolder`), so a folder left by
 * a safetynet that was killed (`kill -9`) is removed by its watcher or at the next start.
 *
 * Rationale: `docs/cli-contracts.md#temp-folder` (why per run, why a configured `env.TMPDIR` wins,
 * why claude and codex lose nothing: their sessions live under their HOME config folders).
 */
import { rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recordFolder } from './orphans.js';

/** Name prefix of a run's private temp folder (the reaper removes only recorded folders named so). */
export const CLI_TEMP_PREFIX = 'safetynet-tmp-';

/** The temp variables a run's private folder is given as (POSIX `TMPDIR`, and `TMP`/`TEMP` read by some runtimes). */
export const TEMP_ENV_KEYS = ['TMPDIR', 'TMP', 'TEMP'] as const;

/** A run's private temp folder, or none (see {@link openCliTempDir}). */
export interface CliTempDir {
  /** The folder, or `undefined` when the run keeps the temp folder of its environment. */
  path: string | undefined;
  /** The child environment: `env` with the {@link TEMP_ENV_KEYS} pointing at `path` (or `env` itself). */
  env: Record<string, string>;
  /**
   * Removes the folder with everything in it, and its crash record once the folder is gone.
   * Synchronous (it also runs in a process `exit` hook), may be called again (a group member that
   * outlived the run may have recreated it), never throws.
   */
  remove(): void;
}

/** Options of {@link openCliTempDir}. */
export interface OpenCliTempDirOptions {
  /** Parent of the folder. @default os.tmpdir() */
  parent?: string | undefined;
  /** Folder of the crash records (`$SAFETYNET_HOME/run`); unset: the folder is not recorded. */
  runDir?: string | undefined;
}

/**
 * Make the private temp folder of one run with environment `env`.
 *
 * No folder is made (`path` undefined, `env` returned unchanged) when `keep` is true: the backend's
 * own `env.TMPDIR` was configured, and the user's choice wins. Nor when the folder cannot be made
 * (the parent missing or not writable): the run then goes on with the inherited temp folder, as a
 * CLI run did before, rather than fail a request for a cleanup guarantee.
 *
 * @param keep - true when the backend's config sets `env.TMPDIR` (`CliTurnPlan.keepTempDir`).
 */
export async function openCliTempDir(env: Record<string, string>, keep: boolean, options: OpenCliTempDirOptions = {}): Promise<CliTempDir> {
  const none: CliTempDir = { path: undefined, env, remove: () => {} };
  if (keep) return none;
  let path: string;
  try {
    path = await mkdtemp(join(options.parent ?? tmpdir(), CLI_TEMP_PREFIX)); // mkdtemp makes it 0700
  } catch {
    return none;
  }
  const forget = options.runDir === undefined ? () => {} : recordFolder(options.runDir, path);
  const childEnv = { ...env };
  for (const key of TEMP_ENV_KEYS) childEnv[key] = path;
  return {
    path,
    env: childEnv,
    remove: () => {
      try {
        rmSync(path, { recursive: true, force: true, maxRetries: 2 });
        forget();
      } catch {
        // left for the crash record's reaping (next start, or the watcher at exit)
      }
    },
  };
}
