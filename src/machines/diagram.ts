/**
 * Diagrams generated from machine definitions (never drawn by hand): Mermaid `stateDiagram-v2`,
 * which code hosts render, built by walking `machine.root`. States, guards, invoked actors and
 * named delays appear under their names from `setup()`.
 */
import type { AnyStateMachine } from 'xstate';

type AnyNode = AnyStateMachine['root'];

function alias(node: AnyNode): string {
  return node.id.replace(/[^A-Za-z0-9]/g, '_');
}

/** `xstate.done.actor.runCliTurn` → `done: runCliTurn`; `xstate.after.attemptTimeout.…` → `after attemptTimeout`. */
export function eventLabel(eventType: string): string {
  if (eventType === '') return 'always';
  const done = /^xstate\.done\.actor\.(.+)$/.exec(eventType);
  if (done) return `done: ${done[1]}`;
  const error = /^xstate\.error\.actor\.(.+)$/.exec(eventType);
  if (error) return `error: ${error[1]}`;
  const after = /^xstate\.after\.([^.]+)\./.exec(eventType);
  if (after) return `after ${after[1]}`;
  return eventType;
}

/** A guard's name; combined guards (`and`, `or`, `not`) are spelled out. */
export function guardName(guard: unknown): string | undefined {
  if (guard === undefined) return undefined;
  if (typeof guard === 'string') return guard;
  const combined = guard as { name?: string; guards?: unknown };
  if (typeof guard === 'function' && Array.isArray(combined.guards)) {
    const joiner = { and: ' and ', or: ' or ', not: 'not ' }[combined.name ?? ''] ?? ', ';
    return combined.guards.map(guardName).join(joiner);
  }
  if (typeof guard === 'object' && guard !== null && 'type' in guard) return String((guard as { type: unknown }).type);
  return 'guard';
}

function transitionsOf(node: AnyNode) {
  const list = [...node.transitions.values()].flat();
  return [...list, ...(node.always ?? [])];
}

function walk(node: AnyNode, depth: number, lines: string[], rootLevel: Set<string>): void {
  const pad = '  '.repeat(depth);
  const children = Object.values(node.states) as AnyNode[];
  for (const child of children) {
    lines.push(`${pad}state "${child.key}" as ${alias(child)}`);
    if (child.description) lines.push(`${pad}${alias(child)} : ${child.description.replace(/:/g, '')}`);
    for (const invoke of child.invoke) {
      lines.push(`${pad}${alias(child)} : invoke ${typeof invoke.src === 'string' ? invoke.src : invoke.id}`);
    }
    if (Object.keys(child.states).length > 0) {
      lines.push(`${pad}state ${alias(child)} {`);
      walk(child, depth + 1, lines, rootLevel);
      lines.push(`${pad}}`);
    }
  }
  const initial = node.initial?.target?.[0] as AnyNode | undefined;
  if (initial) lines.push(`${pad}[*] --> ${alias(initial)}`);
  for (const child of children) {
    if (child.type === 'final') lines.push(`${pad}${alias(child)} --> [*]`);
    for (const transition of transitionsOf(child)) {
      const guard = guardName(transition.guard);
      const label = `${eventLabel(transition.eventType)}${guard ? ` [${guard}]` : ''}`;
      // A targetless transition (actions only) is drawn as a loop on its state.
      for (const target of (transition.target ?? [child]) as AnyNode[]) lines.push(`${pad}${alias(child)} --> ${alias(target)} : ${label}`);
    }
    if (child.type !== 'final') {
      for (const eventType of rootLevel) lines.push(`${pad}${alias(child)} --> ${alias(targetOfRoot(node, eventType))} : ${eventType}`);
    }
  }
}

function targetOfRoot(node: AnyNode, eventType: string): AnyNode {
  let root = node;
  while (root.parent) root = root.parent;
  const transition = root.transitions.get(eventType)?.[0];
  return (transition?.target?.[0] ?? root) as AnyNode;
}

/**
 * Render a machine as Mermaid `stateDiagram-v2`. Transitions declared on the root (such as
 * `CANCEL`) are drawn from every non-final state, which is what they mean.
 */
export function toMermaid(machine: AnyStateMachine): string {
  const root = machine.root as AnyNode;
  const rootLevel = new Set([...root.transitions.keys()]);
  const lines = ['stateDiagram-v2', `  %% ${machine.id}: generated from src/machines by \`npm run visualize\`; do not edit`];
  walk(root, 1, lines, rootLevel);
  return `${lines.join('\n')}\n`;
}
