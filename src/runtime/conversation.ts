/**
 * The runtime's side of conversations: the conversation a request continues (the key's transcript,
 * or the caller's `messages` compared with it), the transcript's image placeholders, and the
 * `runtime.sessions` API. Rationale: `docs/conversations.md`.
 */
import { basename } from 'node:path';
import type { SessionBinding, StagedImage } from '../actors/types.js';
import { conversationFromMessages, conversationFromTranscript } from '../conversation/exchange.js';
import type { MessageTurn } from '../conversation/messages.js';
import { UsageError } from '../errors.js';
import { EMPTY_CONVERSATION, type Conversation, type ImagePlaceholder, type Transcript } from '../conversation/types.js';
import type { ConversationSummary, ResetResult } from '../store/index.js';
import type { SessionStorage } from '../store/ports.js';
import type { ImageInput } from './images.js';

/** The stored conversations and CLI sessions, as shown by `safetynet sessions`. */
export interface SessionsApi {
  /** Every binding, or every backend's binding of one session key. */
  list(sessionKey?: string): Promise<SessionBinding[]>;
  /** Every session key with a transcript: its length and last update, sorted by key. */
  conversations(): Promise<ConversationSummary[]>;
  /** The transcript of a session key (`{ turns: [], dropped: 0 }` when there is none). */
  transcript(sessionKey: string): Promise<Transcript>;
  /**
   * Forget a session key: every CLI session binding and the transcript; with `backendId`, only that
   * backend's binding (the transcript stays). Resolves with what was removed.
   * @throws {UsageError} `SAFETYNET_USAGE` when `backendId` is neither a CLI backend of the config
   *   (built-in or configured) nor the backend of a stored binding of the key: a typo would
   *   otherwise remove nothing and say so as if it succeeded. The message names the known backends.
   */
  reset(sessionKey: string, backendId?: string): Promise<ResetResult>;
}

/** The session store, opened on first use. */
type OpenSessions = () => Promise<SessionStorage>;

/** `runtime.sessions` over the session store. */
export function sessionsApi(sessions: OpenSessions, backendIds: readonly string[]): SessionsApi {
  return {
    list: async (sessionKey) => (await sessions()).list(sessionKey),
    conversations: async () => (await sessions()).conversations(),
    transcript: async (sessionKey) => (await sessions()).transcript(sessionKey),
    reset: async (sessionKey, backendId) => {
      const store = await sessions();
      if (backendId === undefined) return store.resetAll(sessionKey);
      const stored = (await store.list(sessionKey)).map((binding) => binding.backendId);
      const known = [...new Set([...backendIds, ...stored])].sort();
      if (!known.includes(backendId)) {
        throw new UsageError(
          `unknown backend "${backendId}": expected one of ${known.join(', ')} (the CLI backends of the config and of the stored sessions of "${sessionKey}")`,
        );
      }
      return { bindings: await store.reset(sessionKey, backendId), turns: 0 };
    },
  };
}

/**
 * The conversation a request continues: the caller's `messages` (compared with the stored
 * transcript when a session key is set), else the key's transcript, else none. A request without a
 * key never opens the store.
 * @throws {StoreError} when the transcript cannot be read (answering without it would answer another conversation).
 */
export async function loadConversation(
  sessions: OpenSessions,
  request: { sessionKey: string | null; history: MessageTurn[] | undefined; requestId: string },
): Promise<Conversation> {
  const { sessionKey, history, requestId } = request;
  if (sessionKey === null) return history === undefined ? EMPTY_CONVERSATION : conversationFromMessages(history, undefined, requestId);
  const stored = await (await sessions()).transcript(sessionKey);
  return history === undefined ? conversationFromTranscript(stored) : conversationFromMessages(history, stored, requestId);
}

/** The transcript placeholder of each staged image: the input file's name, or the staged name of inline data. */
export function imagePlaceholders(inputs: readonly ImageInput[], staged: readonly StagedImage[]): ImagePlaceholder[] {
  return staged.map((image, i) => {
    const input = inputs[i];
    return { name: basename(input !== undefined && 'path' in input ? input.path : image.path), mimeType: image.mimeType };
  });
}
