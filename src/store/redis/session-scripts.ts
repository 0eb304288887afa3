/**
 * The Lua scripts of the Redis session store (`session-store.ts`) and their key layout. Every write
 * of a session key is ONE script, so it is atomic (Redis runs a script alone) across every replica
 * sharing the server, and each script first checks that what its caller read is still stored
 * (optimistic concurrency: no WATCH, which would be per-connection and break on the shared
 * multiplexed connection) and that this process still holds the session lane's fence token.
 *
 * Key layout, under the connection's prefix (`safetynet:` by default), `<k>` being the session key
 * escaped with `encodeKeyPart` (printable ASCII, injective: any JavaScript string, lone surrogates
 * included, gets its own keys; the raw key could collide once encoded as UTF-8):
 *
 * - `session:binding:<k>`  hash, field = escaped backend id, value = binding JSON
 * - `session:turns:<k>`    hash, field = seq (decimal), value = turn JSON
 * - `session:meta:<k>`     string, the transcript meta record JSON (`transcript-meta.ts`)
 * - `session:index`        set of the escaped session keys having a binding or a transcript
 *                          (`list()` and `conversations()` read it; no KEYS or SCAN)
 * - `fence:<k>`            the session lane's fence counter (owned by the Redis lane locks, named by
 *                          their `laneKeys`, read here)
 */
import type { Redis } from 'ioredis';
import { encodeKeyPart } from '../binding-key.js';
import type { RedisConnection } from './connection.js';
import { laneKeys } from './lane-locks.js';
import { LuaScript } from './lua-script.js';

/** What a write script answers: applied, a read value changed meanwhile (re-read and retry), or the lane's fence moved. */
export type ScriptOutcome = 'OK' | 'STALE' | 'FENCED';

/** The Redis keys of one session key. */
export interface SessionKeys {
  bindings: string;
  turns: string;
  meta: string;
  index: string;
  fence: string;
  /** The session key as stored in the index set (escaped). */
  member: string;
}

/** The keys of `sessionKey` on `connection` (see the layout in this file's header). */
export function sessionKeys(connection: RedisConnection, sessionKey: string): SessionKeys {
  const member = encodeKeyPart(sessionKey);
  return {
    bindings: connection.key('session', 'binding', member),
    turns: connection.key('session', 'turns', member),
    meta: connection.key('session', 'meta', member),
    index: indexKey(connection),
    fence: laneKeys(connection, sessionKey).fence,
    member,
  };
}

/** The set of escaped session keys having something stored. */
export function indexKey(connection: RedisConnection): string {
  return connection.key('session', 'index');
}

/** `false` (a missing value in Lua) compared as ''. The fence check comes first: a lost lease writes nothing. */
const FENCE_CHECK = `
if ARGV[1] ~= '' and redis.call('GET', KEYS[1]) ~= ARGV[1] then return 'FENCED' end
local function stored(value) if value == false then return '' end return value end
`;

/**
 * Commit. KEYS: fence, meta, turns, bindings, index. ARGV: fence token ('' = none), expected meta
 * JSON ('' = none), expected turn count (-1 = unchecked), binding field ('' = none), expected
 * binding JSON ('' = none), clear ('1'/'0'), new meta JSON, new binding JSON, index member,
 * delete count n, n seqs to delete, then (seq, turn JSON) pairs to put.
 */
const COMMIT = `${FENCE_CHECK}
if stored(redis.call('GET', KEYS[2])) ~= ARGV[2] then return 'STALE' end
if tonumber(ARGV[3]) >= 0 and redis.call('HLEN', KEYS[3]) ~= tonumber(ARGV[3]) then return 'STALE' end
if ARGV[4] ~= '' and stored(redis.call('HGET', KEYS[4], ARGV[4])) ~= ARGV[5] then return 'STALE' end
if ARGV[6] == '1' then redis.call('DEL', KEYS[3]) end
local deletes = tonumber(ARGV[10])
for i = 11, 10 + deletes do redis.call('HDEL', KEYS[3], ARGV[i]) end
for i = 11 + deletes, #ARGV, 2 do redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 1]) end
redis.call('SET', KEYS[2], ARGV[7])
if ARGV[4] ~= '' then redis.call('HSET', KEYS[4], ARGV[4], ARGV[8]) end
redis.call('SADD', KEYS[5], ARGV[9])
return 'OK'
`;

/** A binding alone. KEYS: fence, bindings, index. ARGV: fence token, field, expected JSON ('' = none), new JSON, index member. */
const PUT_BINDING = `${FENCE_CHECK}
if stored(redis.call('HGET', KEYS[2], ARGV[2])) ~= ARGV[3] then return 'STALE' end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[4])
redis.call('SADD', KEYS[3], ARGV[5])
return 'OK'
`;

/** Remove one binding. KEYS: bindings, meta, turns, index. ARGV: field, index member. Returns 1 or 0. */
const DELETE_BINDING = `
local removed = redis.call('HDEL', KEYS[1], ARGV[1])
if redis.call('EXISTS', KEYS[1], KEYS[2], KEYS[3]) == 0 then redis.call('SREM', KEYS[4], ARGV[2]) end
return removed
`;

/** Remove everything of a session key. KEYS: bindings, turns, meta, index. ARGV: index member. Returns {bindings, turns}. */
const DELETE_SESSION = `
local bindings = redis.call('HLEN', KEYS[1])
local turns = redis.call('HLEN', KEYS[2])
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
redis.call('SREM', KEYS[4], ARGV[1])
return {bindings, turns}
`;

/** The scripts, run on a client by SHA (`LuaScript`: EVALSHA, falling back to EVAL). */
export interface SessionScripts {
  commit(keys: SessionKeys, args: readonly string[]): Promise<ScriptOutcome>;
  putBinding(keys: SessionKeys, args: readonly string[]): Promise<ScriptOutcome>;
  deleteBinding(keys: SessionKeys, field: string): Promise<number>;
  deleteSession(keys: SessionKeys): Promise<[number, number]>;
}

const SCRIPTS = {
  commit: new LuaScript(COMMIT),
  putBinding: new LuaScript(PUT_BINDING),
  deleteBinding: new LuaScript(DELETE_BINDING),
  deleteSession: new LuaScript(DELETE_SESSION),
};

/** The session scripts on `client`. */
export function sessionScripts(client: Redis): SessionScripts {
  return {
    commit: async (k, args) => (await SCRIPTS.commit.run(client, [k.fence, k.meta, k.turns, k.bindings, k.index], args)) as ScriptOutcome,
    putBinding: async (k, args) => (await SCRIPTS.putBinding.run(client, [k.fence, k.bindings, k.index], args)) as ScriptOutcome,
    deleteBinding: async (k, field) =>
      Number(await SCRIPTS.deleteBinding.run(client, [k.bindings, k.meta, k.turns, k.index], [field, k.member])),
    deleteSession: async (k) => {
      const [bindings, turns] = (await SCRIPTS.deleteSession.run(client, [k.bindings, k.turns, k.meta, k.index], [k.member])) as [
        number,
        number,
      ];
      return [Number(bindings), Number(turns)];
    },
  };
}
