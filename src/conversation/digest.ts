/**
 * The chain digest of conversation turns: `digest(n) = sha256(digest(n − 1) · role · text)`, cut
 * to 32 hex characters, with `digest(0) = ''`. Two conversations agree on their first N turns
 * exactly when their digests at turn N are equal, so a CLI binding needs only `(seenSeq,
 * seenDigest)` to know whether its session still matches the conversation
 * (`docs/conversations.md#continuation`).
 */
import { createHash } from 'node:crypto';
import type { TranscriptTurn, TurnRole } from './types.js';

/** Length of a digest in hex characters (128 bits). */
export const DIGEST_HEX_CHARS = 32;

/**
 * The digest of a turn that follows a turn with digest `previous` (`''` for the first turn).
 * Images are not part of the digest: a transcript keeps only their placeholders.
 */
export function chainDigest(previous: string, role: TurnRole, text: string): string {
  return createHash('sha256')
    .update(previous)
    .update('\u0000')
    .update(role)
    .update('\u0000')
    .update(text)
    .digest('hex')
    .slice(0, DIGEST_HEX_CHARS);
}

/** What {@link chainTurns} needs of each turn; the rest of the turn is copied. */
export type UnchainedTurn = Omit<TranscriptTurn, 'seq' | 'digest'>;

/**
 * Number and chain `turns` so that they follow the turn `after` (`undefined`: they start the
 * conversation at seq 1). Pure; returns new objects.
 */
export function chainTurns(turns: readonly UnchainedTurn[], after: Pick<TranscriptTurn, 'seq' | 'digest'> | undefined): TranscriptTurn[] {
  let seq = after?.seq ?? 0;
  let digest = after?.digest ?? '';
  return turns.map((turn) => {
    seq += 1;
    digest = chainDigest(digest, turn.role, turn.text);
    return { ...turn, seq, digest };
  });
}
