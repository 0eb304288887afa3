/**
 * A Lua script run by its SHA1 (`EVALSHA`), sent in full (`EVAL`) only when the server does not
 * know it yet (a new or restarted server answers `NOSCRIPT`). Independent of the client object, so
 * it keeps working when `RedisConnection` replaces its client after a `close()`.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/** One Lua script; see the module doc. */
export class LuaScript {
  /** The SHA1 of `source`, hex: the name the server caches it under. */
  readonly sha: string;

  /** @param source the Lua source; it reads `KEYS` and `ARGV` as passed to {@link run}. */
  constructor(readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  /**
   * Run the script with `keys` (Redis key names) and `args`; resolves with its reply.
   * @throws the client's error (a `ReplyError` when the script fails), as `client.evalsha` does.
   */
  async run(client: Redis, keys: readonly string[], args: ReadonlyArray<string | number>): Promise<unknown> {
    try {
      return await client.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return client.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}
