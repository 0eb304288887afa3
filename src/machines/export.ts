/**
 * Machine exports for tools: Graphviz DOT (rendered to SVG by `npm run visualize`) and a JSON
 * config for the Stately visualizer / Studio ("Import from code": paste
 * `createMachine(<contents of visualizations/request.json>)`). Named implementations appear as
 * their names; functions (input mappers, combined guards) are replaced by their names, since
 * JSON cannot carry code.
 */
import type { AnyStateMachine } from 'xstate';
import { eventLabel, guardName } from './diagram.js';

type AnyNode = AnyStateMachine['root'];

function quote(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** Graphviz DOT of a machine: states as boxes (finals double-bordered), invokes listed in the box. */
export function toDot(machine: AnyStateMachine): string {
  const lines = [
    `digraph ${quote(machine.id)} {`,
    '  rankdir=LR;',
    '  node [shape=box, style=rounded, fontname="Helvetica"];',
    '  edge [fontname="Helvetica", fontsize=10];',
    '  start [shape=point];',
  ];
  const root = machine.root as AnyNode;
  const children = Object.values(root.states) as AnyNode[];
  for (const child of children) {
    const invokes = child.invoke.map((invoke) => `invoke ${typeof invoke.src === 'string' ? invoke.src : invoke.id}`);
    const label = [child.key, ...invokes].join('\\n');
    lines.push(`  ${quote(child.key)} [label=${quote(label).replace(/\\\\n/g, '\\n')}${child.type === 'final' ? ', peripheries=2' : ''}];`);
  }
  const initial = root.initial?.target?.[0] as AnyNode | undefined;
  if (initial) lines.push(`  start -> ${quote(initial.key)};`);
  const rootEvents = [...root.transitions.entries()];
  for (const child of children) {
    const transitions = [...[...child.transitions.values()].flat(), ...(child.always ?? [])];
    for (const transition of transitions) {
      const guard = guardName(transition.guard);
      const label = `${eventLabel(transition.eventType)}${guard ? ` [${guard}]` : ''}`;
      for (const target of (transition.target ?? [child]) as AnyNode[])
        lines.push(`  ${quote(child.key)} -> ${quote(target.key)} [label=${quote(label)}];`);
    }
    if (child.type !== 'final') {
      for (const [eventType, [transition]] of rootEvents) {
        const target = transition?.target?.[0] as AnyNode | undefined;
        if (target) lines.push(`  ${quote(child.key)} -> ${quote(target.key)} [label=${quote(eventType)}, style=dashed];`);
      }
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
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) {
      if (key === 'input' || key === 'output' || key === 'context') {
        if (typeof inner === 'function') continue;
      }
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
