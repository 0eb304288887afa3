/**
 * Building conversations and what a successful request writes: the conversation of a request
 * (from the stored transcript, or from the caller's `messages` compared with it) and the turns its
 * answer appends (`docs/conversations.md#transcript`). Pure functions.
 */
import { chainTurns } from './digest.js';
import type { MessageTurn } from './messages.js';
import type { Conversation, ImagePlaceholder, Transcript, TranscriptTurn } from './types.js';

/** The conversation continued from a stored transcript: its turns, appended to. */
export function conversationFromTranscript(transcript: Transcript): Conversation {
  return { turns: transcript.turns, dropped: transcript.dropped, write: { mode: 'append', storedSeq: transcript.turns.at(-1)?.seq ?? 0 } };
}

/**
 * The conversation of a `messages` request. With a stored transcript (a session key) the messages
 * are compared with it by digest: when they continue it (the stored last turn is among them,
 * unchanged), the new turns are appended after it; otherwise they replace it.
 *
 * @param requestId stamped on the turns taken from the messages.
 */
export function conversationFromMessages(history: readonly MessageTurn[], stored: Transcript | undefined, requestId: string): Conversation {
  const turns = chainTurns(
    history.map((turn) => ({ ...turn, requestId, at: 0 })),
    undefined,
  );
  const storedLast = stored?.turns.at(-1);
  if (storedLast === undefined) return { turns, dropped: 0, write: { mode: 'append', storedSeq: 0 } };
  const continues = turns[storedLast.seq - 1]?.digest === storedLast.digest;
  return { turns, dropped: 0, write: continues ? { mode: 'append', storedSeq: storedLast.seq } : { mode: 'replace' } };
}

/** What a successful request adds to its conversation. */
export interface Exchange {
  /** The user's message (without any history block). */
  message: string;
  /** The message's images, as placeholders. */
  images: readonly ImagePlaceholder[];
  /** The answer. */
  answer: string;
  /** The model ref that answered. */
  model: string;
  backend: 'api' | 'cli';
  requestId: string;
}

/** The user turn and the assistant turn of `exchange`, numbered and chained after the conversation. */
export function exchangeTurns(conversation: Conversation, exchange: Exchange): [TranscriptTurn, TranscriptTurn] {
  const user = { role: 'user' as const, text: exchange.message, requestId: exchange.requestId, at: 0 };
  const assistant = {
    role: 'assistant' as const,
    text: exchange.answer,
    model: exchange.model,
    backend: exchange.backend,
    requestId: exchange.requestId,
    at: 0,
  };
  const [first, second] = chainTurns(
    [exchange.images.length === 0 ? user : { ...user, images: [...exchange.images] }, assistant],
    conversation.turns.at(-1),
  );
  return [first!, second!];
}

/**
 * The turns a successful request writes: `append` → the conversation's turns after `storedSeq`
 * (turns a caller's `messages` added) plus the exchange; `replace` → every turn plus the exchange.
 */
export function turnsToWrite(conversation: Conversation, exchange: readonly TranscriptTurn[]): TranscriptTurn[] {
  const { write } = conversation;
  const earlier = write.mode === 'replace' ? conversation.turns : conversation.turns.filter((turn) => turn.seq > write.storedSeq);
  return [...earlier, ...exchange];
}
