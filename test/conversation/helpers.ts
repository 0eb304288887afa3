/**
 * Small builders for conversation tests: numbered and chained turns from `[role, text]` pairs, and
 * transcripts whose oldest turns were dropped by the bounds.
 */
import { chainTurns } from '../../src/conversation/digest.js';
import type { Transcript, TranscriptTurn, TurnRole } from '../../src/conversation/types.js';

/** `[role, text]` of one turn. */
export type Said = readonly [TurnRole, string];

/** A question/answer pair of turns per text pair: `exchanges(['q1', 'a1'], ['q2', 'a2'])`. */
export function exchanges(...pairs: ReadonlyArray<readonly [string, string]>): Said[] {
  return pairs.flatMap(([question, answer]) => [['user', question] as const, ['assistant', answer] as const]);
}

/** Chained turns numbered from 1, stamped with `requestId` `r-<seq>`; assistant turns answered by `model`. */
export function turnsOf(said: readonly Said[], model = 'anthropic/claude-opus-4-6'): TranscriptTurn[] {
  return chainTurns(
    said.map(([role, text], i) => ({
      role,
      text,
      requestId: `r-${i + 1}`,
      at: 0,
      ...(role === 'assistant' ? { model, backend: 'api' as const } : {}),
    })),
    undefined,
  );
}

/** A transcript of `said` whose first `dropped` turns were dropped by the bounds (they keep their seq). */
export function transcriptOf(said: readonly Said[], dropped = 0): Transcript {
  return { turns: turnsOf(said).slice(dropped), dropped };
}
