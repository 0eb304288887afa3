/**
 * One transcript commit, planned in pure code that every backend shares: check it against what it
 * builds on (the stored meta record and binding), then plan the writes (the new turns, the drops
 * of the turns the bounds remove, oldest first and never the newest exchange, the clearing of a
 * replaced transcript, the new meta record and binding). The bounds are planned from the meta
 * record's turn lengths, without reading turns. Backends only read the inputs and apply the plan
 * atomically (LevelDB: `level/transcript-batch.ts`, Redis: `redis/session-scripts.ts`).
 */
import type { Transcript, TranscriptTurn } from '../conversation/types.js';
import { StoreError } from '../errors.js';
import type { TranscriptCache } from './transcript-cache.js';
import { checkChain, type CheckedCommit, type CommitTurnResult, type TranscriptBounds } from './commit-input.js';
import { nextBinding, type SessionBinding } from './session-binding.js';
import { newVersion, type TranscriptMeta } from './transcript-meta.js';

/** Turns of a commit the bounds never drop: the exchange just answered (user turn and answer). */
export const KEPT_NEWEST_TURNS = 2;

/** The writes of one commit, backend-independent. */
export interface CommitPlan {
  /** Delete every stored turn of the session key first (a `replace`). */
  clear: boolean;
  /** Seqs of stored turns to delete (dropped by the bounds; empty when `clear`). */
  deleteSeqs: number[];
  /** The commit's turns to write (those the bounds did not drop). */
  puts: TranscriptTurn[];
  /** The transcript's meta record after the commit. */
  meta: TranscriptMeta;
}

/**
 * Plan `commit` over the stored transcript described by `stored` (pure). Drops the oldest turns
 * (stored ones first, then the commit's own) until at most `bounds.maxTurns` turns and
 * `bounds.maxChars` characters of text remain, never the commit's last {@link KEPT_NEWEST_TURNS}
 * turns; `dropped` accumulates over appends and restarts with a replace.
 */
export function planCommit(commit: CheckedCommit, stored: TranscriptMeta, bounds: TranscriptBounds): CommitPlan {
  const { sessionKey, turns, now } = commit;
  const replace = commit.write.mode === 'replace';
  const base = replace ? { dropped: 0, lengths: [] } : stored;
  const lengths = [...base.lengths, ...turns.map((turn) => turn.text.length)];
  let chars = lengths.reduce((sum, length) => sum + length, 0);
  let drop = 0;
  const droppable = lengths.length - Math.min(KEPT_NEWEST_TURNS, turns.length);
  while (drop < droppable && (lengths.length - drop > bounds.maxTurns || chars > bounds.maxChars)) chars -= lengths[drop++] as number;
  const dropped = base.dropped + drop;
  const storedDrops = Math.min(drop, base.lengths.length);
  const last = turns.at(-1) as TranscriptTurn;
  return {
    clear: replace,
    deleteSeqs: Array.from({ length: storedDrops }, (_, i) => base.dropped + 1 + i),
    puts: turns.filter((turn) => turn.seq > dropped),
    meta: {
      sessionKey,
      version: newVersion(),
      lastSeq: last.seq,
      lastDigest: last.digest,
      dropped,
      lengths: lengths.slice(drop),
      updatedAt: now,
    },
  };
}

/** A checked and planned commit: what to write, and what to answer. */
export interface PlannedCommit {
  /** The meta record the commit builds on. */
  before: TranscriptMeta;
  plan: CommitPlan;
  /** The binding to write, or `undefined` when the commit has none. */
  binding: SessionBinding | undefined;
  /** The caller's result once the plan is applied. */
  result: CommitTurnResult;
}

/**
 * Check `commit` against the stored transcript (`before`, its meta record) and the stored binding
 * of the commit's backend (`previous`), and plan every write (pure; both backends use it).
 *
 * @param location where the state lives, for errors.
 * @throws {StoreError} `SAFETYNET_TRANSCRIPT_CONFLICT` when appending and the transcript no longer ends at `storedSeq`.
 * @throws {TypeError} when the first appended turn does not chain to the stored last turn.
 */
export function planTurnCommit(
  commit: CheckedCommit,
  before: TranscriptMeta,
  previous: SessionBinding | undefined,
  bounds: TranscriptBounds,
  location: string,
): PlannedCommit {
  const { sessionKey, write, binding: success, now } = commit;
  if (write.mode === 'append') {
    if (before.lastSeq !== write.storedSeq) {
      throw new StoreError(
        'SAFETYNET_TRANSCRIPT_CONFLICT',
        `the transcript of session key ${JSON.stringify(sessionKey)} ends at seq ${before.lastSeq}, but the commit was built on seq ` +
          `${write.storedSeq}: another turn was stored in between, and nothing was written`,
        { location },
      );
    }
    checkChain(commit.turns, before.lastDigest);
  }
  const plan = planCommit(commit, before, bounds);
  const binding = success === undefined ? undefined : nextBinding(previous, success, now, commit.turns.at(-1));
  const { meta } = plan;
  return { before, plan, binding, result: { turns: meta.lengths.length, dropped: meta.dropped, lastSeq: meta.lastSeq, binding } };
}

/**
 * The transcript after `planned` was applied, from the transcript `previous` of its meta version
 * before the commit (`undefined` when unknown: then only a replace tells the whole transcript).
 */
export function transcriptAfter(planned: PlannedCommit, previous: Transcript | undefined): Transcript | undefined {
  const { dropped } = planned.plan.meta;
  if (planned.plan.clear) return { turns: planned.plan.puts, dropped };
  if (previous === undefined) return undefined;
  return { turns: [...previous.turns.filter((turn) => turn.seq > dropped), ...planned.plan.puts], dropped };
}

/**
 * Bring `cache` up to date after `planned` was committed for the session under `key`: the
 * transcript after the commit is cached for the new meta version when it can be known without a
 * read (a `replace`, or an append onto the cached version the commit was planned on); otherwise the
 * entry under `key` is forgotten, so the next read goes to the store.
 */
export function cacheCommitted(cache: TranscriptCache, key: string, planned: PlannedCommit): void {
  const cached = cache.peek(key);
  const after = transcriptAfter(planned, cached?.version === planned.before.version ? cached.transcript : undefined);
  if (after === undefined) cache.delete(key);
  else cache.set(key, planned.plan.meta.version, after);
}
