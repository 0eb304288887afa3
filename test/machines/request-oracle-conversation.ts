/**
 * The conversation invariants of one request (`docs/conversations.md`), checked with the failover
 * rules of `request-oracle.ts` on the live trace after every step: how a CLI attempt continues the
 * stored session, and what a success writes to the transcript. It imports types only from
 * `src/machines`, and from `src/conversation` the pure sync of a binding with a conversation and the
 * chain digest (tested apart).
 */
import { sessionSync } from '../../src/conversation/continuation.js';
import { chainDigest } from '../../src/conversation/digest.js';
import { type Rule, type Written, added, runs } from './request-trace.js';

/** The stored session a `runCliTurn` input carries (`bindingView`). */
type SentBinding = { cliSessionId: string; seenSeq: number | null; seenDigest: string | null } | null;

/** The stored session as `sessionSync` reads it. */
function syncBinding(binding: SentBinding) {
  if (binding === null) return undefined;
  return binding.seenSeq === null ? {} : { seenSeq: binding.seenSeq, seenDigest: binding.seenDigest ?? undefined };
}

/** The conversation rules. */
export const conversationRules: Rule[] = [
  {
    rule: 'a CLI attempt resumes only a binding in sync or behind (the stored session has seen a prefix of the conversation)',
    holds: ({ input, steps }) => {
      for (const { call } of runs(steps)) {
        if (call.input.forceNewSession === true) continue;
        const sync = sessionSync(syncBinding(call.input.binding as SentBinding), input.conversation);
        if (sync !== 'current' && sync !== 'behind') return `resumed a session that is ${sync}`;
      }
      return true;
    },
  },
  {
    rule: 'a reseed never sends the stored session id, and a CLI attempt logs the continuation its last run had',
    holds: ({ input, steps }) => {
      const { attempts } = steps.at(-1)!;
      const last = new Map(runs(steps).map(({ call }) => [call.input.model, call.input]));
      for (const attempt of attempts.filter((a) => a.continuation !== undefined)) {
        const candidate = input.candidates.find((c) => c.ref === attempt.model)!;
        const sent = last.get(candidate.model);
        if (candidate.api !== undefined) return `API attempt ${attempt.model} has a continuation`;
        if (sent === undefined) continue;
        const continues = attempt.continuation === 'resume' || attempt.continuation === 'catch-up';
        if (sent.forceNewSession === continues) return `${attempt.continuation} sent forceNewSession=${String(sent.forceNewSession)}`;
        if (!continues && (attempt.continuation === 'reseed') !== input.conversation.turns.length > 0)
          return `${attempt.continuation} with ${input.conversation.turns.length} history turns`;
      }
      return true;
    },
  },
  {
    rule: 'the transcript is written only in persisting-session and only with a session key; an answer with a session key writes it once',
    holds: ({ input, steps }) => {
      for (let k = 0; k < steps.length; k++) {
        for (const call of added(steps, k).filter((c) => c.role === 'recordSuccess')) {
          if (steps[k]!.state !== 'persisting-session') return `recordSuccess in ${steps[k]!.state}`;
          const written = call.input.transcript as Written | null;
          if ((written !== null) !== (input.sessionKey !== null))
            return `transcript ${written === null ? 'missing' : 'written'} for key ${input.sessionKey}`;
          if (written !== null && written.sessionKey !== input.sessionKey) return `written under ${written.sessionKey}`;
        }
      }
      const last = steps.at(-1)!;
      const writes = last.invocations.filter((c) => c.role === 'recordSuccess' && c.input.transcript !== null).length;
      if (last.state === 'answered' && input.sessionKey !== null && writes !== 1) return `${writes} transcript writes for one answer`;
      return last.state !== 'failed' || writes === 0 || 'a transcript written for a request that failed';
    },
  },
  {
    rule: "the user's turn and the answer are written together (the answer's seq = the user's + 1, chained), with the binding in the same batch (its seenSeq is the answer's)",
    holds: ({ input, steps }) => {
      for (const call of steps.at(-1)!.invocations.filter((c) => c.role === 'recordSuccess')) {
        const written = call.input.transcript as Written | null;
        if (written === null) {
          if (call.input.session !== null) return 'a binding written without its transcript';
          continue;
        }
        const [user, answer] = written.turns.slice(-2);
        if (user?.role !== 'user' || user.text !== input.request.prompt) return "the user's message is not the turn before the answer";
        if (answer?.role !== 'assistant' || answer.seq !== user.seq + 1) return `answer seq ${answer?.seq} after user seq ${user.seq}`;
        if (answer.digest !== chainDigest(user.digest, 'assistant', answer.text)) return 'the answer is not chained to the user turn';
        const before = input.conversation.turns.at(-1);
        if (user.seq !== (before?.seq ?? input.conversation.dropped) + 1) return `user seq ${user.seq} does not follow the conversation`;
        if (user.digest !== chainDigest(before?.digest ?? '', 'user', user.text)) return 'the user turn is not chained to the conversation';
      }
      return true;
    },
  },
];
