/**
 * Provider ids (CLI backend ids and API provider ids, the left side of a model ref) are
 * case-insensitive: `Claude-CLI`, ` claude-cli ` and `claude-cli` are one id. This file is the one
 * home of that rule and of the model ref split (`<provider>/<model>` at the first `/`).
 */

/** A provider id as compared and stored: trimmed, lower-cased. */
export function providerId(key: string): string {
  return key.trim().toLowerCase();
}

/** A parsed model ref: `<provider>/<model>` split at its first `/`. */
export interface ModelRef {
  /** Normalized `"<provider>/<model>"` (provider lower-cased, both parts trimmed). */
  ref: string;
  /** The provider id, lower-cased (see {@link providerId}). */
  provider: string;
  /** Everything after the first `/`, trimmed (may itself contain `/`, e.g. `deepseek/deepseek-r1`). */
  model: string;
}

/**
 * Splits `provider/model` at the first `/`; the provider is lower-cased, both parts trimmed.
 *
 * @returns `undefined` when there is no `/` or either side is empty.
 */
export function splitModelRef(ref: string): ModelRef | undefined {
  const slash = ref.indexOf('/');
  if (slash < 0) return undefined;
  const provider = providerId(ref.slice(0, slash));
  const model = ref.slice(slash + 1).trim();
  if (provider === '' || model === '') return undefined;
  return { ref: `${provider}/${model}`, provider, model };
}

/**
 * Entries of a config section keyed by provider id (`cliBackends`, `models.providers`), by
 * {@link providerId}; when several keys give one id, the key that is exactly the lower-case id wins,
 * else the first. Each value keeps the key as written (for messages).
 */
export function entriesById<T>(entries: Readonly<Record<string, T>> | undefined): Map<string, { key: string; entry: T }> {
  const byId = new Map<string, { key: string; entry: T }>();
  if (entries === undefined) return byId;
  for (const [key, entry] of Object.entries(entries)) {
    const id = providerId(key);
    if (!byId.has(id) || key === id) byId.set(id, { key, entry });
  }
  return byId;
}
