/**
 * One Redis connection (ioredis) shared by the Redis stores of a runtime: key names under the
 * configured prefix, a bounded command timeout, reconnects without a restart, and one mapping of
 * client errors to `StoreError`. Rationale: `docs/replicas.md`.
 */
import { Redis } from 'ioredis';
import { DEFAULT_STORE_COMMAND_TIMEOUT_MS, DEFAULT_STORE_KEY_PREFIX, redactRedisUrl } from '../../config/store-defaults.js';
import { StoreError } from '../../errors.js';
import type { StoreHealth } from '../ports.js';

export { redactRedisUrl };

/** Longest pause between two reconnect attempts, in ms (they start at 50 ms and grow by 50 ms). */
const MAX_RECONNECT_DELAY_MS = 1000;

/** Options of {@link RedisConnection}. */
export interface RedisConnectionOptions {
  /** `redis://[user:password@]host:port[/db]` (or `rediss://`). */
  url: string;
  /** Prefix of every key this connection names. @default 'safetynet:' */
  keyPrefix?: string | undefined;
  /** Longest time one command may take, queued while reconnecting or sent, in ms. @default 1000 */
  commandTimeoutMs?: number | undefined;
  /** Receives connection warnings (once per outage, not per command). */
  onWarning?: ((message: string) => void) | undefined;
}

/**
 * A lazily connected ioredis client. A command issued while the connection is down waits at most
 * `commandTimeoutMs` for it to come back, then fails with `SAFETYNET_STORE_UNAVAILABLE`; the client
 * keeps reconnecting in the background (every 50–1000 ms), so the process recovers by itself.
 *
 * A command that failed is never sent later: there is no offline queue (commands wait for the
 * connection in {@link run}, not in ioredis), and commands in flight when the connection drops are
 * failed, not resent. So a commit reported as failed cannot land after its caller moved on (except
 * one Redis received and answered too late: an outcome no client can know).
 */
export class RedisConnection {
  /** The URL without its password. */
  readonly location: string;
  /** Prefix of every key. */
  readonly prefix: string;
  readonly commandTimeoutMs: number;
  /**
   * The fencing token of each session lane this process holds now, by session key (set by the
   * Redis lane locks, checked by the Redis session store's commits).
   */
  readonly fences = new Map<string, number>();
  readonly #url: string;
  readonly #onWarning: (message: string) => void;
  #client: Redis | undefined;
  #down = false;
  /** The pending wait for `ready` of a client that is not ready (one listener, shared by every waiting command). */
  readonly #readyWaits = new WeakMap<Redis, Promise<void>>();

  /** @throws {TypeError} when `url` is not a redis:// or rediss:// URL, or `commandTimeoutMs` is not positive. */
  constructor(options: RedisConnectionOptions) {
    const protocol = safeProtocol(options.url);
    if (protocol !== 'redis:' && protocol !== 'rediss:')
      throw new TypeError(`Expected a redis:// or rediss:// URL, got \`${redactRedisUrl(options.url)}\``);
    const timeout = options.commandTimeoutMs ?? DEFAULT_STORE_COMMAND_TIMEOUT_MS;
    if (!Number.isFinite(timeout) || timeout <= 0) throw new TypeError(`Expected commandTimeoutMs to be a positive number, got ${timeout}`);
    this.#url = options.url;
    this.location = redactRedisUrl(options.url);
    this.prefix = options.keyPrefix ?? DEFAULT_STORE_KEY_PREFIX;
    this.commandTimeoutMs = timeout;
    this.#onWarning = options.onWarning ?? (() => {});
  }

  /** The full name of a key: the prefix, then `parts` joined by `:`. */
  key(...parts: string[]): string {
    return this.prefix + parts.join(':');
  }

  /** The client, created (and connecting) on first use. */
  get client(): Redis {
    this.#client ??= this.#connect();
    return this.#client;
  }

  /**
   * The client once it is connected (waits at most `commandTimeoutMs`), for direct commands outside {@link run}.
   * @throws {StoreError} `SAFETYNET_STORE_UNAVAILABLE` when it does not connect in time.
   */
  async ready(): Promise<Redis> {
    return this.run('connect', async (client) => client);
  }

  /**
   * Run `fn` with the client; its failures become `StoreError`s naming `what`: a reply error
   * (a bad command or script) is `SAFETYNET_STORE_FAILED`, anything else (connection refused or
   * lost, command timeout) `SAFETYNET_STORE_UNAVAILABLE`.
   */
  async run<T>(what: string, fn: (client: Redis) => Promise<T>): Promise<T> {
    try {
      const client = this.client;
      await this.#ready(client);
      return await fn(client);
    } catch (error) {
      if (error instanceof StoreError || error instanceof TypeError) throw error;
      throw this.error(what, error);
    }
  }

  /** The `StoreError` of a failed command (see {@link run}). */
  error(what: string, cause: unknown): StoreError {
    const reply = (cause as { name?: unknown } | null)?.name === 'ReplyError';
    const detail = cause instanceof Error ? cause.message : String(cause);
    return reply
      ? new StoreError('SAFETYNET_STORE_FAILED', `Redis at ${this.location} refused to ${what}: ${detail}`, {
          location: this.location,
          cause,
        })
      : new StoreError(
          'SAFETYNET_STORE_UNAVAILABLE',
          `Redis at ${this.location} is unavailable, could not ${what}: ${detail}. ` +
            'Check that redis-server runs and is reachable (safetynet doctor checks it); safetynet reconnects by itself.',
          { location: this.location, cause },
        );
  }

  /** `PING` and the server version, timed (never rejects). */
  async health(): Promise<StoreHealth> {
    const base = { kind: 'redis' as const, location: this.location };
    try {
      await this.#ready(this.client);
      const started = performance.now();
      await this.client.ping();
      const latencyMs = Math.round((performance.now() - started) * 1000) / 1000;
      const info = await this.client.info('server');
      const version = /^redis_version:(.+)$/m.exec(info)?.[1]?.trim();
      return { ...base, ok: true, latencyMs, ...(version === undefined ? {} : { version }) };
    } catch (error) {
      return { ...base, ok: false, error: this.error('answer PING', error).message };
    }
  }

  /** Close the connection (pending commands fail). Never rejects; a later command reconnects. */
  async close(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    if (client === undefined) return;
    client.removeAllListeners('close'); // our own close is not an outage
    try {
      await client.quit();
    } catch {
      client.disconnect();
    }
  }

  /**
   * Resolves when `client` is connected and ready, or rejects after `commandTimeoutMs`. Waiters
   * share one `ready` listener per client (many commands may wait during an outage).
   */
  async #ready(client: Redis): Promise<void> {
    if (client.status === 'ready') return;
    let readyNow = this.#readyWaits.get(client);
    if (readyNow === undefined) {
      readyNow = new Promise<void>((resolve) => client.once('ready', () => resolve()));
      this.#readyWaits.set(client, readyNow);
      void readyNow.then(() => this.#readyWaits.delete(client));
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`not connected within ${this.commandTimeoutMs} ms (${client.status})`)),
        this.commandTimeoutMs,
      );
    });
    try {
      await Promise.race([readyNow, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  #connect(): Redis {
    const client = new Redis(this.#url, {
      lazyConnect: false,
      commandTimeout: this.commandTimeoutMs,
      connectTimeout: Math.max(this.commandTimeoutMs, 1000),
      // Commands wait for the connection in `run`, bounded; none is queued or resent by the client.
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
      retryStrategy: (times) => Math.min(times * 50, MAX_RECONNECT_DELAY_MS),
    });
    const down = (why: string): void => {
      if (this.#down) return;
      this.#down = true;
      this.#onWarning(`Redis at ${this.location} is unreachable (${why}); retrying in the background`);
    };
    client.on('error', (error: Error) => down(error.message));
    client.on('close', () => down('the connection was closed'));
    client.on('ready', () => {
      if (this.#down) this.#onWarning(`Redis at ${this.location} is reachable again`);
      this.#down = false;
    });
    return client;
  }
}

function safeProtocol(url: string): string | undefined {
  try {
    return new URL(url).protocol;
  } catch {
    return undefined;
  }
}
