/**
 * The LevelDB execution of a transcript commit: read what it builds on (the meta record, rebuilt
 * from the turns when missing, and the binding), plan it with the shared pure code
 * (`transcript-commit.ts`), and write the plan in ONE batch.
 */
import { bindingKey } from '../binding-key.js';
import type { CheckedCommit, TranscriptBounds } from '../commit-input.js';
import { toBinding } from '../session-binding.js';
import { type PlannedCommit, planTurnCommit } from '../transcript-commit.js';
import { transcriptMetaKey, transcriptRange, transcriptTurnKey } from '../transcript-key.js';
import { metaOf, toMeta } from '../transcript-meta.js';
import { readTranscript } from '../transcript-record.js';
import type { JsonSublevel, StateDatabase } from './handle.js';

/** The open database and the sublevels a commit reads and writes. */
export interface CommitTarget {
  db: StateDatabase;
  sessions: JsonSublevel<unknown>;
  turns: JsonSublevel<unknown>;
  metas: JsonSublevel<unknown>;
}

/**
 * Read what `commit` builds on, check and plan it (`planTurnCommit`), and write everything in ONE
 * batch on `target.db`: when anything fails, nothing is written. Callers serialize commits of one
 * session key.
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
): Promise<PlannedCommit> {
  const { db, sessions, turns, metas } = target;
  const { sessionKey, binding: success, now } = commit;
  const key = success === undefined ? undefined : bindingKey(sessionKey, success.backendId);
  const range = transcriptRange(sessionKey);
  // One read for both records: their keys as the sublevels prefix them, on the root database.
  const reads = [metas.prefixKey(transcriptMetaKey(sessionKey), 'utf8'), ...(key === undefined ? [] : [sessions.prefixKey(key, 'utf8')])];
  const [metaValue, previous] = await db.getMany(reads);
  const before = toMeta(metaValue) ?? metaOf(sessionKey, readTranscript(await turns.values(range).all()), now);
  const planned = planTurnCommit(commit, before, toBinding(previous), bounds, location);
  const { plan, binding } = planned;
  const deleteKeys = plan.clear ? await turns.keys(range).all() : plan.deleteSeqs.map((seq) => transcriptTurnKey(sessionKey, seq));
  await db.batch([
    ...deleteKeys.map((k) => ({ type: 'del' as const, sublevel: turns, key: k })),
    ...plan.puts.map((turn) => ({ type: 'put' as const, sublevel: turns, key: transcriptTurnKey(sessionKey, turn.seq), value: turn })),
    { type: 'put' as const, sublevel: metas, key: transcriptMetaKey(sessionKey), value: plan.meta },
    ...(binding === undefined || key === undefined ? [] : [{ type: 'put' as const, sublevel: sessions, key, value: binding }]),
  ]);
  return planned;
}
