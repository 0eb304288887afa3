/**
 * Diagrams and exports generated from machine definitions (never drawn by hand): Mermaid
 * `stateDiagram-v2` (code hosts render it), Graphviz DOT (rendered to SVG by `npm run visualize`),
 * and a JSON config for the Stately visualizer / Studio ("Import from code": paste
 * `createMachine(<contents of visualizations/request.json>)`). One walk of `machine.root` collects
 * the states and transitions; the renderers only format it. States, guards, actions, invoked actors
 * and named delays appear under their names from `setup()`; code (input mappers, params, combined
 * guards) is replaced by names, since JSON cannot carry code.
 */
import type { AnyStateMachine } from 'xstate';

type AnyNode = AnyStateMachine['root'];

/** One arrow out of a state. `target` is `undefined` for a root-level event without a target. */
interface Edge {
  target: AnyNode | undefined;
  label: string;
  /** Declared on the root (such as `CANCEL`) and drawn from every non-final state. */
  fromRoot: boolean;
}

/** A state with its invoked actors, its outgoing arrows and its child states. */
interface StateView {
  node: AnyNode;
  invokes: string[];
  edges: Edge[];
  children: StateView[];
}

/** `xstate.done.actor.runCliTurn` → `done: runCliTurn`; `xstate.after.attemptTimeout.…` → `after attemptTimeout`. */
function eventLabel(eventType: string): string {
  if (eventType === '') return 'always';
  const done = /^xstate\.done\.actor\.(.+)$/.exec(eventType);
  if (done) return `done: ${done[1]}`;
  const error = /^xstate\.error\.actor\.(.+)$/.exec(eventType);
  if (error) return `error: ${error[1]}`;
  const after = /^xstate\.after\.([^.]+)\./.exec(eventType);
  if (after) return `after ${after[1]}`;
  return eventType;
}

/**
 * A guard's name; combined guards are spelled out (`a and not b`, a nested `and` / `or` in
 * parentheses), `{ type, params }` is its type.
 */
function guardName(guard: unknown): string | undefined {
  if (guard === undefined) return undefined;
  if (typeof guard === 'string') return guard;
  const combined = guard as { name?: string; guards?: unknown };
  if (typeof guard === 'function' && Array.isArray(combined.guards)) {
    const parts = combined.guards.map((inner) => {
      const name = guardName(inner) ?? 'guard';
      return / (and|or) /.test(name) ? `(${name})` : name;
    });
    if (combined.name === 'not') return `not ${parts.join(', ')}`;
    return parts.join({ and: ' and ', or: ' or ' }[combined.name ?? ''] ?? ', ');
  }
  if (typeof guard === 'object' && guard !== null && 'type' in guard) return String((guard as { type: unknown }).type);
  return 'guard';
}

/** The single walk: every state below `node`, its invokes, its transitions and the root-level events. */
function walk(node: AnyNode, root: AnyNode): StateView[] {
  return (Object.values(node.states) as AnyNode[]).map((child) => {
    const edges: Edge[] = [];
    for (const transition of [...[...child.transitions.values()].flat(), ...(child.always ?? [])]) {
      const guard = guardName(transition.guard);
      const label = `${eventLabel(transition.eventType)}${guard ? ` [${guard}]` : ''}`;
      // A targetless transition (actions only) is drawn as a loop on its state.
      for (const target of (transition.target ?? [child]) as AnyNode[]) edges.push({ target, label, fromRoot: false });
    }
    if (child.type !== 'final') {
      for (const [eventType, [transition]] of root.transitions.entries()) {
        edges.push({ target: transition?.target?.[0] as AnyNode | undefined, label: eventType, fromRoot: true });
      }
    }
    const invokes = child.invoke.map((invoke) => `invoke ${typeof invoke.src === 'string' ? invoke.src : invoke.id}`);
    return { node: child, invokes, edges, children: walk(child, root) };
  });
}

function alias(node: AnyNode): string {
  return node.id.replace(/[^A-Za-z0-9]/g, '_');
}

function mermaidLines(parent: AnyNode, views: StateView[], depth: number, root: AnyNode, lines: string[]): void {
  const pad = '  '.repeat(depth);
  for (const { node, invokes, children } of views) {
    lines.push(`${pad}state "${node.key}" as ${alias(node)}`);
    if (node.description) lines.push(`${pad}${alias(node)} : ${node.description.replace(/:/g, '')}`);
    for (const invoke of invokes) lines.push(`${pad}${alias(node)} : ${invoke}`);
    if (children.length > 0) {
      lines.push(`${pad}state ${alias(node)} {`);
      mermaidLines(node, children, depth + 1, root, lines);
      lines.push(`${pad}}`);
    }
  }
  const initial = parent.initial?.target?.[0] as AnyNode | undefined;
  if (initial) lines.push(`${pad}[*] --> ${alias(initial)}`);
  for (const { node, edges } of views) {
    if (node.type === 'final') lines.push(`${pad}${alias(node)} --> [*]`);
    for (const edge of edges) lines.push(`${pad}${alias(node)} --> ${alias(edge.target ?? root)} : ${edge.label}`);
  }
}

/**
 * Render a machine as Mermaid `stateDiagram-v2`. Transitions declared on the root (such as
 * `CANCEL`) are drawn from every non-final state, which is what they mean.
 */
export function toMermaid(machine: AnyStateMachine): string {
  const root = machine.root as AnyNode;
  const lines = ['stateDiagram-v2', `  %% ${machine.id}: generated from src/machines by \`npm run visualize\`; do not edit`];
  mermaidLines(root, walk(root, root), 1, root, lines);
  return `${lines.join('\n')}\n`;
}

function quote(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** Graphviz DOT of a machine's top-level states: boxes (finals double-bordered) listing their invokes; root-level events dashed. */
export function toDot(machine: AnyStateMachine): string {
  const root = machine.root as AnyNode;
  const views = walk(root, root);
  const lines = [
    `digraph ${quote(machine.id)} {`,
    '  rankdir=LR;',
    '  node [shape=box, style=rounded, fontname="Helvetica"];',
    '  edge [fontname="Helvetica", fontsize=10];',
    '  start [shape=point];',
  ];
  for (const { node, invokes } of views) {
    const label = [node.key, ...invokes].join('\\n');
    lines.push(`  ${quote(node.key)} [label=${quote(label).replace(/\\\\n/g, '\\n')}${node.type === 'final' ? ', peripheries=2' : ''}];`);
  }
  const initial = root.initial?.target?.[0] as AnyNode | undefined;
  if (initial) lines.push(`  start -> ${quote(initial.key)};`);
  for (const { node, edges } of views) {
    for (const { target, label, fromRoot } of edges) {
      if (target === undefined) continue;
      lines.push(`  ${quote(node.key)} -> ${quote(target.key)} [label=${quote(label)}${fromRoot ? ', style=dashed' : ''}];`);
    }
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

function jsonSafe(value: unknown): unknown {
  if (typeof value === 'function') {
    const name = guardName(value) ?? (value as { name?: string }).name;
    return name ? { type: name } : undefined;
  }
  if (Array.isArray(value)) return value.map(jsonSafe);
  if (typeof value === 'object' && value !== null) {
    const { type, params } = value as { type?: unknown; params?: unknown };
    // `{ type, params: ({ event }) => … }`: the named implementation is what a reader needs.
    if (typeof type === 'string' && typeof params === 'function') return type;
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) {
      if ((key === 'input' || key === 'output' || key === 'context') && typeof inner === 'function') continue;
      const safe = jsonSafe(inner);
      if (safe !== undefined) out[key] = safe;
    }
    return out;
  }
  return value;
}

/** The machine's config as JSON, for the Stately visualizer / Studio. */
export function toStatelyJson(machine: AnyStateMachine): string {
  return `${JSON.stringify(jsonSafe(machine.config), null, 2)}\n`;
}
