/**
 * Transition coverage of the request machine, computed from its definition: every transition of
 * every non-final state (its own events, invoke `onDone`/`onError` branches, `after` delays,
 * `always` branches, and the root's `CANCEL` as taken from that state, unless the state handles `CANCEL` itself), and the label of a
 * transition a live actor took (from `@xstate.microstep` inspection events).
 */
import type { AnyStateMachine, InspectionEvent } from 'xstate';
import { GUARD } from './request-names.js';

// biome-ignore lint/suspicious/noExplicitAny: xstate does not export its state-node and transition-definition types by name.
type Node = any;
// biome-ignore lint/suspicious/noExplicitAny: as above.
type Transition = any;

/**
 * The role name of a guard (stable across the machine's renames): named, with params (`{ type, params }`),
 * or a combination of them (`and(…)`, `not(…)`: xstate's combinators are functions named so, holding `guards`).
 */
function roleOf(guard: unknown): string {
  if (typeof guard === 'string') return Object.entries(GUARD).find(([, name]) => name === guard)?.[0] ?? guard;
  const { type, guards, name } = guard as { type?: unknown; guards?: unknown[]; name?: string };
  if (typeof type === 'string') return roleOf(type);
  return `${name ?? 'combined'}(${Array.isArray(guards) ? guards.map(roleOf).join(', ') : '…'})`;
}

/** A guard's role label, `else` without one. */
function guardLabel(transition: Transition): string {
  return transition.guard === undefined ? 'else' : roleOf(transition.guard);
}

/** `<state> —<event>[<branch>]→ <targets>` of `transition` taken while `state` was active; undefined for the initial transition. */
function label(state: string, transition: Transition): string | undefined {
  const source: Node = transition.source;
  const always: Transition[] = source.always ?? [];
  const branches: Transition[] = always.includes(transition) ? always : (source.transitions.get(transition.eventType) ?? []);
  const branch = branches.indexOf(transition);
  if (branch === -1) return undefined;
  const event = always.includes(transition) ? 'always' : transition.eventType;
  const targets = (transition.target ?? []).map((target: Node) => target.key).join(',') || '(self)';
  return `${state} —${event}#${branch}[${guardLabel(transition)}]→ ${targets}`;
}

/** Every transition of the machine's non-final states, as labels. */
export function machineTransitions(machine: AnyStateMachine): string[] {
  const root: Node = machine.root;
  const labels: string[] = [];
  for (const state of Object.values(root.states) as Node[]) {
    if (state.type === 'final') continue;
    for (const own of [...(state.always ?? []), ...[...state.transitions.values()].flat()]) labels.push(label(state.key, own)!);
    // A root transition is inherited unless the state handles the same event itself.
    for (const inherited of [...root.transitions.values()].flat())
      if (!state.transitions.has(inherited.eventType)) labels.push(label(state.key, inherited)!);
  }
  return labels;
}

/** An `inspect` callback that adds the label of every transition the actor takes to `taken`. */
export function recordTransitions(taken: Set<string>, initialState: string): (event: InspectionEvent) => void {
  let active = initialState;
  return (event) => {
    if (event.type !== '@xstate.microstep') return;
    for (const transition of (event as InspectionEvent & { _transitions: Transition[] })._transitions) {
      const name = label(active, transition);
      if (name !== undefined) taken.add(name);
    }
    const value = (event.snapshot as { value?: unknown }).value;
    if (typeof value === 'string') active = value;
  };
}
