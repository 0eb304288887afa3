/**
 * The LevelDB handle a store uses: its own, or one on the default folder (`./state-location.ts`).
 */
import { LevelHandle, type LevelHandleOptions } from './level/handle.js';
import { defaultStoreLocation } from './state-location.js';

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
