/**
 * Where the LevelDB state lives when nothing else is configured: `<SAFETYNET_HOME>/state`.
 */
import { join } from 'node:path';
import { safetynetHome } from '../config/home.js';
import { LevelHandle, type LevelHandleOptions } from './level/handle.js';

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

/** Where a store's LevelDB handle comes from: the options every store accepts besides its own. */
export interface StateHandleOptions extends LevelHandleOptions {
  /** The LevelDB folder. @default defaultStoreLocation() */
  location?: string | undefined;
  /** Use this handle instead of creating one; `location` and the handle options are then ignored. */
  handle?: LevelHandle | undefined;
}

/**
 * The handle a store uses: `options.handle`, else a new {@link LevelHandle} on `options.location`
 * (default {@link defaultStoreLocation}) with the remaining handle options.
 *
 * @throws {TypeError} when `location` is empty or a handle option is out of range.
 */
export function stateHandle(options: StateHandleOptions): LevelHandle {
  const { location, handle, ...handleOptions } = options;
  return handle ?? new LevelHandle(location ?? defaultStoreLocation(), handleOptions);
}
