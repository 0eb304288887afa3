/**
 * LevelDB keys of transcripts. A turn's key is `<sessionKey>\u0000<seq>`: the session key escaped
 * as in `binding-key.ts` (so any string works without collisions), the seq zero-padded to
 * {@link SEQ_DIGITS} digits, so the turns of one session key form one contiguous range ordered by
 * seq. The transcript's meta record (`transcript-meta.ts`) is keyed by the escaped session key
 * alone, in its own sublevel, so listing conversations never scans turns.
 */
import { encodeKeyPart, KEY_SEPARATOR, sessionKeyRange } from './binding-key.js';

/** Name of the sublevel holding transcript turns (keys prefixed `!transcripts!`). */
export const TRANSCRIPTS_SUBLEVEL = 'transcripts';

/** Name of the sublevel holding one meta record per transcript (keys prefixed `!transcript-meta!`). */
export const TRANSCRIPT_META_SUBLEVEL = 'transcript-meta';

/** Digits of a zero-padded seq: every safe integer fits. */
export const SEQ_DIGITS = 16;

/**
 * The key of turn `seq` of `sessionKey`'s transcript.
 *
 * @example transcriptTurnKey('a b', 3) === 'a%0020b\u00000000000000000003'
 */
export function transcriptTurnKey(sessionKey: string, seq: number): string {
  return `${encodeKeyPart(sessionKey)}${KEY_SEPARATOR}${String(seq).padStart(SEQ_DIGITS, '0')}`;
}

/** The key range holding every turn of `sessionKey`'s transcript, oldest first (for an iterator: `gte`/`lt`). */
export function transcriptRange(sessionKey: string): { gte: string; lt: string } {
  return sessionKeyRange(sessionKey);
}

/** The key of `sessionKey`'s transcript meta record. */
export function transcriptMetaKey(sessionKey: string): string {
  return encodeKeyPart(sessionKey);
}
