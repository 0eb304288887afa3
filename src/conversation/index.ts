/**
 * Conversations: transcript turns and their chain digest, the continuation of CLI sessions
 * (resume, catch-up, reseed), the history block of CLI prompts, and `run({ messages })`.
 * Rationale: `docs/conversations.md`.
 */
export * from './types.js';
export { chainDigest, chainTurns, DIGEST_HEX_CHARS, type UnchainedTurn } from './digest.js';
export { lastSeq, missedTurns, sessionSync, turnAt, type SessionSync, type SyncBinding } from './continuation.js';
export {
  composePrompt,
  renderHistoryBlock,
  selectHistory,
  turnText,
  type BlockTurn,
  type HistoryKind,
  type HistorySelection,
} from './history-block.js';
export { normalizeMessages, type ChatMessage, type MessagePart, type MessageTurn, type NormalizedMessages } from './messages.js';
export { conversationFromMessages, conversationFromTranscript, exchangeTurns, turnsToWrite, type Exchange } from './exchange.js';
