/**
 * Argument checks of the store's public methods: a bad argument throws a `TypeError` naming it
 * (a programming error of the caller, not a `StoreError`), before anything is read or written.
 */

/**
 * `value` when it is a non-empty string.
 *
 * @throws {TypeError} `Expected the \`<name>\` argument to be a non-empty string, got …`.
 */
export function requireText(name: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') {
    throw new TypeError(`Expected the \`${name}\` argument to be a non-empty string, got \`${String(value)}\` (${typeof value})`);
  }
  return value;
}

/**
 * `value` when it is a finite number (epoch ms).
 *
 * @throws {TypeError} `Expected the \`now\` argument to be finite epoch milliseconds, got …`.
 */
export function requireNow(value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new TypeError(`Expected the \`now\` argument to be finite epoch milliseconds, got \`${String(value)}\` (${typeof value})`);
  return value;
}
