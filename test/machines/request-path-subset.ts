/**
 * A covering subset of the model test's shortest paths, for mutation runs only
 * (`SAFETYNET_MODEL_PATHS=covering`, set by `stryker.machines.config.mjs`): a greedy set cover that
 * keeps paths until every step kind of the full set is taken at least once. A step kind is the state
 * it leaves (value, candidate index, continuation, retry flags, whether a binding is kept), the event
 * with its payload, and the state it enters. The subset replays fewer paths through the same
 * reference model and oracle, so whatever it kills the full set kills too: a mutation score measured
 * with it is a lower bound of the full test's.
 */
import type { EventObject } from 'xstate';

type Step = { event: EventObject; state: unknown };
type PathLike = { steps: Step[] };
type Context = {
  index: number;
  continuation?: string;
  forceNewSession: boolean;
  sessionRetried: boolean;
  binding?: unknown;
  failure?: { reason: string; outputSent?: boolean };
};
type State = { value: unknown; context: Context };

function where(state: State | undefined): string {
  if (state === undefined) return '(start)';
  const c = state.context;
  return JSON.stringify([state.value, c.index, c.continuation ?? null, c.forceNewSession, c.sessionRetried, c.binding !== undefined]);
}

/** The step kinds a path takes. */
function kindsOf(path: PathLike): Set<string> {
  const kinds = new Set<string>();
  let previous: State | undefined;
  for (const step of path.steps) {
    const next = step.state as State;
    kinds.add(`${where(previous)} ${JSON.stringify(step.event)} → ${JSON.stringify(next.value)}`);
    previous = next;
  }
  return kinds;
}

/** The paths (in their original order) that together take every step kind `paths` take. */
export function coveringPaths<P extends PathLike>(paths: readonly P[]): P[] {
  const kinds = paths.map(kindsOf);
  const uncovered = new Set(kinds.flatMap((set) => [...set]));
  const chosen = new Set<number>();
  while (uncovered.size > 0) {
    let best = -1;
    let gain = 0;
    kinds.forEach((set, i) => {
      let count = 0;
      for (const kind of set) if (uncovered.has(kind)) count++;
      if (count > gain) [best, gain] = [i, count];
    });
    chosen.add(best);
    for (const kind of kinds[best]!) uncovered.delete(kind);
  }
  return paths.filter((_, i) => chosen.has(i));
}
