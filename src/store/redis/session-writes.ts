/**
 * The writes of the Redis session store (`session-store.ts`), each a loop of: read what it builds
 * on, plan in JavaScript (the same pure code as LevelDB), apply the plan with ONE Lua script
 * (`session-scripts.ts`) that checks the values read are still stored and the session lane's fence
 * is still this process's. A changed value means another replica wrote in between: read and plan
 * again (an append whose stored last seq moved then fails as a conflict, as in LevelDB).
 */
import type { ChainableCommander } from 'ioredis';
import { StoreError } from '../../errors.js';
import { encodeKeyPart } from '../binding-key.js';
import type { CheckedCommit, TranscriptBounds } from '../commit-input.js';
import { type BindingSuccess, nextBinding, type SessionBinding, toBinding } from '../session-binding.js';
import { type PlannedCommit, planTurnCommit } from '../transcript-commit.js';
import { metaOf, toMeta } from '../transcript-meta.js';
import { readTranscript } from '../transcript-record.js';
import type { RedisConnection } from './connection.js';
import { type ScriptOutcome, sessionKeys, sessionScripts } from './session-scripts.js';

/**
 * Reads and plans of one write, at most, when other replicas keep changing what it builds on. A
 * retry waits a random 0–`attempt` ms first, so two replicas racing do not stay in lockstep.
 */
export const MAX_WRITE_ATTEMPTS = 20;

/** A stored JSON value, or `undefined` when missing or not JSON. */
export function parse(raw: string | null | undefined): unknown {
  if (raw === null || raw === undefined) return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

/** The replies of a MULTI block, in order (MULTI without WATCH is safe on a shared connection); a failed command throws its error. */
export async function replies(block: ChainableCommander): Promise<unknown[]> {
  const results = (await block.exec()) ?? [];
  return results.map(([error, reply]) => {
    if (error) throw error;
    return reply;
  });
}

/** Turn values of a turns hash, oldest first (fields are decimal seqs). */
export function orderedTurns(hash: Record<string, string> | null): unknown[] {
  return Object.entries(hash ?? {})
    .map(([seq, raw]) => [Number(seq), raw] as const)
    .sort((a, b) => a[0] - b[0])
    .map(([, raw]) => parse(raw));
}

/** A random pause of 0–`maxMs` ms before a retry. */
const jitter = (maxMs: number) => new Promise((resolve) => setTimeout(resolve, Math.random() * maxMs));

/** The fence token this process holds for `sessionKey`'s lane, as the scripts compare it ('' = none). */
function fence(connection: RedisConnection, sessionKey: string): string {
  const token = connection.fences.get(sessionKey);
  return token === undefined ? '' : String(token);
}

/** Run `attempt` until its script applies; throws when the lane was lost or the retries ran out. */
async function optimistic<T>(connection: RedisConnection, sessionKey: string, attempt: () => Promise<[ScriptOutcome, T]>): Promise<T> {
  for (let i = 1; i <= MAX_WRITE_ATTEMPTS; i++) {
    if (i > 1) await jitter(i);
    const [outcome, value] = await attempt();
    if (outcome === 'OK') return value;
    if (outcome === 'FENCED') {
      throw new StoreError(
        'SAFETYNET_TRANSCRIPT_CONFLICT',
        `the session lane lease was lost to another turn (session key ${JSON.stringify(sessionKey)}: its fence moved), ` +
          'so this turn was not stored, and nothing was written',
        { location: connection.location },
      );
    }
  }
  throw new StoreError(
    'SAFETYNET_TRANSCRIPT_CONFLICT',
    `session key ${JSON.stringify(sessionKey)} kept changing while this write was retried ${MAX_WRITE_ATTEMPTS} times ` +
      '(other replicas write it at the same time), and nothing was written',
    { location: connection.location },
  );
}

/**
 * Commit `commit` (checked, its binding's host stamped): see `RedisSessionStore.commitTurn`.
 *
 * @returns the applied plan (its result, and the meta it built on, for the caller's cache).
 */
export function writeCommit(connection: RedisConnection, commit: CheckedCommit, bounds: TranscriptBounds): Promise<PlannedCommit> {
  const { sessionKey } = commit;
  const keys = sessionKeys(connection, sessionKey);
  const field = commit.binding === undefined ? '' : encodeKeyPart(commit.binding.backendId);
  return optimistic(connection, sessionKey, async () => {
    const read = await connection.run('read a transcript before a commit', async (c) => {
      const [metaRaw, bindingRaw] = (await replies(c.multi().get(keys.meta).hget(keys.bindings, field))) as [string | null, string | null];
      const meta = toMeta(parse(metaRaw));
      // A missing (or unreadable) meta record is rebuilt from the turns, as LevelDB does.
      const turns = meta === undefined ? orderedTurns(await c.hgetall(keys.turns)) : undefined;
      return { metaRaw, bindingRaw, meta, turns };
    });
    const before = read.meta ?? metaOf(sessionKey, readTranscript(read.turns ?? []), commit.now);
    const previous = field === '' ? undefined : toBinding(parse(read.bindingRaw));
    const planned = planTurnCommit(commit, before, previous, bounds, connection.location);
    const { plan, binding } = planned;
    const args = [
      fence(connection, sessionKey),
      read.metaRaw ?? '',
      String(read.turns === undefined ? -1 : read.turns.length),
      field,
      field === '' ? '' : (read.bindingRaw ?? ''),
      plan.clear ? '1' : '0',
      JSON.stringify(plan.meta),
      binding === undefined ? '' : JSON.stringify(binding),
      keys.member,
      String(plan.deleteSeqs.length),
      ...plan.deleteSeqs.map(String),
      ...plan.puts.flatMap((turn) => [String(turn.seq), JSON.stringify(turn)]),
    ];
    const outcome = await connection.run('commit a transcript turn', (c) => sessionScripts(c).commit(keys, args));
    return [outcome, planned];
  });
}

/** Record a binding alone (checked `success`, host stamped): see `RedisSessionStore.recordSuccess`. @returns the stored binding. */
export function writeBinding(connection: RedisConnection, success: BindingSuccess, now: number): Promise<SessionBinding> {
  const keys = sessionKeys(connection, success.sessionKey);
  const field = encodeKeyPart(success.backendId);
  return optimistic(connection, success.sessionKey, async () => {
    const raw = await connection.run('read a session binding', (c) => c.hget(keys.bindings, field));
    const binding = nextBinding(toBinding(parse(raw)), success, now);
    const args = [fence(connection, success.sessionKey), field, raw ?? '', JSON.stringify(binding), keys.member];
    return [await connection.run('record a session binding', (c) => sessionScripts(c).putBinding(keys, args)), binding];
  });
}
