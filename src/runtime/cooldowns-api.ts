/**
 * `runtime.cooldowns`: the cooldowns of the state store, listed and cleared by hand (`safetynet
 * cooldowns`), e.g. once a key is fixed instead of waiting out an `auth` cooldown. Works on either
 * store (LevelDB, Redis) through the `CooldownStorage` port.
 */
import { splitModelRef } from '../config/provider-id.js';
import type { ResolvedConfig } from '../config/types.js';
import { UsageError } from '../errors.js';
import type { CooldownEntry } from '../store/index.js';
import type { CooldownStorage } from '../store/ports.js';

/** A cooldown in force, as `runtime.cooldowns.list()` reports it. */
export interface CooldownView extends CooldownEntry {
  /** Time left until the cooldown ends, in ms (> 0). */
  remainingMs: number;
  /** The configured model refs (primary, fallbacks, allowlist) it keeps from being tried, sorted. */
  blocks: string[];
}

/** What `runtime.cooldowns.clear()` removed. */
export interface ClearedCooldowns {
  /** The keys (model refs and provider ids) whose entries were removed, sorted. */
  keys: string[];
}

/** `runtime.cooldowns`. */
export interface CooldownsApi {
  /**
   * The cooldowns in force now (`until` later than now), sorted by key: model refs (transient
   * failures, `model_not_found`) and provider ids (`auth`, `billing`). A LevelDB folder that does
   * not exist yet holds none and is not created.
   * @throws {StoreError} when the store cannot be read.
   */
  list(): Promise<CooldownView[]>;
  /**
   * Remove cooldowns, ended ones too (their ladder starts again at its first step):
   * - `'all'`: every entry;
   * - a model ref `<provider>/<model>`: the entries that keep it from being tried, its own and its
   *   provider's (what a success of it clears, `docs/failover-policy.md#what-a-success-clears`);
   * - a provider id: its own entry and every model entry of that provider.
   * A known target without a cooldown removes nothing.
   * @throws {UsageError} `SAFETYNET_USAGE` for a target that is neither configured (a model ref of
   *   the primary, fallbacks or allowlist, or of a configured provider; a CLI backend or API provider
   *   id) nor stored; the message lists the known ones (stored keys, configured refs and providers).
   * @throws {StoreError} when the store cannot be read or written.
   */
  clear(target: string): Promise<ClearedCooldowns>;
}

/** The model refs the config names (primary, fallbacks, allowlist keys), normalized and sorted. */
export function configuredRefs(config: Pick<ResolvedConfig, 'primary' | 'fallbacks' | 'allowlist'>): string[] {
  const named = [config.primary, ...config.fallbacks, ...Object.keys(config.allowlist ?? {})];
  const parsed = named.map((ref) => (ref === undefined ? undefined : splitModelRef(ref)?.ref));
  return [...new Set(parsed.filter((ref) => ref !== undefined))].sort();
}

/** The stored keys `target` concerns (see {@link CooldownsApi.clear}). */
function keysOf(target: string, stored: readonly string[]): string[] {
  const ref = splitModelRef(target);
  if (ref !== undefined) return stored.filter((key) => key === ref.ref || key === ref.provider);
  const provider = target.trim().toLowerCase();
  return stored.filter((key) => key === provider || key.startsWith(`${provider}/`));
}

/** Is `target` a configured model ref, a ref of a configured provider, or a configured provider id? */
function isKnown(target: string, refs: readonly string[], providers: readonly string[]): boolean {
  const ref = splitModelRef(target);
  return ref === undefined ? providers.includes(target.trim().toLowerCase()) : refs.includes(ref.ref) || providers.includes(ref.provider);
}

/**
 * The `runtime.cooldowns` of a runtime.
 * @param storage the cooldown store, `undefined` while a LevelDB folder does not exist yet.
 * @param now the runtime's clock, epoch ms.
 */
export function cooldownsApi(
  storage: () => Promise<CooldownStorage | undefined>,
  config: Pick<ResolvedConfig, 'primary' | 'fallbacks' | 'allowlist' | 'backends' | 'providers'>,
  now: () => number,
): CooldownsApi {
  const refs = configuredRefs(config);
  const stored = async (at: number) => (await (await storage())?.list(at)) ?? [];
  return {
    async list() {
      const at = now();
      return (await stored(at))
        .filter((entry) => entry.until > at)
        .map((entry) => ({ ...entry, remainingMs: entry.until - at, blocks: refs.filter((ref) => keysOf(ref, [entry.key]).length > 0) }));
    },
    async clear(target) {
      const store = await storage();
      const keys = (await stored(now())).map((entry) => entry.key);
      if (target === 'all') {
        await store?.clear();
        return { keys };
      }
      const matching = keysOf(target, keys);
      const providers = [...Object.keys(config.backends), ...Object.keys(config.providers)];
      if (matching.length === 0 && !isKnown(target, refs, providers)) {
        const known = [...new Set([...keys, ...refs, ...providers])].sort().join(', ');
        throw new UsageError(
          `unknown model ref or provider "${target}": no provider of that name is configured and nothing of it cools down; known: ${known}`,
        );
      }
      for (const key of matching) await store?.clear(key);
      return { keys: matching };
    },
  };
}
