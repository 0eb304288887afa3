/**
 * The live trace of one replayed request as the oracle's rules read it, and the shapes and helpers
 * those rules share (`request-oracle.ts`, `request-oracle-conversation.ts`).
 */
import type { EventObject } from 'xstate';
import type { TranscriptTurn } from '../../src/conversation/types.js';
import type { Attempt, RequestInput } from '../../src/machines/types.js';
import type { Invocation } from './request-reference.js';

/** The live request after one step. */
export interface TraceStep {
  event: EventObject;
  state: string;
  index: number;
  attempts: Attempt[];
  persistWarning: string | undefined;
  /** The machine's output once final. */
  output: Record<string, unknown> | undefined;
  /** Every actor invocation so far, in order. */
  invocations: Invocation[];
}

/** A request's input and its steps so far. */
export type Trace = { input: RequestInput; steps: TraceStep[] };

/** An invariant: `true` when the trace keeps it, else why not. */
export type Rule = { rule: string; holds: (trace: Trace) => true | string };

/** The transcript part of a `recordSuccess` input. */
export type Written = { sessionKey: string; turns: TranscriptTurn[] };

/** The invocations step `k` added. */
export function added(steps: TraceStep[], k: number): Invocation[] {
  return steps[k]!.invocations.slice(k === 0 ? 0 : steps[k - 1]!.invocations.length);
}

/** Every `runCliTurn` invocation with the step that made it. */
export function runs(steps: TraceStep[]): Array<{ k: number; call: Invocation }> {
  return steps.flatMap((_, k) =>
    added(steps, k)
      .filter((call) => call.role === 'runCliTurn')
      .map((call) => ({ k, call })),
  );
}
