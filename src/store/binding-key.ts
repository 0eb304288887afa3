/**
 * LevelDB keys of session bindings. A key is `<sessionKey>\u0000<backendId>`, each part escaped
 * so that any JavaScript string works (NUL, `/`, emoji, lone surrogates) without collisions, and
 * all backends of one session key form one contiguous key range.
 */

/** Separates the escaped session key from the escaped backend id. Never occurs in an escaped part. */
export const KEY_SEPARATOR = '\u0000';

/**
 * Escape one key part: printable ASCII except `%` stays as is; every other UTF-16 code unit
 * (controls, space, `%`, non-ASCII, each half of a surrogate pair) becomes `%` plus 4 hex digits.
 * The mapping is injective and its output contains only `!`…`~`.
 *
 * @example encodeKeyPart('a b%') === 'a%0020b%0025'
 */
export function encodeKeyPart(value: string): string {
  return value.replace(/[^\x21-\x24\x26-\x7e]/g, (char) => `%${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Inverse of {@link encodeKeyPart}. */
export function decodeKeyPart(encoded: string): string {
  return encoded.replace(/%([0-9a-f]{4})/g, (_match, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

/** The key of the binding of (`sessionKey`, `backendId`). */
export function bindingKey(sessionKey: string, backendId: string): string {
  return `${encodeKeyPart(sessionKey)}${KEY_SEPARATOR}${encodeKeyPart(backendId)}`;
}

/** The key range holding every backend's binding of `sessionKey` (for an iterator: `gte`/`lt`). */
export function sessionKeyRange(sessionKey: string): { gte: string; lt: string } {
  const prefix = encodeKeyPart(sessionKey);
  return { gte: `${prefix}${KEY_SEPARATOR}`, lt: `${prefix}\u0001` };
}
