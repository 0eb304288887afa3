/**
 * The one event source of traces, `--verbose` and the inspector: xstate's inspection API.
 * `createActor(machine, { inspect })` delivers `@xstate.actor`, `@xstate.event`,
 * `@xstate.snapshot`, `@xstate.microstep` and `@xstate.action` events; {@link fanOut} hands each of
 * them to several observers.
 */
import type { InspectionEvent, Observer } from 'xstate';

/** What `createActor(…, { inspect })` accepts: an observer or a plain callback. */
export type InspectObserver = Observer<InspectionEvent> | ((event: InspectionEvent) => void);

/**
 * One observer that forwards every inspection event to each of `observers`, in order. A throwing
 * observer is isolated: the others still get the event and the request is never affected.
 *
 * @returns `undefined` when no observer is given, so that `createActor` gets no `inspect` at all.
 */
export function fanOut(observers: ReadonlyArray<InspectObserver | undefined>): Observer<InspectionEvent> | undefined {
  const next = observers.flatMap((observer) => {
    if (observer === undefined) return [];
    if (typeof observer === 'function') return [observer];
    return observer.next === undefined ? [] : [observer.next.bind(observer)];
  });
  if (next.length === 0) return undefined;
  return {
    next(event) {
      for (const deliver of next) {
        try {
          deliver(event);
        } catch {
          // an inspection observer must never break the request or the other observers
        }
      }
    },
  };
}
