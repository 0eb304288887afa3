/**
 * What one transcript commit writes: the new turns, the deletes of the turns the bounds drop
 * (oldest first, never the newest exchange) and of a replaced transcript, and the new meta record.
 * Reads only what it must: the stored turns' keys for `replace`, and the oldest stored turns while
 * the bounds are exceeded.
 */
import type { TranscriptTurn } from '../conversation/types.js';
import { StoreError } from '../errors.js';
import { bindingKey } from './binding-key.js';
import { checkChain, type CheckedCommit, type CommitTurnResult, type TranscriptBounds } from './commit-input.js';
import type { JsonSublevel, StateDatabase } from './level/handle.js';
import { nextBinding, toBinding } from './session-binding.js';
import { transcriptMetaKey, transcriptRange, transcriptTurnKey } from './transcript-key.js';
import { metaOf, readTranscript, textChars, toMeta, toTurn, type TranscriptMeta } from './transcript-record.js';

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
 * Plan `commit` over the stored transcript described by `stored`. Drops the oldest turns (stored
 * ones first, then the commit's own) until at most `bounds.maxTurns` turns and `bounds.maxChars`
 * characters of text remain, never the commit's last {@link KEPT_NEWEST_TURNS} turns; `dropped`
 * accumulates over appends and restarts with a replace.
 *
 * @param turnsSublevel the `transcripts` sublevel, read only.
 */
export async function planCommit(
  commit: CheckedCommit,
  stored: TranscriptMeta,
  turnsSublevel: JsonSublevel<unknown>,
  bounds: TranscriptBounds,
): Promise<CommitPlan> {
  const { sessionKey, turns, now } = commit;
  const range = transcriptRange(sessionKey);
  const replace = commit.write.mode === 'replace';
  const deleteKeys = replace ? await turnsSublevel.keys(range).all() : [];
  let count = (replace ? 0 : stored.turns) + turns.length;
  let chars = (replace ? 0 : stored.chars) + textChars(turns);
  let dropped = replace ? 0 : stored.dropped;
  const over = () => count > bounds.maxTurns || chars > bounds.maxChars;
  const drop = (text: string | undefined) => {
    count -= 1;
    chars -= text?.length ?? 0;
    dropped += 1;
  };

  if (over() && !replace && stored.turns > 0) {
    for await (const [key, value] of turnsSublevel.iterator(range)) {
      if (!over()) break;
      deleteKeys.push(key);
      drop(toTurn(value)?.text);
    }
  }
  let first = 0;
  while (over() && first < turns.length - KEPT_NEWEST_TURNS) drop(turns[first++]?.text);

  const last = turns.at(-1) as TranscriptTurn;
  return {
    deleteKeys,
    puts: turns.slice(first),
    meta: { sessionKey, lastSeq: last.seq, lastDigest: last.digest, dropped, turns: count, chars, updatedAt: now },
  };
}

/** The open database and the sublevels a commit reads and writes. */
export interface CommitTarget {
  db: StateDatabase;
  sessions: JsonSublevel<unknown>;
  turns: JsonSublevel<unknown>;
  metas: JsonSublevel<unknown>;
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
): Promise<CommitTurnResult> {
  const { db, sessions, turns, metas } = target;
  const { sessionKey, write, binding: success, now } = commit;
  const key = success === undefined ? undefined : bindingKey(sessionKey, success.backendId);
  const [metaValue, previous] = await Promise.all([
    metas.get(transcriptMetaKey(sessionKey)),
    key === undefined ? undefined : sessions.get(key),
  ]);
  const stored = toMeta(metaValue) ?? metaOf(sessionKey, readTranscript(await turns.values(transcriptRange(sessionKey)).all()), now);
  if (write.mode === 'append') {
    if (stored.lastSeq !== write.storedSeq) {
      throw new StoreError(
        'SAFETYNET_TRANSCRIPT_CONFLICT',
        `the transcript of session key ${JSON.stringify(sessionKey)} ends at seq ${stored.lastSeq}, but the commit was built on seq ` +
          `${write.storedSeq}: another turn was stored in between, and nothing was written`,
        { location },
      );
    }
    checkChain(commit.turns, stored.lastDigest);
  }
  const plan = await planCommit(commit, stored, turns, bounds);
  const binding = success === undefined ? undefined : nextBinding(toBinding(previous), success, now, commit.turns.at(-1));
  await db.batch([
    ...plan.deleteKeys.map((k) => ({ type: 'del' as const, sublevel: turns, key: k })),
    ...plan.puts.map((turn) => ({ type: 'put' as const, sublevel: turns, key: transcriptTurnKey(sessionKey, turn.seq), value: turn })),
    { type: 'put' as const, sublevel: metas, key: transcriptMetaKey(sessionKey), value: plan.meta },
    ...(binding === undefined || key === undefined ? [] : [{ type: 'put' as const, sublevel: sessions, key, value: binding }]),
  ]);
  return { turns: plan.meta.turns, dropped: plan.meta.dropped, lastSeq: plan.meta.lastSeq, binding };
}
