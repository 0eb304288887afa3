/**
 * SDK clients, built once per provider and reused (the speed target: no per-call construction).
 *
 * - The SDK modules are imported lazily, on the first API call: the CLI-only path never loads them.
 * - Clients are cached per provider object (a `WeakMap`, the hot path), and behind that per
 *   `api + id + baseUrl + sha256(key) + headers`, so an equal provider resolved again (a reloaded
 *   config) reuses the client. The keyed cache holds at most {@link MAX_CACHED_CLIENTS} clients.
 * - Every client has the SDK's retries off (`maxRetries: 0`: the request machine owns retries and
 *   fallbacks, so a policy never multiplies) and its logging off (`logLevel: 'off'`).
 * - Only the resolved provider is read, never `process.env`: the key, the base URL (the SDK
 *   default when unset) and the organization/project options are passed explicitly.
 * - A provider without a key sends no credential (local servers): a placeholder satisfies the
 *   SDK's constructor and the auth headers are explicitly omitted (`null` headers).
 * - Anthropic keys go in `x-api-key` (see `anthropicHeaders`), OpenAI keys as `Authorization: Bearer`.
 * - Redirects are never followed (`fetchWithoutRedirects`): a 3xx answer fails the attempt (`config`).
 */
import { createHash } from 'node:crypto';
import type Anthropic from '@anthropic-ai/sdk';
import type OpenAI from 'openai';
import type { ResolvedApiProvider } from '../../config/types.js';
import { fetchWithoutRedirects } from './redirects.js';

/** The Anthropic API's base URL when a provider sets none (the SDK appends `/v1/messages`). */
export const DEFAULT_ANTHROPIC_BASE_URL = 'https://api.anthropic.com';
/** The OpenAI API's base URL when a provider sets none (the SDK appends `/responses`, `/chat/completions`). */
export const DEFAULT_OPENAI_BASE_URL = 'https://api.openai.com/v1';
/** Most clients kept in the keyed cache; the oldest is dropped beyond this. */
export const MAX_CACHED_CLIENTS = 32;

/** Satisfies the SDK constructors for key-less providers; never sent (the auth headers are nulled). */
const NO_KEY = 'no-key';

type AnthropicModule = typeof import('@anthropic-ai/sdk');
type OpenAIModule = typeof import('openai');

let anthropicSdk: Promise<AnthropicModule> | undefined;
let openaiSdk: Promise<OpenAIModule> | undefined;

/** The `@anthropic-ai/sdk` module, imported once (a failed import is retried on the next call). */
function loadAnthropic(): Promise<AnthropicModule> {
  anthropicSdk ??= import('@anthropic-ai/sdk').catch((error: unknown) => {
    anthropicSdk = undefined;
    throw error;
  });
  return anthropicSdk;
}

/** The `openai` module, imported once (a failed import is retried on the next call). */
function loadOpenAI(): Promise<OpenAIModule> {
  openaiSdk ??= import('openai').catch((error: unknown) => {
    openaiSdk = undefined;
    throw error;
  });
  return openaiSdk;
}

let byProvider = new WeakMap<ResolvedApiProvider, Anthropic | OpenAI>();
const byKey = new Map<string, Anthropic | OpenAI>();

/** The keyed-cache key: the key itself only as a SHA-256 digest. */
function cacheKey(provider: ResolvedApiProvider): string {
  const keyHash = provider.apiKey === undefined ? '-' : createHash('sha256').update(provider.apiKey).digest('base64url');
  return [
    provider.api,
    provider.id,
    provider.baseUrl ?? '',
    keyHash,
    provider.authHeader === true ? 'bearer' : '',
    JSON.stringify(provider.headers),
  ].join('\u0000');
}

/** Default headers: for a key-less provider the auth headers are omitted, then the configured headers. */
function defaultHeaders(provider: ResolvedApiProvider, authHeaders: readonly string[]): Record<string, string | null> {
  const headers: Record<string, string | null> = {};
  if (provider.apiKey === undefined) for (const name of authHeaders) headers[name] = null;
  return Object.assign(headers, provider.headers);
}

/**
 * Anthropic auth headers. SDK v1 sends an `apiKey` as `Authorization: Bearer`; Anthropic-compatible
 * servers (and the reference gateway) use the Messages API's `x-api-key`, so the key goes there and
 * the bearer header is omitted, unless the provider sets `authHeader: true`.
 */
function anthropicHeaders(provider: ResolvedApiProvider): Record<string, string | null> {
  if (provider.apiKey === undefined) return defaultHeaders(provider, ['x-api-key', 'authorization']);
  if (provider.authHeader === true) return defaultHeaders(provider, []);
  return Object.assign({ authorization: null, 'x-api-key': provider.apiKey }, provider.headers);
}

/**
 * The client of `provider`: the one cached for this provider object, else one cached for an equal
 * provider ({@link cacheKey}), else a new one from `build` (which loads the SDK on first use).
 */
async function cachedClient<T extends Anthropic | OpenAI>(provider: ResolvedApiProvider, build: () => Promise<T>): Promise<T> {
  const cached = byProvider.get(provider);
  if (cached !== undefined) return cached as T;
  const key = cacheKey(provider);
  const known = byKey.get(key);
  if (known !== undefined) return remember(provider, key, known as T);
  return remember(provider, key, await build());
}

function remember<T extends Anthropic | OpenAI>(provider: ResolvedApiProvider, key: string, client: T): T {
  byProvider.set(provider, client);
  byKey.set(key, client);
  if (byKey.size > MAX_CACHED_CLIENTS) {
    const oldest = byKey.keys().next().value;
    if (oldest !== undefined) byKey.delete(oldest);
  }
  return client;
}

/** The cached Anthropic client of an `anthropic-messages` provider (built on first use). */
export function anthropicClient(provider: ResolvedApiProvider): Promise<Anthropic> {
  return cachedClient(provider, async () => {
    const { default: AnthropicClient } = await loadAnthropic();
    return new AnthropicClient({
      apiKey: provider.apiKey ?? NO_KEY,
      authToken: null,
      webhookKey: null,
      baseURL: provider.baseUrl ?? DEFAULT_ANTHROPIC_BASE_URL,
      fetch: fetchWithoutRedirects,
      maxRetries: 0,
      logLevel: 'off',
      defaultHeaders: anthropicHeaders(provider),
    });
  });
}

/** The cached OpenAI client of an `openai-responses` / `openai-completions` provider (built on first use). */
export function openaiClient(provider: ResolvedApiProvider): Promise<OpenAI> {
  return cachedClient(provider, async () => {
    const { default: OpenAIClient } = await loadOpenAI();
    return new OpenAIClient({
      apiKey: provider.apiKey ?? NO_KEY,
      adminAPIKey: null,
      organization: null,
      project: null,
      webhookSecret: null,
      baseURL: provider.baseUrl ?? DEFAULT_OPENAI_BASE_URL,
      fetch: fetchWithoutRedirects,
      maxRetries: 0,
      logLevel: 'off',
      defaultHeaders: defaultHeaders(provider, ['authorization']),
    });
  });
}

/** Drops every cached client (tests; a long-lived process never needs it). */
export function clearClientCache(): void {
  byProvider = new WeakMap();
  byKey.clear();
}
