/**
 * One transcript commit: read what it builds on (the meta record and the binding), check it, plan
 * the writes (the new turns, the deletes of the turns the bounds drop, oldest first and never the
 * newest exchange, and of a replaced transcript; the new meta record and binding) and write them
 * in ONE batch. The bounds are planned from the meta record's turn lengths, without reading turns.
 */
import type { Transcript, TranscriptTurn } from '../conversation/types.js';
import { StoreError } from '../errors.js';
import { bindingKey } from './binding-key.js';
import { checkChain, type CheckedCommit, type CommitTurnResult, type TranscriptBounds } from './commit-input.js';
import type { JsonSublevel, StateDatabase } from './level/handle.js';
import { nextBinding, toBinding } from './session-binding.js';
import { transcriptMetaKey, transcriptRange, transcriptTurnKey } from './transcript-key.js';
import { metaOf, newVersion, toMeta, type TranscriptMeta } from './transcript-meta.js';
import { readTranscript } from './transcript-record.js';

/** Turns of a commit the bounds never drop: the exchange just answered (user turn and answer). */
export const KEPT_NEWEST_TURNS = 2;

/** The writes of one commit. */
export interface CommitPlan {
  /** Keys (in the transcripts sublevel) of stored turns to delete. */
  deleteKeys: string[];
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
 *
 * @param storedKeys `replace` only: the keys of every stored turn of the session key.
 */
export function planCommit(
  commit: CheckedCommit,
  stored: TranscriptMeta,
  storedKeys: readonly string[],
  bounds: TranscriptBounds,
): CommitPlan {
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
    deleteKeys: replace
      ? [...storedKeys]
      : Array.from({ length: storedDrops }, (_, i) => transcriptTurnKey(sessionKey, base.dropped + 1 + i)),
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

/** The open database and the sublevels a commit reads and writes. */
export interface CommitTarget {
  db: StateDatabase;
  sessions: JsonSublevel<unknown>;
  turns: JsonSublevel<unknown>;
  metas: JsonSublevel<unknown>;
}

/** What {@link writeCommit} did: the caller's result, and the meta records before and after (for the cache). */
export interface WrittenCommit {
  result: CommitTurnResult;
  before: TranscriptMeta;
  plan: CommitPlan;
}

/**
 * Read what `commit` builds on (the meta record, rebuilt from the turns when missing, and the
 * binding), check it, and write everything in ONE batch on `target.db`. Callers serialize commits
 * of one session key.
 *
 * @param location the LevelDB folder, for errors.
 * @throws {StoreError} `SAFETYNET_TRANSCRIPT_CONFLICT` when appending and the transcript no longer ends at `storedSeq`.
 * @throws {TypeError} when the first appended turn does not chain to the stored last turn.
 */
export async function writeCommit(
  target: CommitTarget,
  commit: CheckedCommit,
  bounds: TranscriptBounds,
  location: string,
): Promise<WrittenCommit> {
  const { db, sessions, turns, metas } = target;
  const { sessionKey, write, binding: success, now } = commit;
  const key = success === undefined ? undefined : bindingKey(sessionKey, success.backendId);
  const range = transcriptRange(sessionKey);
  // One read for both records: their keys as the sublevels prefix them, on the root database.
  const reads = [metas.prefixKey(transcriptMetaKey(sessionKey), 'utf8'), ...(key === undefined ? [] : [sessions.prefixKey(key, 'utf8')])];
  const [metaValue, previous] = await db.getMany(reads);
  const before = toMeta(metaValue) ?? metaOf(sessionKey, readTranscript(await turns.values(range).all()), now);
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
  const plan = planCommit(commit, before, write.mode === 'replace' ? await turns.keys(range).all() : [], bounds);
  const binding = success === undefined ? undefined : nextBinding(toBinding(previous), success, now, commit.turns.at(-1));
  await db.batch([
    ...plan.deleteKeys.map((k) => ({ type: 'del' as const, sublevel: turns, key: k })),
    ...plan.puts.map((turn) => ({ type: 'put' as const, sublevel: turns, key: transcriptTurnKey(sessionKey, turn.seq), value: turn })),
    { type: 'put' as const, sublevel: metas, key: transcriptMetaKey(sessionKey), value: plan.meta },
    ...(binding === undefined || key === undefined ? [] : [{ type: 'put' as const, sublevel: sessions, key, value: binding }]),
  ]);
  const { meta } = plan;
  return { result: { turns: meta.lengths.length, dropped: meta.dropped, lastSeq: meta.lastSeq, binding }, before, plan };
}

/**
 * The transcript after `written`, from the transcript `previous` of its meta version before the
 * commit (`undefined` when unknown: then only a replace tells the whole transcript).
 */
export function transcriptAfter(written: WrittenCommit, previous: Transcript | undefined, replace: boolean): Transcript | undefined {
  const { dropped } = written.plan.meta;
  if (replace) return { turns: written.plan.puts, dropped };
  if (previous === undefined) return undefined;
  return { turns: [...previous.turns.filter((turn) => turn.seq > dropped), ...written.plan.puts], dropped };
}
