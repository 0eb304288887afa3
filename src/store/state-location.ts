/**
 * Where the LevelDB state lives when nothing else is configured: `<SAFETYNET_HOME>/state`. A module
 * of its own (no LevelDB import), so that naming the folder loads nothing of LevelDB.
 */
import { join } from 'node:path';
import { safetynetHome } from '../config/home.js';

/** Name of the LevelDB folder inside the safetynet home folder. */
export const STATE_FOLDER_NAME = 'state';

/**
 * The default LevelDB folder: `<SAFETYNET_HOME>/state`, where `SAFETYNET_HOME` defaults to
 * `~/.safetynet` (the home folder rules are those of `safetynetHome` in `config/home.ts`: a leading
 * `~` is expanded, a relative value is resolved against the current working directory).
 *
 * @param env The environment to read (`SAFETYNET_HOME`, `HOME`). Default: `process.env`.
 * @returns An absolute path.
 */
export function defaultStoreLocation(env: Readonly<Record<string, string | undefined>> = process.env): string {
  return join(safetynetHome(env), STATE_FOLDER_NAME);
}
