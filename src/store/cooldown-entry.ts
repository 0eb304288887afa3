/**
 * The stored shape of a cooldown, checked on the way out of a store: every backend (LevelDB,
 * Redis) reads its values through {@link toEntry}, so a value that is not an entry (an older
 * shape, a hand edit, garbage) reads as absent everywhere alike.
 */
import { FAILURE_REASONS, type FailureReason } from '../errors.js';
import { isStaleCooldown, type CooldownEntry } from '../failover/cooldown-policy.js';
import { requireNow, requireText } from './arguments.js';

const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/**
 * A stored value as a {@link CooldownEntry} (only its known fields, copied), or `undefined` when
 * it does not have that shape: `key` a string, `scope` `model`/`provider`, a known `reason`,
 * finite `failures`/`since`/`until`/`lastFailureAt`, and finite `retryAfterMs`/`probeAt` when present.
 */
export function toEntry(value: unknown): CooldownEntry | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v['key'] !== 'string' || (v['scope'] !== 'model' && v['scope'] !== 'provider')) return undefined;
  if (!FAILURE_REASONS.includes(v['reason'] as FailureReason)) return undefined;
  if (![v['failures'], v['since'], v['until'], v['lastFailureAt']].every(isNumber)) return undefined;
  if (v['retryAfterMs'] !== undefined && !isNumber(v['retryAfterMs'])) return undefined;
  if (v['probeAt'] !== undefined && !isNumber(v['probeAt'])) return undefined;
  const entry: CooldownEntry = {
    key: v['key'],
    scope: v['scope'],
    reason: v['reason'] as FailureReason,
    failures: v['failures'] as number,
    since: v['since'] as number,
    until: v['until'] as number,
    lastFailureAt: v['lastFailureAt'] as number,
  };
  if (isNumber(v['retryAfterMs'])) entry.retryAfterMs = v['retryAfterMs'];
  if (isNumber(v['probeAt'])) entry.probeAt = v['probeAt'];
  return entry;
}

/** The JSON text of a stored value as an entry: `undefined` when it is not JSON or not an entry. */
export function parseEntry(text: string | null | undefined): CooldownEntry | undefined {
  if (text === null || text === undefined) return undefined;
  try {
    return toEntry(JSON.parse(text));
  } catch {
    return undefined;
  }
}

/**
 * The `read` of every cooldown backend: the entries of `keys` that are not stale at `now`, by key.
 * Duplicate keys are asked once: `fetch` gets the unique keys and answers their stored values in
 * that order (it is not called when `keys` is empty); `decode` turns a value into an entry
 * (`undefined` when it is not one, which then reads as absent). Expired entries are included
 * (callers compare `until` with their `now`); stale ones (past their ladder's reset window) are not.
 *
 * @param now epoch ms.
 * @throws {TypeError} when a key is not a non-empty string or `now` is not finite (before `fetch`).
 */
export async function readFreshEntries<V>(
  keys: readonly string[],
  now: number,
  fetch: (unique: string[]) => Promise<readonly V[]>,
  decode: (value: V) => CooldownEntry | undefined,
): Promise<Map<string, CooldownEntry>> {
  for (const [i, key] of keys.entries()) requireText(`keys[${i}]`, key);
  requireNow(now);
  const unique = [...new Set(keys)];
  const found = new Map<string, CooldownEntry>();
  if (unique.length === 0) return found;
  const values = await fetch(unique);
  values.forEach((value, i) => {
    const entry = decode(value);
    if (entry !== undefined && !isStaleCooldown(entry, now)) found.set(unique[i] as string, entry);
  });
  return found;
}

/**
 * The `list` answer of every cooldown backend: the stored values that decode to an entry
 * (`decode` answers `undefined` for the others) and are not stale at `now`, sorted by key
 * (UTF-16 code unit order).
 *
 * @param now epoch ms.
 */
export function liveEntriesByKey<V>(values: readonly V[], decode: (value: V) => CooldownEntry | undefined, now: number): CooldownEntry[] {
  return values
    .flatMap((value) => decode(value) ?? [])
    .filter((entry) => !isStaleCooldown(entry, now))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
