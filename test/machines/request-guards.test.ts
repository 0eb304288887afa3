/**
 * Guards of the request machine read on their own (`requestMachine.implementations.guards`), for the
 * conditions its paths never separate: the machine sets `binding`, `forceNewSession` and
 * `sessionRetried` together, so each conjunct of the stale-session rule is shown here alone. The
 * rules as the machine takes them are checked by the model-based test.
 */
import { describe, expect, it } from 'vitest';
import { requestMachine } from '../../src/machines/request-machine.js';
import type { RequestContext } from '../../src/machines/types.js';
import { BINDINGS, CANDIDATES, CONVERSATIONS, contextWith } from './request-fixtures.js';

// biome-ignore lint/suspicious/noExplicitAny: a guard's argument types are xstate internals; each call passes what the guard reads.
const guards = requestMachine.implementations.guards as Record<string, (args: any, params?: any) => boolean>;

const stale = { reason: 'session_expired', message: 'No conversation found' };

function context(fields: Partial<RequestContext> = {}): RequestContext {
  return contextWith({ binding: BINDINGS.latest(CONVERSATIONS.empty), continuation: 'resume', ...fields });
}

const isStale = (fields: Partial<RequestContext>, error: unknown = stale) =>
  guards.isStaleStoredSession!({ context: context(fields) }, { error });

describe('a stale stored session is retried only when every condition holds', () => {
  it('holds: session_expired of a resumed stored session, not yet retried', () => {
    expect(isStale({})).toBe(true);
    expect(isStale({ continuation: 'catch-up' })).toBe(true);
  });

  it('not without a stored session (a binding)', () => {
    expect(isStale({ binding: undefined })).toBe(false);
  });

  it('not once the attempt already runs as a new session', () => {
    expect(isStale({ forceNewSession: true })).toBe(false);
  });

  it('not twice for one candidate', () => {
    expect(isStale({ sessionRetried: true })).toBe(false);
  });

  it('not for a new or reseeded session, nor another reason, nor after streamed output', () => {
    expect(isStale({ continuation: 'reseed' })).toBe(false);
    expect(isStale({ continuation: 'new' })).toBe(false);
    expect(isStale({}, { reason: 'rate_limit', message: '429' })).toBe(false);
    expect(isStale({}, { ...stale, outputSent: true })).toBe(false);
  });
});

describe('a success has something to record: a session key, a CLI session to keep, or a cooldown to clear', () => {
  const turn = (sessionId: string | undefined) => ({ turn: { text: 'a', sessionId, usage: undefined } });

  it('one-shot API answer without a cooldown: nothing', () => {
    expect(guards.hasSuccessToRecord!({ context: context({ sessionKey: null, candidates: [CANDIDATES.fresh] }) }, turn(undefined))).toBe(
      false,
    );
  });

  it('a cooldown to clear, alone', () => {
    expect(guards.hasSuccessToRecord!({ context: context({ sessionKey: null, candidates: [CANDIDATES.api] }) }, turn(undefined))).toBe(
      true,
    );
  });
});
