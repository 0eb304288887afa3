/**
 * The "no cooldowns stored" marker of a LevelDB state folder: a file whose presence says that the
 * folder's `cooldowns` sublevel is empty, so that a request can route without opening LevelDB (the
 * open costs more than the rest of a one-shot turn's store work; rationale: `docs/start-up.md#no-cooldowns-marker`).
 *
 * Only the cooldown store (`./cooldown-store.ts`) writes and removes it, always while it holds the
 * folder open (which excludes other processes) and the in-process marker mutex: it is created after
 * the sublevel was seen empty, and removed before an entry is put. Its absence says nothing (an
 * older folder, a failed write): readers then read LevelDB as before. A tiny module (`node:fs` only),
 * so that checking the marker loads nothing of LevelDB.
 */
import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StoreError } from '../errors.js';

/**
 * File name of the marker inside the LevelDB folder. LevelDB leaves files it does not recognise
 * alone (its compaction and repair only touch files whose names it parses), and the marker moves
 * with the folder it describes (a backup, a copy).
 */
export const NO_COOLDOWNS_MARKER = 'SAFETYNET-NO-COOLDOWNS';

/** The marker's path for the LevelDB folder `location`. */
export function noCooldownsMarker(location: string): string {
  return join(location, NO_COOLDOWNS_MARKER);
}

/**
 * True when the folder `location` is marked as holding no cooldowns: a request may then route as if
 * it read an empty `cooldowns` sublevel. One `stat`; never throws.
 */
export function noCooldownsStored(location: string): boolean {
  return existsSync(noCooldownsMarker(location));
}

/**
 * Create the marker. Call only while holding the folder open and the marker mutex, right after
 * seeing the sublevel empty. A failure leaves no marker (readers then read LevelDB); never rejects.
 */
export async function markNoCooldowns(location: string): Promise<void> {
  await writeFile(noCooldownsMarker(location), '').catch(() => undefined);
}

/**
 * Remove the marker (no error when it is absent). Call only while holding the folder open and the
 * marker mutex, before putting an entry.
 * @throws {StoreError} `SAFETYNET_STORE_FAILED` (with the file system error as `cause`) when an
 *   existing marker cannot be removed: the entry must then not be put, or readers that trust the
 *   marker would miss it.
 */
export async function unmarkNoCooldowns(location: string): Promise<void> {
  const marker = noCooldownsMarker(location);
  try {
    await rm(marker, { force: true });
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? String(cause);
    throw new StoreError('SAFETYNET_STORE_FAILED', `cannot remove ${marker} (${code}), so no cooldown was stored; check its permissions`, {
      location,
      cause,
    });
  }
}
