/**
 * The world the model-based test of the request machine runs in: the candidates, the conversations a
 * request continues, the stored CLI sessions `loadSession` may find, and the payloads of every event
 * (actor results, `cli.retry`) the graph walk may send. The actors are stand-ins, so their results
 * follow the actors' contracts: `loadSession` finds a binding only for requests with a session key,
 * and a CLI run's plan says whether it started a new session and how many history turns it sent.
 * Some failures come after part of the answer was streamed to the caller (`outputSent`): an API
 * stream that broke off, and a CLI that streamed text and then reported its session unknown.
 */
import type { EventObject, SnapshotFrom } from 'xstate';
import type { CliRunOutput, SessionBinding } from '../../src/actors/types.js';
import { missedTurns } from '../../src/conversation/continuation.js';
import { chainTurns } from '../../src/conversation/digest.js';
import { EMPTY_CONVERSATION, type Conversation, type TranscriptTurn } from '../../src/conversation/types.js';
import type { requestMachine } from '../../src/machines/request-machine.js';
import { initialContext } from '../../src/machines/request-context.js';
import type { Candidate, RequestContext, RequestInput } from '../../src/machines/types.js';
import { testBackend } from '../support/backends.js';
import { type ActorRole, CLI_FIELD, actorEvent } from './request-names.js';

type Snapshot = SnapshotFrom<typeof requestMachine>;

const backend = testBackend({ id: 'fake-cli' });
const api = {
  id: 'stub-api',
  api: 'anthropic-messages' as const,
  baseUrl: 'http://127.0.0.1:1',
  apiKey: 'k',
  headers: {},
  timeoutMs: undefined,
  models: undefined,
};

/** The candidates scenarios are made of, by name. */
export const CANDIDATES = {
  a: { ref: 'fake-cli/a', provider: 'fake-cli', model: 'a', [CLI_FIELD]: backend },
  b: { ref: 'fake-cli/b', provider: 'fake-cli', model: 'b', [CLI_FIELD]: backend },
  none: { ref: 'nowhere/c', provider: 'nowhere', model: 'c' },
  // A cooled candidate this request probes (half-open): its attempts say `probe: true`, a success clears its cooldown.
  api: { ref: 'stub-api/m', provider: 'stub-api', model: 'm', api, hadCooldown: true, probe: true },
  fresh: { ref: 'stub-api/n', provider: 'stub-api', model: 'n', api },
  // Skipped for its cooldown; tried as the last resort when every other candidate failed (a success clears its cooldown).
  cooling: {
    ref: 'stub-api/cool',
    provider: 'stub-api',
    model: 'cool',
    api,
    skip: { reason: 'rate_limit', detail: 'cooling down', retryAfterMs: 4000 },
    hadCooldown: true,
  },
  // Skipped for the config (the allowlist excludes it): never tried, not even as the last resort.
  excluded: {
    ref: 'stub-api/x',
    provider: 'stub-api',
    model: 'x',
    api,
    skip: { reason: 'config', detail: 'not in agents.defaults.models' },
  },
} satisfies Record<string, Candidate>;

const turn = (role: 'user' | 'assistant', text: string, model?: string) =>
  model === undefined
    ? { role, text, requestId: 'earlier', at: 1 }
    : { role, text, model, backend: model.startsWith('stub-api') ? ('api' as const) : ('cli' as const), requestId: 'earlier', at: 1 };

/** Turns 3–6 of a stored transcript whose turns 1–2 the bounds dropped. */
const KEPT: TranscriptTurn[] = chainTurns(
  [
    turn('user', 'what is the capital of France?'),
    turn('assistant', 'Paris.', 'stub-api/m'),
    turn('user', 'and of Italy?', undefined),
    turn('assistant', 'Rome.', 'fake-cli/a'),
  ],
  { seq: 2, digest: 'd'.repeat(32) },
);

/** A caller's `messages` history: two turns the store holds, two it does not yet. */
const MESSAGES: TranscriptTurn[] = chainTurns(
  [turn('user', 'hello'), turn('assistant', 'hi!'), turn('user', 'kiwi?'), turn('assistant', 'a fruit')],
  undefined,
);

/** The conversations a request may continue. */
export const CONVERSATIONS = {
  /** The first turn of a session key, or a one-shot request. */
  empty: EMPTY_CONVERSATION,
  /** A stored transcript with history, its oldest two turns dropped by the bounds. */
  history: { turns: KEPT, dropped: 2, write: { mode: 'append', storedSeq: 6 } },
  /** `messages` that continue the stored transcript (turns 1–2 stored, 3–4 new). */
  'messages-append': { turns: MESSAGES, dropped: 0, write: { mode: 'append', storedSeq: 2 } },
  /** `messages` that differ from the stored transcript: they replace it. */
  'messages-replace': { turns: MESSAGES, dropped: 0, write: { mode: 'replace' } },
} satisfies Record<string, Conversation>;

export type ConversationName = keyof typeof CONVERSATIONS;

const stored = (seen: Pick<SessionBinding, 'seenSeq' | 'seenDigest'>): SessionBinding => ({
  sessionKey: 'k',
  backendId: 'fake-cli',
  cliSessionId: 'stored-1',
  cwd: '/tmp',
  createdAt: 1,
  updatedAt: 1,
  turns: 1,
  ...seen,
});

/**
 * Stored CLI sessions by how they were made (not by what the machine should make of them: the
 * reference model decides that from the rules): what they saw last relative to the conversation.
 */
export const BINDINGS = {
  /** Saw the conversation's last turn (or, with no turns, nothing: `seenSeq` 0). */
  latest: (c: Conversation) => stored({ seenSeq: c.turns.at(-1)?.seq ?? 0, seenDigest: c.turns.at(-1)?.digest ?? '' }),
  /** Saw the conversation's second kept turn. */
  earlier: (c: Conversation) => stored({ seenSeq: c.turns[1]!.seq, seenDigest: c.turns[1]!.digest }),
  /** Saw a turn with the seq of the last one but another text (the history was edited). */
  edited: (c: Conversation) => stored({ seenSeq: c.turns.at(-1)!.seq, seenDigest: 'e'.repeat(32) }),
  /** Saw a turn the bounds have dropped since. */
  dropped: (c: Conversation) => stored({ seenSeq: c.dropped, seenDigest: 'd'.repeat(32) }),
  /** Stored before transcripts existed: no `seenSeq`. */
  legacy: () => stored({}),
  /** Saw turns the conversation does not have (the transcript was reset). */
  ahead: (c: Conversation) => stored({ seenSeq: (c.turns.at(-1)?.seq ?? c.dropped) + 2, seenDigest: 'a'.repeat(32) }),
} satisfies Record<string, (c: Conversation) => SessionBinding>;

export type BindingName = keyof typeof BINDINGS;

/** A CLI run as the fake CLI reports it: a new session unless the attempt continues the stored one, and the history it sent. */
function runOf(c: RequestContext): CliRunOutput {
  const continuation = c.continuation ?? 'new';
  const continues = !c.forceNewSession && (continuation === 'resume' || continuation === 'catch-up');
  const historyTurns =
    continuation === 'reseed'
      ? c.conversation.turns.length
      : continuation === 'catch-up'
        ? missedTurns(c.binding, c.conversation).length
        : 0;
  return {
    plan: {
      command: 'fake',
      argv: [],
      cwd: '/tmp/run-cwd',
      resume: continues,
      sessionIdSent: continues ? c.binding?.cliSessionId : undefined,
      newSession: !continues,
      parseMode: 'json',
      noOutputTimeoutMs: 1000,
      stdinChars: 0,
      continuation,
      historyTurns,
    },
    stdout: '{"result":"hello"}',
    stderr: '',
    exitCode: 0,
    signal: undefined,
    durationMs: 1,
  };
}

const done = (role: ActorRole, output: unknown) => ({ type: actorEvent('done', role), output }) as EventObject;
const error = (role: ActorRole, failure: Record<string, unknown>) => ({ type: actorEvent('error', role), error: failure }) as EventObject;

/**
 * Payload variants of `type` in `snapshot` (plain objects: Error instances would collide when
 * serialized); `undefined` for an event without payload. `bindings` are the stored sessions
 * `loadSession` may find besides none (only with a session key).
 */
export function eventCases(type: string, snapshot: Snapshot, bindings: readonly BindingName[]): EventObject[] | undefined {
  const c = snapshot.context;
  switch (type) {
    case actorEvent('done', 'loadSession'): {
      const found = c.sessionKey === null ? [] : bindings.map((name) => BINDINGS[name](c.conversation));
      return [undefined, ...found].map((binding) => done('loadSession', { binding }));
    }
    case actorEvent('error', 'loadSession'):
      return [error('loadSession', { reason: 'unknown', message: 'store failed' })];
    case actorEvent('done', 'callApi'):
      return [done('callApi', { text: 'from api', sessionId: undefined, usage: { input: 3, output: 2 } })];
    case actorEvent('error', 'callApi'):
      return [
        error('callApi', { reason: 'rate_limit', message: '429', retryAfterMs: 2000, status: 429 }),
        error('callApi', { reason: 'overloaded', message: 'the stream broke off: overloaded', status: 529, outputSent: true }),
      ];
    case actorEvent('done', 'runCliTurn'):
      return [done('runCliTurn', runOf(c))];
    case actorEvent('error', 'runCliTurn'):
      return [error('runCliTurn', { reason: 'config', message: 'command not found', exitCode: 127 })];
    case actorEvent('done', 'parseCliOutput'):
      return [
        done('parseCliOutput', { text: 'hello', sessionId: 's-1', usage: undefined }),
        done('parseCliOutput', { text: 'hello without id', sessionId: undefined, usage: undefined }),
      ];
    case actorEvent('error', 'parseCliOutput'):
      return [
        error('parseCliOutput', { reason: 'session_expired', message: 'No conversation found' }),
        error('parseCliOutput', { reason: 'rate_limit', message: '429' }),
        error('parseCliOutput', { reason: 'session_expired', message: 'No conversation found (after streamed text)', outputSent: true }),
      ];
    case actorEvent('done', 'recordSuccess'):
      return [done('recordSuccess', undefined)];
    case actorEvent('error', 'recordSuccess'):
      return [error('recordSuccess', { reason: 'unknown', message: 'store locked' })];
    case actorEvent('done', 'recordFailure'):
      return [done('recordFailure', undefined)];
    case actorEvent('error', 'recordFailure'):
      return [error('recordFailure', { reason: 'unknown', message: 'bookkeeping failed' })];
    case 'cli.retry':
      return [{ type: 'cli.retry', notice: 'api_retry 1/3' } as EventObject];
    default:
      return undefined;
  }
}

/**
 * A request context as the machine starts it (`initialContext` of a keyed request for candidate `a`,
 * empty conversation, no attempt yet), for unit tests of guards and context helpers; `fields`
 * replace any of it.
 */
export function contextWith(fields: Partial<RequestContext> = {}): RequestContext {
  const input: RequestInput = {
    requestId: 'r1',
    candidates: [CANDIDATES.a],
    sessionKey: 'k',
    attemptTimeoutMs: 30_000,
    request: { prompt: 'hi', systemPrompt: undefined, images: [], imagePlaceholders: [], cwd: '/tmp' },
    conversation: CONVERSATIONS.empty,
    historyChars: 1000,
  };
  return { ...initialContext({ input }), ...fields };
}
