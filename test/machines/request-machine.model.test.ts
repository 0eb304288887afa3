/**
 * Model-based test of the request machine: xstate/graph walks every shortest path (transition
 * coverage) and each path is replayed on a live actor whose actors are injected through
 * `machine.provide` as controllable promises that record their inputs, with a simulated clock for
 * the attempt deadline. After every step the live request is compared with a reference model written
 * from the rules (`request-reference.ts`) and checked against the oracle's invariants
 * (`request-oracle.ts`); neither is derived from the machine.
 */
import { EMPTY_CONVERSATION } from '../../src/conversation/types.js';
import { DEFAULT_HISTORY_PROMPT_CHARS } from '../../src/config/session-defaults.js';
import { describe, expect, it } from 'vitest';
import {
  SimulatedClock,
  __unsafe_getAllOwnEventDescriptors,
  createActor,
  fromPromise,
  matchesState,
  waitFor,
  type EventObject,
  type SnapshotFrom,
} from 'xstate';
import { TestModel } from 'xstate/graph';
import { type RequestEvent, requestMachine } from '../../src/machines/request-machine.js';
import type { Attempt, Candidate, RequestInput } from '../../src/machines/types.js';
import { testBackend } from '../support/backends.js';
import { machineTransitions, recordTransitions } from './request-coverage.js';
import { ACTOR, type ActorRole, CLI_FIELD, actorEvent, roleOfEvent } from './request-names.js';
import { brokenRules, type TraceStep } from './request-oracle.js';
import { type Expected, type Invocation, expectedAfter, initialExpected, projectInput } from './request-reference.js';

type Snapshot = SnapshotFrom<typeof requestMachine>;

const TIMEOUT_MS = 30_000;
const backend = testBackend({ id: 'fake-cli' });
const binding = { sessionKey: 'k', backendId: 'fake-cli', cliSessionId: 'stored-1', cwd: '/tmp', createdAt: 1, updatedAt: 1, turns: 1 };
const run = {
  plan: {
    command: 'fake',
    argv: [],
    cwd: '/tmp/run-cwd',
    resume: false,
    sessionIdSent: undefined,
    newSession: true,
    parseMode: 'json' as const,
    noOutputTimeoutMs: 1000,
    stdinChars: 0,
  },
  stdout: '{"result":"hello"}',
  stderr: '',
  exitCode: 0,
  signal: undefined,
  durationMs: 1,
};

const api = {
  id: 'stub-api',
  api: 'anthropic-messages' as const,
  baseUrl: 'http://127.0.0.1:1',
  apiKey: 'k',
  headers: {},
  timeoutMs: undefined,
  models: undefined,
};
const CANDIDATES: Record<string, Candidate> = {
  a: { ref: 'fake-cli/a', provider: 'fake-cli', model: 'a', [CLI_FIELD]: backend },
  b: { ref: 'fake-cli/b', provider: 'fake-cli', model: 'b', [CLI_FIELD]: backend },
  none: { ref: 'nowhere/c', provider: 'nowhere', model: 'c' },
  api: { ref: 'stub-api/m', provider: 'stub-api', model: 'm', api, hadCooldown: true },
  fresh: { ref: 'stub-api/n', provider: 'stub-api', model: 'n', api },
  cooling: { ref: 'stub-api/cool', provider: 'stub-api', model: 'cool', api, skip: { reason: 'rate_limit', detail: 'cooling down' } },
};

/** Candidates by name, the session key, and the pinned number of shortest paths. */
type Scenario = { candidates: Array<keyof typeof CANDIDATES>; sessionKey: string | null; paths: number };

// One CLI candidate (sessions, stale-session retry, persistence, timeout, abort), also one-shot; an
// API candidate with a cooldown to clear falling back to a CLI; an API candidate without one; a
// cooling-down candidate skipped; a cooling-down last candidate; a provider without a backend; two
// CLI candidates. The path counts are pinned: a change to them must be deliberate (update them here).
const SCENARIOS: Scenario[] = [
  { candidates: ['a'], sessionKey: 'k', paths: 107 },
  { candidates: ['a'], sessionKey: null, paths: 95 },
  { candidates: ['api', 'a'], sessionKey: 'k', paths: 333 },
  { candidates: ['fresh'], sessionKey: 'k', paths: 13 },
  { candidates: ['cooling', 'a'], sessionKey: 'k', paths: 107 },
  { candidates: ['a', 'cooling'], sessionKey: 'k', paths: 71 },
  { candidates: ['a', 'none'], sessionKey: 'k', paths: 106 },
  { candidates: ['a', 'b'], sessionKey: 'k', paths: 601 },
];

/** The machine's transitions (see `request-coverage.ts`): pinned, like the path counts. */
const TRANSITION_COUNT = 30;

function input(scenario: Scenario): RequestInput {
  return {
    requestId: 'r1',
    candidates: scenario.candidates.map((name) => CANDIDATES[name]!),
    sessionKey: scenario.sessionKey,
    attemptTimeoutMs: TIMEOUT_MS,
    request: { prompt: 'hi', systemPrompt: undefined, images: [], imagePlaceholders: [], cwd: '/tmp' },
    conversation: EMPTY_CONVERSATION,
    historyChars: DEFAULT_HISTORY_PROMPT_CHARS,
  };
}

const done = (role: ActorRole, output: unknown) => ({ type: actorEvent('done', role), output }) as EventObject;
const error = (role: ActorRole, failure: Record<string, unknown>) => ({ type: actorEvent('error', role), error: failure }) as EventObject;

/** Payload variants per event type: plain objects (Error instances would collide when serialized). */
const eventCases: Record<string, EventObject[]> = {
  [actorEvent('done', 'loadSession')]: [done('loadSession', { binding: undefined }), done('loadSession', { binding })],
  [actorEvent('error', 'loadSession')]: [error('loadSession', { reason: 'unknown', message: 'store failed' })],
  [actorEvent('done', 'callApi')]: [done('callApi', { text: 'from api', sessionId: undefined, usage: { input: 3, output: 2 } })],
  [actorEvent('error', 'callApi')]: [error('callApi', { reason: 'rate_limit', message: '429', retryAfterMs: 2000, status: 429 })],
  [actorEvent('done', 'runCliTurn')]: [done('runCliTurn', run)],
  [actorEvent('error', 'runCliTurn')]: [error('runCliTurn', { reason: 'config', message: 'command not found', exitCode: 127 })],
  [actorEvent('done', 'parseCliOutput')]: [
    done('parseCliOutput', { text: 'hello', sessionId: 's-1', usage: undefined }),
    done('parseCliOutput', { text: 'hello without id', sessionId: undefined, usage: undefined }),
  ],
  [actorEvent('error', 'parseCliOutput')]: [
    error('parseCliOutput', { reason: 'session_expired', message: 'No conversation found' }),
    error('parseCliOutput', { reason: 'rate_limit', message: '429' }),
  ],
  [actorEvent('done', 'recordSuccess')]: [done('recordSuccess', binding)],
  [actorEvent('error', 'recordSuccess')]: [error('recordSuccess', { reason: 'unknown', message: 'store locked' })],
  [actorEvent('done', 'recordFailure')]: [done('recordFailure', undefined)],
  [actorEvent('error', 'recordFailure')]: [error('recordFailure', { reason: 'unknown', message: 'bookkeeping failed' })],
  'cli.retry': [{ type: 'cli.retry', notice: 'api_retry 1/3' } as EventObject],
};

/** What guards read (state value, candidate index, stored session, retry flags) plus the attempt log. */
function key(snapshot: Snapshot): string {
  const { context: c } = snapshot;
  const log = c.attempts.map((a) => a.reason ?? 'ok').join(',');
  return JSON.stringify([
    snapshot.value,
    c.index,
    c.binding !== undefined,
    c.forceNewSession,
    c.sessionRetried,
    c.turn !== undefined,
    c.failure?.reason ?? null,
    c.notices.length > 0,
    log,
  ]);
}

function project(snapshot: Snapshot) {
  const { context: c } = snapshot;
  return {
    value: snapshot.value,
    index: c.index,
    attempts: c.attempts.map((a) => [a.model, a.ok, a.reason ?? null]),
    forceNewSession: c.forceNewSession,
    failure: c.failure?.reason ?? null,
    answered: c.turn?.text ?? null,
  };
}

function model(scenario: Scenario) {
  return new TestModel(requestMachine, {
    input: input(scenario),
    events: (snapshot) =>
      __unsafe_getAllOwnEventDescriptors(snapshot as Snapshot).flatMap((type) => eventCases[type] ?? [{ type }]) as never,
    // Transition coverage: the state left and the event that led into a state are part of the vertex.
    serializeState: (snapshot, event, previous) =>
      key(snapshot as Snapshot) +
      (event && previous && !matchesState((previous as Snapshot).value, (snapshot as Snapshot).value)
        ? ` from ${String((previous as Snapshot).value)} via ${JSON.stringify(event)}`
        : ''),
    stopWhen: (snapshot) => snapshot.status !== 'active',
    stateMatcher: () => true,
  });
}

/** The live request after a step, as the oracle reads it. */
function traceStep(event: EventObject, snapshot: Snapshot, invocations: Invocation[]): TraceStep {
  const { context: c } = snapshot;
  return {
    event,
    state: String(snapshot.value),
    index: c.index,
    attempts: c.attempts,
    persistWarning: c.persistWarning,
    output: snapshot.output as Record<string, unknown> | undefined,
    invocations: [...invocations],
  };
}

/** What the reference model decides, from a live step (durations are the clock's business). */
function observed(step: TraceStep) {
  const timeless = (attempts: unknown) => (attempts as Attempt[] | undefined)?.map(({ durationMs: _, ...attempt }) => attempt);
  return {
    state: step.state,
    index: step.index,
    attempts: timeless(step.attempts),
    invocations: step.invocations,
    persistWarning: step.persistWarning,
    output: step.output === undefined ? undefined : { ...step.output, attempts: timeless(step.output.attempts) },
  };
}

function expectedView(reference: Expected) {
  const { state, index, attempts, invocations, persistWarning, output } = reference;
  return { state, index, attempts, invocations, persistWarning, output };
}

type Path = ReturnType<ReturnType<typeof model>['getShortestPaths']>[number];
type Deferred = { resolve(value: unknown): void; reject(error: unknown): void };

/**
 * Replays `path` on a live actor and checks after every step: the live snapshot agrees with the
 * pure transition function, matches the reference model (state, attempts, every actor input,
 * persist warning, output), and breaks no invariant of the oracle.
 */
async function replay(path: Path, scenario: Scenario, taken: Set<string>) {
  const clock = new SimulatedClock();
  const pending: Partial<Record<ActorRole, Deferred>> = {};
  const invocations: Invocation[] = [];
  const controlled = (role: ActorRole) =>
    fromPromise(({ input }: { input: unknown }) => {
      invocations.push({ role, input: projectInput(role, input) });
      return new Promise((resolve, reject) => (pending[role] = { resolve, reject }));
    });
  const roles = Object.keys(ACTOR) as ActorRole[];
  const machine = requestMachine.provide({ actors: Object.fromEntries(roles.map((role) => [ACTOR[role], controlled(role)])) as never });
  const requestInput = input(scenario);
  const actor = createActor(machine, { input: requestInput, clock, inspect: recordTransitions(taken, 'selecting-model') });
  const execute = (event: EventObject) => {
    const result = roleOfEvent(event.type);
    if (result !== undefined) {
      const deferred = pending[result.role];
      if (!deferred) throw new Error(`no pending actor "${result.role}" for ${event.type}`);
      if (result.kind === 'done') deferred.resolve((event as EventObject & { output: unknown }).output);
      else deferred.reject((event as EventObject & { error: unknown }).error);
    } else if (event.type === 'xstate.init') actor.start();
    else if (event.type.startsWith('xstate.after.attemptTimeout.')) clock.increment(TIMEOUT_MS);
    else actor.send(event as RequestEvent);
  };
  let reference = initialExpected();
  const steps: TraceStep[] = [];
  for (const step of path.steps) {
    execute(step.event);
    const pure = step.state as Snapshot;
    const live = await waitFor(actor, (snapshot) => matchesState(pure.value, snapshot.value) && key(snapshot) === key(pure), {
      timeout: 2_000,
    });
    expect(project(live)).toEqual(project(pure));
    reference = expectedAfter(reference, step.event, requestInput);
    steps.push(traceStep(step.event, live, invocations));
    expect(observed(steps.at(-1)!), `after ${step.event.type}`).toEqual(expectedView(reference));
    expect(brokenRules(requestInput, steps), `after ${step.event.type}`).toEqual([]);
  }
  actor.stop();
}

describe('request machine (model-based, every shortest path, checked by an independent oracle)', () => {
  const taken = new Set<string>();
  for (const scenario of SCENARIOS) {
    const label = `${scenario.candidates.join(' → ')}${scenario.sessionKey === null ? ' (one-shot)' : ''}`;
    const paths = model(scenario).getShortestPaths();
    it(`[${label}] has exactly ${scenario.paths} shortest paths (a change must be deliberate: update the count)`, () => {
      expect(paths.length, label).toBe(scenario.paths);
    });
    for (const path of paths) {
      const name = path.steps
        .map((step) => step.event.type.replace(/^xstate\.(done|error)\.actor\./, '$1:').replace(/^xstate\./, ''))
        .join(' → ');
      it(`[${label}] ${name}`, async () => replay(path, scenario, taken));
    }
  }

  // Runs after the replays above (vitest runs a file's tests in order) and reads what they took.
  it('every transition of the machine is taken by at least one replayed path', () => {
    const all = machineTransitions(requestMachine);
    expect(all).toHaveLength(TRANSITION_COUNT);
    expect(all.filter((transition) => !taken.has(transition))).toEqual([]);
  });

  it('a request without candidates is refused before anything runs', () => {
    const actor = createActor(requestMachine, { input: { ...input(SCENARIOS[0]!), candidates: [] } });
    actor.subscribe({ error: () => undefined });
    actor.start();
    expect(actor.getSnapshot().status).toBe('error');
    expect(String(actor.getSnapshot().error)).toMatch(/at least one candidate/);
  });
});
