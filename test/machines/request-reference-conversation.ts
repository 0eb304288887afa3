/**
 * The conversation rules of the reference model (`request-reference.ts`), written from
 * `docs/conversations.md` and not from the machine: how a CLI attempt continues the stored session,
 * and the transcript turns a success writes. It imports types only from `src/machines` and
 * `src/actors`, and from `src/conversation` only the chain digest (`chainTurns`, tested apart).
 */
import type { SessionBinding } from '../../src/actors/types.js';
import { chainTurns } from '../../src/conversation/digest.js';
import type { Continuation, Conversation, TranscriptTurn } from '../../src/conversation/types.js';
import type { Candidate, RequestInput } from '../../src/machines/types.js';

/** What the rules read of a stored CLI session: its id and the last turn it saw. */
export function bindingView(binding: SessionBinding | undefined): Record<string, unknown> | null {
  if (binding === undefined) return null;
  return { cliSessionId: binding.cliSessionId, seenSeq: binding.seenSeq ?? null, seenDigest: binding.seenDigest ?? null };
}

/**
 * How a CLI attempt continues `conversation` with the stored session `binding`
 * (`docs/conversations.md#continuation`): `resume` when the session has seen every turn, `catch-up`
 * when what it saw last is still a turn of the conversation (same seq, same digest) and turns
 * followed, else a new session: `reseed` with the history, `new` without. A session that saw
 * nothing (`seenSeq` 0) saw an empty prefix, which always matches; a binding from before
 * transcripts (no `seenSeq`) is usable only while the conversation has no turns.
 */
export function expectedContinuation(binding: SessionBinding | undefined, conversation: Conversation): Continuation {
  const fresh: Continuation = conversation.turns.length > 0 ? 'reseed' : 'new';
  const lastSeq = conversation.turns.length > 0 ? conversation.turns[conversation.turns.length - 1]!.seq : conversation.dropped;
  if (binding === undefined) return fresh;
  if (binding.seenSeq === undefined) return lastSeq === 0 ? 'resume' : fresh;
  if (binding.seenSeq === 0) return lastSeq === 0 ? 'resume' : 'catch-up';
  const seen = conversation.turns.find((turn) => turn.seq === binding.seenSeq);
  if (seen === undefined || seen.digest !== binding.seenDigest) return fresh;
  return seen.seq === lastSeq ? 'resume' : 'catch-up';
}

/**
 * The transcript a success of `candidate` with `answer` writes, when the request has a session key
 * (else `null`): the user's message and the answer, numbered and chained after the conversation's
 * last turn, preceded by the conversation's turns the store does not hold yet (after `storedSeq`
 * when appending, all of them when replacing).
 */
export function expectedTranscript(input: RequestInput, candidate: Candidate, answer: string): Record<string, unknown> | null {
  if (input.sessionKey === null) return null;
  const { requestId, request, conversation } = input;
  const user = {
    role: 'user' as const,
    text: request.prompt,
    requestId,
    at: 0,
    ...(request.imagePlaceholders.length === 0 ? {} : { images: request.imagePlaceholders }),
  };
  const backend = candidate.api !== undefined ? ('api' as const) : ('cli' as const);
  const assistant = { role: 'assistant' as const, text: answer, model: candidate.ref, backend, requestId, at: 0 };
  const exchange = chainTurns([user, assistant], conversation.turns.at(-1));
  const { write } = conversation;
  const unstored: TranscriptTurn[] =
    write.mode === 'replace' ? conversation.turns : conversation.turns.filter((turn) => turn.seq > write.storedSeq);
  return { sessionKey: input.sessionKey, write, turns: [...unstored, ...exchange] };
}
