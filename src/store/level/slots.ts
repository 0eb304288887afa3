/**
 * The process-wide registry behind `LevelHandle` (`handle.ts`): one slot per resolved LevelDB folder with
 * its single `Level` instance, user count, open/close promises, idle-close timer and the sublevels
 * of the current open cycle. Internal to `src/store/`; use `LevelHandle` (`handle.ts`).
 */
import type { Level } from 'level';

/** The shared database: string keys, JSON values (`valueEncoding: 'json'`). */
export type StateDatabase = Level<string, unknown>;

/** Create the JSON sublevel `name` of `db` (prefer `LevelHandle.useSublevel`, which caches it). */
export function createJsonSublevel<V>(db: StateDatabase, name: string) {
  return db.sublevel<string, V>(name, { valueEncoding: 'json' });
}

/** A JSON sublevel of the {@link StateDatabase} with values of type `V` (see `LevelHandle.useSublevel`). */
export type JsonSublevel<V> = ReturnType<typeof createJsonSublevel<V>>;

/** Shared state of one folder in this process (internal to the store). */
export interface Slot {
  readonly location: string;
  db: StateDatabase | undefined;
  users: number;
  opening: Promise<void> | undefined;
  closing: Promise<void> | undefined;
  linger: NodeJS.Timeout | undefined;
  closeWhenIdle: boolean;
  /** Sublevels of the current open cycle (a closed parent closes them for good). */
  readonly sublevels: Map<string, JsonSublevel<unknown>>;
}

/** Resolved folder → shared state. An entry exists while the folder is open, opening, closing or in use. */
const slots = new Map<string, Slot>();

/** The slot of `location`, if any. */
export function findSlot(location: string): Slot | undefined {
  return slots.get(location);
}

/** The slot of `location`, created when missing. */
export function slotFor(location: string): Slot {
  let slot = slots.get(location);
  if (slot === undefined) {
    slot = {
      location,
      db: undefined,
      users: 0,
      opening: undefined,
      closing: undefined,
      linger: undefined,
      closeWhenIdle: false,
      sublevels: new Map(),
    };
    slots.set(location, slot);
  }
  return slot;
}

/** The JSON sublevel `name` of the slot's open database, created once per open cycle. */
export function slotSublevel(slot: Slot, db: StateDatabase, name: string): JsonSublevel<unknown> {
  let sublevel = slot.sublevels.get(name);
  if (sublevel === undefined) {
    sublevel = createJsonSublevel<unknown>(db, name);
    slot.sublevels.set(name, sublevel);
  }
  return sublevel;
}

/** Cancel a pending idle close. */
export function clearLinger(slot: Slot): void {
  if (slot.linger !== undefined) clearTimeout(slot.linger);
  slot.linger = undefined;
}

/** Drop the slot from the registry when nothing uses, opens, closes or lingers on it and its database is closed. */
export function forgetIfIdle(slot: Slot): void {
  const idle = slot.users === 0 && slot.opening === undefined && slot.closing === undefined && slot.linger === undefined;
  if (idle && (slot.db === undefined || slot.db.status === 'closed') && slots.get(slot.location) === slot) slots.delete(slot.location);
}

/** Close the slot's database unless someone uses it. Never rejects: a failed close leaves it open until the next release. */
export function closeIfIdle(slot: Slot): Promise<void> {
  if (slot.users > 0 || slot.opening !== undefined) return Promise.resolve();
  if (slot.closing !== undefined) return slot.closing;
  clearLinger(slot);
  slot.closeWhenIdle = false;
  const db = slot.db;
  if (db === undefined || db.status !== 'open') {
    forgetIfIdle(slot);
    return Promise.resolve();
  }
  slot.sublevels.clear();
  let done!: () => void;
  // Publish `closing` before db.close() runs: it emits 'closing' synchronously.
  slot.closing = new Promise<void>((resolve) => {
    done = resolve;
  });
  db.close()
    .catch(() => undefined)
    .finally(() => {
      slot.closing = undefined;
      forgetIfIdle(slot);
      done();
    });
  return slot.closing;
}

/** `message: cause message` of an error (level puts the native reason in `cause`). */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? error.cause.message : undefined;
  return cause === undefined || cause === error.message ? error.message : `${error.message}: ${cause}`;
}
