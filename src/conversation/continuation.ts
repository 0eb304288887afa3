/**
 * How far a stored CLI session is in sync with the conversation a request continues, and so how
 * the CLI attempt continues it (`docs/conversations.md#continuation`): resume (it has seen every
 * turn), catch-up (it lags: resumed with the turns it missed), reseed (unusable: a new session with
 * the whole history) or new (nothing to continue). Pure functions of the binding and the conversation.
 */
import type { Transcript, TranscriptTurn } from './types.js';

/** What the functions here read of a transcript (a read-only view: any turns array will do). */
type TurnsView = Pick<Transcript, 'dropped'> & { readonly turns: readonly TranscriptTurn[] };

/** What {@link sessionSync} reads of a CLI session binding (`SessionBinding` of the store). */
export interface SyncBinding {
  /** The `seq` of the last turn the CLI session has seen; absent on bindings older than transcripts. */
  seenSeq?: number | undefined;
  /** The chain digest of that turn. */
  seenDigest?: string | undefined;
}

/**
 * - `current`: the session has seen every turn of the conversation;
 * - `behind`: it has seen the conversation up to an earlier turn, which still matches;
 * - `diverged`: what it saw is not (or no longer) part of the conversation: the digests differ, the
 *   turn it saw last was dropped by the bounds, or the conversation is shorter than what it saw;
 * - `none`: there is no binding.
 */
export type SessionSync = 'current' | 'behind' | 'diverged' | 'none';

/** The last `seq` of a transcript (its dropped turns count). */
export function lastSeq(transcript: TurnsView): number {
  return transcript.turns.at(-1)?.seq ?? transcript.dropped;
}

/** The turn of `transcript` with this `seq`, if it is kept. */
export function turnAt(transcript: TurnsView, seq: number): TranscriptTurn | undefined {
  const turn = transcript.turns[seq - transcript.dropped - 1];
  return turn?.seq === seq ? turn : undefined;
}

/**
 * How `binding` stands to `transcript`. A binding stored before transcripts existed (no `seenSeq`)
 * is `current` while the conversation has no turns, else `diverged`.
 */
export function sessionSync(binding: SyncBinding | undefined, transcript: TurnsView): SessionSync {
  if (binding === undefined) return 'none';
  const last = lastSeq(transcript);
  if (binding.seenSeq === undefined) return last === 0 ? 'current' : 'diverged';
  if (binding.seenSeq > last) return 'diverged';
  if (binding.seenSeq === 0) return last === 0 ? 'current' : 'behind';
  const seen = turnAt(transcript, binding.seenSeq);
  if (seen === undefined || seen.digest !== binding.seenDigest) return 'diverged';
  return binding.seenSeq === last ? 'current' : 'behind';
}

/** The turns a session that saw up to `binding.seenSeq` missed (all of them without a binding). */
export function missedTurns(binding: SyncBinding | undefined, transcript: TurnsView): TranscriptTurn[] {
  const seen = binding?.seenSeq ?? (binding === undefined ? 0 : lastSeq(transcript));
  return transcript.turns.filter((turn) => turn.seq > seen);
}
