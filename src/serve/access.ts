/**
 * Who may talk to the server: the bind check (a non-loopback address requires API keys), the API
 * key check of every request (constant time), and CORS headers for configured origins only.
 * Rationale: `docs/serve.md#security`.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import { UsageError } from '../errors.js';

/** True for a loopback bind address: `localhost`, `127.0.0.0/8`, `::1` (and its IPv4-mapped form). */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '');
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || h === '0:0:0:0:0:0:0:1' || h.startsWith('::ffff:127.');
  return false;
}

/**
 * Refuse to serve a non-loopback address without API keys.
 * @throws {UsageError} `SAFETYNET_USAGE` naming `--host`, `safetynet.serve.apiKeys` and `SAFETYNET_API_KEYS`.
 */
export function checkBindSafety(host: string, apiKeys: readonly string[]): void {
  if (isLoopbackHost(host) || apiKeys.length > 0) return;
  throw new UsageError(
    `--host ${host}: refusing to serve a non-loopback address without API keys — set safetynet.serve.apiKeys in the config ` +
      'or SAFETYNET_API_KEYS (comma-separated), or bind 127.0.0.1',
  );
}

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/** A key check: compares sha256 digests with `timingSafeEqual`, so neither length nor content leaks through timing. */
export function keyChecker(apiKeys: readonly string[]): (presented: string | undefined) => boolean {
  const digests = apiKeys.map(digest);
  return (presented) => {
    if (presented === undefined || presented === '') return false;
    const given = digest(presented);
    let ok = false;
    for (const known of digests) ok = timingSafeEqual(known, given) || ok;
    return ok;
  };
}

/** The key a request presents: `Authorization: Bearer <key>`, else `x-api-key`. */
export function presentedKey(headers: Readonly<Record<string, string | string[] | undefined>>): string | undefined {
  const auth = headers['authorization'];
  if (typeof auth === 'string' && /^bearer /i.test(auth)) return auth.slice(7).trim();
  const key = headers['x-api-key'];
  return typeof key === 'string' ? key.trim() : undefined;
}

/**
 * The CORS headers for a request's `Origin`: only for an origin in `allowed` (exact match, or `*`);
 * none otherwise (the browser then blocks the response).
 */
export function corsHeaders(origin: string | undefined, allowed: readonly string[]): Record<string, string> | undefined {
  if (origin === undefined || allowed.length === 0) return undefined;
  if (!allowed.includes(origin) && !allowed.includes('*')) return undefined;
  return {
    'access-control-allow-origin': allowed.includes('*') ? '*' : origin,
    'access-control-allow-methods': 'GET, POST, OPTIONS',
    'access-control-allow-headers':
      'authorization, content-type, x-api-key, x-session-id, anthropic-version, anthropic-beta, openai-organization, openai-project',
    'access-control-expose-headers': 'x-safetynet-model, x-safetynet-attempts, x-safetynet-request-id, x-safetynet-warning, retry-after',
    'access-control-max-age': '600',
    vary: 'origin',
  };
}
