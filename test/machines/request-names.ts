/**
 * The request machine's part names as the tests address them, in one place: the keys are the roles,
 * the values the names the machine uses. A rename in `src/machines` is a one-line change here.
 */

/** Invoked actors by role → the machine's actor (and invoke) id. */
export const ACTOR = {
  loadSession: 'loadSession',
  callApi: 'callApi',
  runCliTurn: 'runCliTurn',
  parseCliOutput: 'parseCliOutput',
  recordSuccess: 'recordSuccess',
  recordFailure: 'recordFailure',
} as const;

/** Guards by role → the machine's guard name (shown in transition-coverage labels). */
export const GUARD = {
  isSkipped: 'isSkipped',
  isCliCandidate: 'isCliCandidate',
  isApiCandidate: 'isApiCandidate',
  isSessionCurrent: 'isSessionCurrent',
  isSessionBehind: 'isSessionBehind',
  hasHistory: 'hasHistory',
  isStaleStoredSession: 'isStaleStoredSession',
  hasSuccessToRecord: 'hasSuccessToRecord',
  hasNextCandidate: 'hasNextCandidate',
  hasLastResort: 'hasLastResort',
  isOutputSent: 'isOutputSent',
} as const;

/** The `Candidate` field that holds a CLI candidate's resolved backend. */
export const CLI_FIELD = 'cli' as const;

/** An actor role. */
export type ActorRole = keyof typeof ACTOR;

/** `xstate.done.actor.<id>` / `xstate.error.actor.<id>` of a role. */
export function actorEvent(kind: 'done' | 'error', role: ActorRole): string {
  return `xstate.${kind}.actor.${ACTOR[role]}`;
}

/** The role of an `xstate.(done|error).actor.<id>` event type, or undefined for other events. */
export function roleOfEvent(type: string): { kind: 'done' | 'error'; role: ActorRole } | undefined {
  const match = /^xstate\.(done|error)\.actor\.(.+)$/.exec(type);
  if (!match) return undefined;
  const role = (Object.keys(ACTOR) as ActorRole[]).find((name) => ACTOR[name] === match[2]);
  return role === undefined ? undefined : { kind: match[1] as 'done' | 'error', role };
}
