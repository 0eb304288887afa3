/**
 * Invariants of one request, written apart from the machine and checked on the live trace (state,
 * attempt log, recorded actor invocations, output) after every step of every replayed path: the
 * failover rules here, the conversation rules in `request-oracle-conversation.ts`. Each rule reads
 * fields only; it imports types only from `src/machines`.
 */
import type { Candidate, RequestInput } from '../../src/machines/types.js';
import { CLI_FIELD, actorEvent } from './request-names.js';
import { conversationRules } from './request-oracle-conversation.js';
import type { Invocation } from './request-reference.js';
import { type Rule, type TraceStep, type Written, added, runs } from './request-trace.js';

export type { TraceStep } from './request-trace.js';

/** The step whose actor rejected after part of its answer reached the caller, or -1. */
function streamedAt(steps: TraceStep[]): number {
  return steps.findIndex((step) => (step.event as { error?: { outputSent?: unknown } }).error?.outputSent === true);
}

/** Skipped for a cooldown (any skip reason but `config`, which cools nothing): tried as the last resort. */
function cooledSkip(candidate: Candidate): boolean {
  return candidate.skip !== undefined && candidate.skip.reason !== 'config';
}

const RUNNING = new Set(['selecting-model', 'calling-api', 'spawning-cli', 'parsing', 'persisting-session']);

/** Does `invocation` concern `candidate` (and nothing else)? */
function concerns(invocation: Invocation, candidate: Candidate): boolean {
  const i = invocation.input;
  const cli = candidate[CLI_FIELD];
  switch (invocation.role) {
    case 'loadSession':
    case 'recordFailure':
      return i.ref === candidate.ref;
    case 'callApi':
      return i.provider === candidate.api?.id && i.model === candidate.model;
    case 'runCliTurn':
      return i.backend === cli?.id && i.model === candidate.model;
    case 'parseCliOutput':
      return i.backend === cli?.id;
    case 'recordSuccess': {
      const session = i.session as { model: string } | null;
      const clear = i.clearCooldown as { ref: string } | null;
      const answer = (i.transcript as Written | null)?.turns.at(-1);
      return (
        (session === null || session.model === candidate.ref) &&
        (clear === null || clear.ref === candidate.ref) &&
        (answer === undefined || answer.model === candidate.ref)
      );
    }
  }
}

const rules: Rule[] = [
  {
    rule: 'persisting-session is reached only right after a successful parse or API call',
    holds: ({ steps }) => {
      for (let k = 1; k < steps.length; k++) {
        if (steps[k]!.state !== 'persisting-session' || steps[k - 1]!.state === 'persisting-session') continue;
        const via = steps[k]!.event.type;
        if (via !== actorEvent('done', 'parseCliOutput') && via !== actorEvent('done', 'callApi')) return `entered via ${via}`;
      }
      return true;
    },
  },
  {
    rule: 'answered means the last attempt is ok and its text is the output',
    holds: ({ steps }) => {
      const last = steps.at(-1)!;
      if (last.state !== 'answered') return last.attempts.every((a) => !a.ok) || 'an ok attempt without an answer';
      const answers = steps.filter((s) => [actorEvent('done', 'parseCliOutput'), actorEvent('done', 'callApi')].includes(s.event.type));
      const text = (answers.at(-1)?.event as { output?: { text?: string } } | undefined)?.output?.text;
      const okAttempts = last.attempts.filter((a) => a.ok);
      if (okAttempts.length !== 1 || last.attempts.at(-1)?.ok !== true) return 'the last attempt is not the only ok one';
      if (last.output?.status !== 'answered' || last.output.text !== text) return `output text ${String(last.output?.text)} ≠ ${text}`;
      return last.output.model === last.attempts.at(-1)!.model || 'output model is not the answering candidate';
    },
  },
  {
    rule: 'a CLI runs again only as the stale-session retry: after session_expired of a run that sent the stored session, once per candidate, as a new session',
    holds: ({ steps }) => {
      const retried = new Set<unknown>();
      let previous: Invocation | undefined;
      for (const { k, call } of runs(steps)) {
        const event = steps[k]!.event;
        if (event.type === actorEvent('done', 'loadSession')) {
          previous = call;
          continue;
        }
        const error = (event as { error?: { reason?: string } }).error;
        if (event.type !== actorEvent('error', 'parseCliOutput') || error?.reason !== 'session_expired') return `ran after ${event.type}`;
        if (previous?.input.model !== call.input.model || previous?.input.forceNewSession !== false) return 'retried a run that was new';
        if (call.input.forceNewSession !== true) return 'the retry sent the stored session again';
        if (retried.has(call.input.model)) return 'retried twice';
        retried.add(call.input.model);
        previous = call;
      }
      return true;
    },
  },
  {
    rule: 'the attempt log holds one entry per candidate passed, in order, skipped ones marked skipped; then one per candidate skipped for a cooldown, tried (probe) as the last resort',
    holds: ({ input, steps }) => {
      const { state, index, attempts } = steps.at(-1)!;
      const passed = attempts.filter((a) => a.reason !== 'aborted');
      const aborted = attempts.filter((a) => a.reason === 'aborted');
      const n = input.candidates.length;
      const sequence = [...input.candidates, ...input.candidates.filter(cooledSkip)];
      for (const [k, attempt] of passed.entries()) {
        const candidate = sequence[k];
        if (attempt.model !== candidate?.ref) return `entry ${k} is ${attempt.model}, the order of tries has ${candidate?.ref} there`;
        const skipped = k < n && candidate.skip !== undefined;
        if ((attempt.skipped === true) !== skipped) return `entry ${k} skipped=${attempt.skipped}`;
        if (k >= n && attempt.probe !== true) return `last-resort entry ${k} is not marked probe`;
      }
      if (aborted.length > 1 || (aborted.length === 1 && attempts.at(-1) !== aborted[0])) return 'aborted entry not last';
      const ref = input.candidates[index]!.ref;
      if (RUNNING.has(state) && sequence[passed.length]?.ref !== ref) return `${passed.length} entries while candidate ${index} runs`;
      if (['falling-back', 'answered', 'failed'].includes(state) && sequence[passed.length - 1]?.ref !== ref)
        return `${passed.length} entries at ${index}`;
      return true;
    },
  },
  {
    rule: 'every invocation concerns the current candidate; a candidate skipped for the config is never invoked, one skipped for a cooldown only after every candidate was passed',
    holds: ({ input, steps }) => {
      for (let k = 0; k < steps.length; k++) {
        const candidate = input.candidates[steps[k]!.index]!;
        const passedAll = steps[k]!.attempts.filter((a) => a.reason !== 'aborted').length >= input.candidates.length;
        for (const call of added(steps, k)) {
          if (candidate.skip !== undefined && !cooledSkip(candidate))
            return `${call.role} invoked for ${candidate.ref}, skipped for the config`;
          if (candidate.skip !== undefined && !passedAll) return `${call.role} invoked for cooling ${candidate.ref} before the last resort`;
          if (!concerns(call, candidate)) return `${call.role} ${JSON.stringify(call.input)} is not about ${candidate.ref}`;
        }
      }
      return true;
    },
  },
  {
    rule: 'a request fails only after trying everything it could: every candidate not skipped for the config was tried (unless output was sent)',
    holds: ({ input, steps }) => {
      const last = steps.at(-1)!;
      if (last.state !== 'failed' || streamedAt(steps) !== -1) return true;
      const tried = new Set(last.attempts.filter((a) => a.skipped !== true).map((a) => a.model));
      const untried = input.candidates.filter((c) => (c.skip === undefined || cooledSkip(c)) && !tried.has(c.ref));
      return untried.length === 0 || `failed without trying ${untried.map((c) => c.ref).join(', ')}`;
    },
  },
  {
    rule: 'a cooldown is written for each failure, with that failure',
    holds: ({ steps }) => {
      const { attempts, invocations } = steps.at(-1)!;
      const written = invocations.filter((c) => c.role === 'recordFailure').map((c) => [c.input.ref, c.input.reason]);
      const failed = attempts.filter((a) => !a.ok && a.skipped !== true && a.reason !== 'aborted').map((a) => [a.model, a.reason]);
      return (
        JSON.stringify(written) === JSON.stringify(failed) || `cooldowns ${JSON.stringify(written)} for failures ${JSON.stringify(failed)}`
      );
    },
  },
  {
    rule: 'a success clears the cooldown of a candidate that had one, and only then',
    holds: ({ input, steps }) => {
      const { state, index, invocations } = steps.at(-1)!;
      const clears = invocations.filter((c) => c.role === 'recordSuccess' && c.input.clearCooldown !== null);
      const candidate = input.candidates[index]!;
      if (clears.some((c) => (c.input.clearCooldown as { ref: string }).ref !== candidate.ref || candidate.hadCooldown !== true)) {
        return 'a clear for a candidate without a cooldown';
      }
      return state !== 'answered' || candidate.hadCooldown !== true || clears.length === 1 || 'no cooldown clear after the success';
    },
  },
  {
    rule: 'the persist warning is set exactly when the session write failed',
    holds: ({ steps }) => {
      const last = steps.at(-1)!;
      const writeFailed = steps.find((s) => s.event.type === actorEvent('error', 'recordSuccess'));
      const message = (writeFailed?.event as { error?: { message?: string } } | undefined)?.error?.message;
      if (last.persistWarning !== message) return `persistWarning ${last.persistWarning} for a write error ${message}`;
      return last.state !== 'answered' || last.output?.persistWarning === message || 'the output dropped the persist warning';
    },
  },
  {
    rule: 'after CANCEL nothing else is invoked',
    holds: ({ steps }) => {
      const at = steps.findIndex((s) => s.event.type === 'CANCEL');
      if (at === -1) return true;
      return steps.at(-1)!.invocations.length === steps[at]!.invocations.length || 'an actor ran after CANCEL';
    },
  },
  {
    rule: 'an attempt timeout always falls back, and failed comes only after the last candidate and the last resort, or a failure with output sent',
    holds: ({ input, steps }) => {
      for (let k = 1; k < steps.length; k++) {
        const step = steps[k]!;
        if (step.event.type.startsWith('xstate.after.') && step.state !== 'falling-back') return `timeout went to ${step.state}`;
        if (step.state === 'failed' && steps[k - 1]!.state !== 'failed') {
          const passed = step.attempts.filter((a) => a.reason !== 'aborted').length;
          const all = input.candidates.length + input.candidates.filter(cooledSkip).length;
          const early = streamedAt(steps) !== -1;
          const lastSkipped = step.attempts.at(-1)?.skipped === true;
          if ((passed !== all && !early) || (steps[k - 1]!.state !== 'falling-back' && !lastSkipped)) {
            return `failed from ${steps[k - 1]!.state} at candidate ${step.index}`;
          }
        }
      }
      return true;
    },
  },
  {
    rule: 'a failure with output sent ends the request: logged as such, its cooldown recorded, nothing else invoked, output interrupted (unless cancelled first)',
    holds: ({ steps }) => {
      const at = streamedAt(steps);
      const last = steps.at(-1)!;
      if (at === -1) return last.output?.interrupted === undefined || 'interrupted without a failure after streamed output';
      const attempt = steps[at]!.attempts.at(-1);
      if (steps[at]!.state !== 'falling-back' || attempt?.outputSent !== true)
        return 'the failure after streamed output was not logged as one';
      const later = last.invocations.slice(steps[at - 1]!.invocations.length);
      if (later.some((call) => call.role !== 'recordFailure') || later.length !== 1) {
        return `after streamed output: ${later.map((call) => call.role).join(', ')} (only its cooldown may be written)`;
      }
      if (later[0]!.input.ref !== attempt.model) return 'the cooldown written after streamed output is not the failed candidate';
      if (last.state === 'falling-back' || last.state === 'aborted') return true;
      return (last.state === 'failed' && last.output?.interrupted === true) || `ended ${last.state}, not failed (interrupted)`;
    },
  },
  {
    rule: 'a final state carries its output: the same status and attempt log',
    holds: ({ steps }) => {
      const { state, output, attempts } = steps.at(-1)!;
      if (!['answered', 'failed', 'aborted'].includes(state)) return output === undefined || 'output before the end';
      const same = JSON.stringify(output?.attempts) === JSON.stringify(attempts);
      return (output?.status === state && same) || `output ${String(output?.status)} in ${state}`;
    },
  },
];

/** The rules the trace breaks, as `rule: why` lines (empty when every rule holds). */
export function brokenRules(input: RequestInput, steps: TraceStep[]): string[] {
  return [...rules, ...conversationRules].flatMap(({ rule, holds }) => {
    const verdict = holds({ input, steps });
    return verdict === true ? [] : [`${rule}: ${verdict}`];
  });
}
