/**
 * Named guards of the request machine. Each reads context (and, for invoke results, the event's
 * `output`/`error` fields), never message text.
 */
import type { EventObject } from 'xstate';
import { toAttemptFailure } from '../errors.js';
import type { RequestContext } from './types.js';

type GuardArgs = { context: RequestContext; event: EventObject };

/** The `error` of an `xstate.error.actor.*` event. */
export function errorOf(event: EventObject): unknown {
  return (event as EventObject & { error?: unknown }).error;
}

/** The `output` of an `xstate.done.actor.*` event. */
export function outputOf<T>(event: EventObject): T {
  return (event as EventObject & { output: T }).output;
}

export const requestGuards = {
  /** The current candidate is served by a CLI backend. */
  isCliCandidate: ({ context }: GuardArgs) => context.candidates[context.index]?.backend !== undefined,
  /**
   * The CLI rejected the stored session id as unknown (`session_expired`) and this candidate has
   * not retried yet: retry once as a new session (the binding is replaced on success).
   */
  isStaleStoredSession: ({ context, event }: GuardArgs) =>
    toAttemptFailure(errorOf(event)).reason === 'session_expired' &&
    context.binding !== undefined &&
    !context.forceNewSession &&
    !context.sessionRetried,
  /** A session key is set, the backend keeps sessions, and the turn reported a session id. */
  shouldPersistSession: ({ context, event }: GuardArgs) => {
    const backend = context.candidates[context.index]?.backend;
    const turn = outputOf<{ sessionId?: string | undefined }>(event);
    return context.sessionKey !== null && backend !== undefined && backend.sessionMode !== 'none' && typeof turn.sessionId === 'string' && turn.sessionId !== '';
  },
  /** Another candidate follows the current one. */
  hasNextCandidate: ({ context }: GuardArgs) => context.index + 1 < context.candidates.length,
};
