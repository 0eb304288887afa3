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

/** The request machine's guards by name, as registered in `setup({ guards })`. */
export const requestGuards = {
  /** The current candidate is not tried: it cools down, or the allowlist excludes it. */
  isSkipped: ({ context }: GuardArgs) => context.candidates[context.index]?.skip !== undefined,
  /** The current candidate is served by a CLI backend. */
  isCliCandidate: ({ context }: GuardArgs) => context.candidates[context.index]?.backend !== undefined,
  /** The current candidate is served by an API provider. */
  isApiCandidate: ({ context }: GuardArgs) => context.candidates[context.index]?.api !== undefined,
  /**
   * The CLI rejected the stored session id as unknown (`session_expired`) and this candidate has
   * not retried yet: retry once as a new session (the binding is replaced on success).
   */
  isStaleStoredSession: ({ context, event }: GuardArgs) =>
    toAttemptFailure(errorOf(event)).reason === 'session_expired' &&
    context.binding !== undefined &&
    !context.forceNewSession &&
    !context.sessionRetried,
  /**
   * The success changes stored state: a CLI session id to keep (a session key is set, the backend
   * keeps sessions, the turn reported an id), or a cooldown entry of the candidate to clear.
   */
  shouldPersistSession: ({ context, event }: GuardArgs) => {
    const candidate = context.candidates[context.index];
    const turn = outputOf<{ sessionId?: string | undefined }>(event);
    const keepsSession =
      context.sessionKey !== null &&
      candidate?.backend !== undefined &&
      candidate.backend.sessionMode !== 'none' &&
      typeof turn.sessionId === 'string' &&
      turn.sessionId !== '';
    return keepsSession || candidate?.hadCooldown === true;
  },
  /** Another candidate follows the current one. */
  hasNextCandidate: ({ context }: GuardArgs) => context.index + 1 < context.candidates.length,
};
