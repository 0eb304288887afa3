/**
 * The defaults of `safetynet.store` (where sessions, transcripts, cooldowns, traces and session
 * lanes live): one home for the config resolution, the store factory and the README table.
 * Rationale: `docs/replicas.md`.
 */
import os from 'node:os';
import { invalidConfig } from './problems.js';

/** Default `safetynet.store.kind`: the embedded LevelDB folder. */
export const DEFAULT_STORE_KIND = 'level';
/** Default `safetynet.store.keyPrefix`. */
export const DEFAULT_STORE_KEY_PREFIX = 'safetynet:';
/** Default `safetynet.store.commandTimeoutMs`: the longest one Redis command may take. */
export const DEFAULT_STORE_COMMAND_TIMEOUT_MS = 1000;
/** Default `safetynet.store.leaseSeconds`: a session lane lease not renewed for this long expires (a dead replica's turn). */
export const DEFAULT_STORE_LEASE_SECONDS = 5;

/** The resolved `safetynet.store` settings. */
export interface StoreSettings {
  /** `level` (one LevelDB folder, `$SAFETYNET_HOME/state`) or `redis` (shared by replicas). @default 'level' */
  kind: 'level' | 'redis';
  /** The Redis URL (`$SAFETYNET_REDIS_URL` wins); required when `kind` is `redis`, unused otherwise. */
  url: string | undefined;
  /** Prefix of every Redis key. @default 'safetynet:' */
  keyPrefix: string;
  /** Longest time one Redis command may take, queued while reconnecting or sent, in ms. @default 1000 */
  commandTimeoutMs: number;
  /** Session lane lease time in Redis, in ms (renewed by its holder; a dead replica's lease expires after it). @default 5000 */
  leaseMs: number;
  /**
   * This process's host identity, stored with the CLI sessions it creates: a session is resumed only
   * on the host that created it. `$SAFETYNET_HOST_ID` wins. @default os.hostname()
   */
  hostId: string;
}

/** The `safetynet.store` entry as written in the config file (validated by the schema). */
export interface StoreConfig {
  kind?: 'level' | 'redis';
  url?: string;
  keyPrefix?: string;
  commandTimeoutMs?: number;
  leaseSeconds?: number;
  hostId?: string;
}

const REDIS_URL = /^rediss?:\/\/./;

/** `url` with its password (and user) replaced by `***`, for messages, logs and `doctor`. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '' || parsed.username !== '') {
      parsed.username = parsed.username === '' ? '' : '***';
      parsed.password = parsed.password === '' ? '' : '***';
    }
    return parsed.toString();
  } catch {
    return '<unparseable Redis URL>';
  }
}

/**
 * The resolved settings: the validated entry over the defaults; `SAFETYNET_REDIS_URL` and
 * `SAFETYNET_HOST_ID` (when set and not blank) win over `url` and `hostId`.
 *
 * @param source the config file (or `<inline>`), named by errors.
 * @throws {ConfigError} `SAFETYNET_CONFIG_INVALID` when `kind` is `redis` without any URL, or
 *   `SAFETYNET_REDIS_URL` is not a redis:// URL (the message never shows the URL's password).
 */
export function resolveStoreSettings(
  entry: StoreConfig | undefined,
  env: Readonly<Record<string, string | undefined>>,
  source: string,
): StoreSettings {
  const envUrl = env['SAFETYNET_REDIS_URL']?.trim();
  const envHost = env['SAFETYNET_HOST_ID']?.trim();
  const kind = entry?.kind ?? DEFAULT_STORE_KIND;
  if (envUrl !== undefined && envUrl !== '' && !REDIS_URL.test(envUrl)) {
    const received = JSON.stringify(redactRedisUrl(envUrl));
    throw invalidConfig(source, [{ file: source, path: '$SAFETYNET_REDIS_URL', expected: 'a redis:// or rediss:// URL', received }]);
  }
  const url = envUrl !== undefined && envUrl !== '' ? envUrl : entry?.url?.trim();
  if (kind === 'redis' && url === undefined) {
    const expected = 'a redis:// URL when kind is "redis" (or set SAFETYNET_REDIS_URL)';
    throw invalidConfig(source, [{ file: source, path: 'safetynet.store.url', expected, received: 'nothing' }]);
  }
  return {
    kind,
    url,
    keyPrefix: entry?.keyPrefix ?? DEFAULT_STORE_KEY_PREFIX,
    commandTimeoutMs: entry?.commandTimeoutMs ?? DEFAULT_STORE_COMMAND_TIMEOUT_MS,
    leaseMs: Math.round((entry?.leaseSeconds ?? DEFAULT_STORE_LEASE_SECONDS) * 1000),
    hostId: envHost !== undefined && envHost !== '' ? envHost : (entry?.hostId?.trim() ?? os.hostname()),
  };
}
