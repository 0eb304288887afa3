/**
 * The shapes of a conversation: the stored transcript of a session key, its turns, and the
 * conversation one request continues. Plain JSON (machine context, snapshots and traces carry them).
 *
 * Rationale: `docs/conversations.md`.
 */
import type { Continuation } from '../errors.js';

export type { Continuation };

/** Who spoke a turn. System prompts are not turns: they belong to the request (`systemPrompt`). */
export type TurnRole = 'user' | 'assistant';

/** What a transcript keeps of an image a turn carried: its name and media type, never its bytes. */
export interface ImagePlaceholder {
  /** The file's base name (`photo.png`), or `image-N` for inline (base64) images. */
  name: string;
  /** `image/png`, `image/jpeg`, `image/gif` or `image/webp`. */
  mimeType: string;
}

/**
 * One turn of a conversation.
 *
 * `seq` is the turn's 1-based place in the conversation; it is never reused, so turns dropped by
 * the transcript bounds keep their numbers and a CLI binding's `seenSeq` stays meaningful.
 * `digest` chains the turn to every turn before it (`conversation/digest.ts`): two conversations
 * agree up to turn N exactly when their digests at N are equal.
 */
export interface TranscriptTurn {
  /** 1-based place in the conversation. */
  seq: number;
  role: TurnRole;
  /** The turn's text: the user's message (without any history block), or the answer. */
  text: string;
  /** Chain digest of this turn and every turn before it (32 hex characters). */
  digest: string;
  /** Images the user's turn carried, as placeholders. */
  images?: ImagePlaceholder[];
  /** Assistant turns: the model ref that answered, e.g. `claude-cli/opus-4.6`. */
  model?: string;
  /** Assistant turns: how it was served. */
  backend?: 'api' | 'cli';
  /** The request that wrote the turn. */
  requestId: string;
  /** Epoch ms when the turn was stored (0 until then). */
  at: number;
}

/** A stored transcript: the newest turns within the bounds, oldest first. */
export interface Transcript {
  /** The kept turns, oldest first; `turns[i].seq === dropped + i + 1`. */
  turns: TranscriptTurn[];
  /** How many older turns the bounds dropped (`safetynet.sessions.maxTurns` / `maxChars`). */
  dropped: number;
}

/**
 * How the turns of a successful request are written to the transcript of its session key:
 * - `append`: after the stored turns; `storedSeq` is the last stored `seq` (0 for none), and only
 *   the conversation's turns after it (plus the new exchange) are written;
 * - `replace`: the caller's `messages` differ from the stored transcript, which they replace.
 */
export type TranscriptWrite = { mode: 'append'; storedSeq: number } | { mode: 'replace' };

/**
 * The conversation one request continues: the earlier turns (from the stored transcript, or from
 * the caller's `messages`), and how the new exchange is written.
 */
export interface Conversation extends Transcript {
  /** How the new exchange is written when the request has a session key. */
  write: TranscriptWrite;
}

/** A conversation with no earlier turns (a one-shot request, or the first turn of a key). */
export const EMPTY_CONVERSATION: Conversation = Object.freeze({
  turns: [],
  dropped: 0,
  write: Object.freeze({ mode: 'append', storedSeq: 0 }),
}) as Conversation;
