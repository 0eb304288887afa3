/**
 * The defaults of `safetynet serve` (`safetynet.serve` in the config file): one home for the config
 * resolution, the server and the README table. Rationale: `docs/serve.md`.
 */

/** Default `safetynet.serve.host`: loopback only; any other address requires API keys. */
export const DEFAULT_SERVE_HOST = '127.0.0.1';

/** Default `safetynet.serve.port`. */
export const DEFAULT_SERVE_PORT = 8787;

/**
 * Default `safetynet.serve.bodyLimitBytes`: 32 MiB, Anthropic's own request limit (large enough for
 * requests with several base64 images). Larger bodies are answered 413.
 */
export const DEFAULT_SERVE_BODY_LIMIT_BYTES = 32 * 1024 * 1024;

/** Default `safetynet.serve.drainSeconds`: in-flight requests get this long to finish on SIGTERM/SIGINT. */
export const DEFAULT_SERVE_DRAIN_SECONDS = 30;

/** The resolved `safetynet.serve` settings. */
export interface ServeSettings {
  /** Address to bind. @default '127.0.0.1' */
  host: string;
  /** TCP port (0 picks a free one). @default 8787 */
  port: number;
  /** Accepted API keys (config keys, then `SAFETYNET_API_KEYS`); empty means no key is asked for. @default [] */
  apiKeys: string[];
  /** Largest accepted request body, in bytes. @default 33554432 (32 MiB) */
  bodyLimitBytes: number;
  /** Origins that get CORS headers; empty means no CORS headers at all. @default [] */
  corsOrigins: string[];
  /** Seconds in-flight requests may take to finish after SIGTERM/SIGINT before they are aborted. @default 30 */
  drainSeconds: number;
}

/** The defaults of {@link ServeSettings}. */
export const DEFAULT_SERVE_SETTINGS: Readonly<ServeSettings> = Object.freeze({
  host: DEFAULT_SERVE_HOST,
  port: DEFAULT_SERVE_PORT,
  apiKeys: [],
  bodyLimitBytes: DEFAULT_SERVE_BODY_LIMIT_BYTES,
  corsOrigins: [],
  drainSeconds: DEFAULT_SERVE_DRAIN_SECONDS,
});

/**
 * The resolved settings: the validated `safetynet.serve` entry over the defaults, with the
 * comma-separated keys of `SAFETYNET_API_KEYS` added to `apiKeys` (blanks dropped, duplicates once).
 */
export function resolveServeSettings(
  entry: Partial<ServeSettings> | undefined,
  env: Readonly<Record<string, string | undefined>>,
): ServeSettings {
  const fromEnv = (env['SAFETYNET_API_KEYS'] ?? '').split(',').map((key) => key.trim());
  const apiKeys = [...new Set([...(entry?.apiKeys ?? []), ...fromEnv].filter((key) => key !== ''))];
  return {
    host: entry?.host?.trim() ?? DEFAULT_SERVE_HOST,
    port: entry?.port ?? DEFAULT_SERVE_PORT,
    apiKeys,
    bodyLimitBytes: entry?.bodyLimitBytes ?? DEFAULT_SERVE_BODY_LIMIT_BYTES,
    corsOrigins: [...(entry?.corsOrigins ?? [])],
    drainSeconds: entry?.drainSeconds ?? DEFAULT_SERVE_DRAIN_SECONDS,
  };
}
