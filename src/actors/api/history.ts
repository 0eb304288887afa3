/**
 * The earlier turns of a conversation as the API body builders send them: plain text per turn,
 * oldest first. Two rules every protocol shares:
 *
 * - an earlier turn's images are never sent as images (their bytes were not kept): each becomes a
 *   line `[image: <name> (<mimeType>)]` after the turn's text, rendered by `turnText` of
 *   `conversation/history-block.ts` (the same lines the CLI history block carries);
 * - a turn that renders blank (no text, no images) carries nothing and is left out (Anthropic
 *   rejects empty text content; the OpenAI APIs would send an empty message).
 *
 * Merging consecutive turns of one role ({@link mergeConsecutive}) is here too, but only the
 * Anthropic builder uses it: the OpenAI APIs accept consecutive messages of one role as they are.
 */
import { turnText } from '../../conversation/history-block.js';
import type { TurnRole } from '../../conversation/types.js';
import type { HistoryTurn } from './types.js';

/** What stands between the texts of two merged messages: a blank line. */
export const TURN_TEXT_SEPARATOR = '\n\n';

/** One message of plain text: who spoke and what. */
export interface TextMessage {
  role: TurnRole;
  text: string;
}

/** Every earlier turn as a {@link TextMessage}, oldest first; turns that render blank are left out. */
export function historyMessages(history: readonly HistoryTurn[]): TextMessage[] {
  const messages: TextMessage[] = [];
  for (const turn of history) {
    const text = turnText(turn);
    if (text.trim() !== '') messages.push({ role: turn.role, text });
  }
  return messages;
}

/**
 * `messages` with each run of consecutive messages of one role merged into one message, their texts
 * joined by {@link TURN_TEXT_SEPARATOR} (a blank line), so that roles alternate. The input is not
 * changed; a list that already alternates comes back equal.
 */
export function mergeConsecutive(messages: readonly TextMessage[]): TextMessage[] {
  const merged: TextMessage[] = [];
  for (const message of messages) {
    const last = merged.at(-1);
    if (last !== undefined && last.role === message.role) last.text = `${last.text}${TURN_TEXT_SEPARATOR}${message.text}`;
    else merged.push({ role: message.role, text: message.text });
  }
  return merged;
}
