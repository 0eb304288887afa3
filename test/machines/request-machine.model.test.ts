/**
 * Model-based test of the request machine: xstate/graph walks every shortest path (transition
 * coverage) and each path is replayed on a live actor whose actors are injected through
 * `machine.provide` as controllable promises, with a simulated clock for the attempt deadline.
 */
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
import { requestMachine } from '../../src/machines/request-machine.js';
import type { RequestInput } from '../../src/machines/types.js';
import { testBackend } from '../support/backends.js';

type Snapshot = SnapshotFrom<typeof requestMachine>;

const TIMEOUT_MS = 30_000;
const cli = testBackend({ id: 'fake-cli' });
const binding = { sessionKey: 'k', backendId: 'fake-cli', cliSessionId: 'stored-1', cwd: '/tmp', createdAt: 1, updatedAt: 1, turns: 1 };
const run = {
  plan: {
    command: 'fake',
    argv: [],
    cwd: '/tmp',
    resume: false,
    sessionIdSent: undefined,
    newSession: true,
    parseMode: 'json' as const,
    noOutputTimeoutMs: 1000,
    stdinChars: 0,
  },
  stdout: '{}',
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
const CANDIDATES = {
  a: { ref: 'fake-cli/a', provider: 'fake-cli', model: 'a', cli },
  b: { ref: 'fake-cli/b', provider: 'fake-cli', model: 'b', cli },
  none: { ref: 'nowhere/c', provider: 'nowhere', model: 'c' },
  api: { ref: 'stub-api/m', provider: 'stub-api', model: 'm', api, hadCooldown: true },
  cooling: {
    ref: 'stub-api/cool',
    provider: 'stub-api',
    model: 'cool',
    api,
    skip: { reason: 'rate_limit' as const, detail: 'cooling down' },
  },
};
type Scenario = Array<keyof typeof CANDIDATES>;

function input(scenario: Scenario): RequestInput {
  return {
    requestId: 'r1',
    candidates: scenario.map((name) => CANDIDATES[name]),
    sessionKey: 'k',
    attemptTimeoutMs: TIMEOUT_MS,
    request: { prompt: 'hi', systemPrompt: undefined, images: [], cwd: '/tmp' },
  };
}

/** Payload variants per event type: plain objects (Error instances would collide when serialized). */
const eventCases: Record<string, EventObject[]> = {
  'xstate.done.actor.loadSession': [
    { type: 'xstate.done.actor.loadSession', output: { binding: undefined } } as EventObject,
    { type: 'xstate.done.actor.loadSession', output: { binding } } as EventObject,
  ],
  'xstate.error.actor.loadSession': [
    { type: 'xstate.error.actor.loadSession', error: { reason: 'unknown', message: 'store failed' } } as EventObject,
  ],
  'xstate.done.actor.callApi': [
    { type: 'xstate.done.actor.callApi', output: { text: 'from api', sessionId: undefined, usage: undefined } } as EventObject,
  ],
  'xstate.error.actor.callApi': [
    { type: 'xstate.error.actor.callApi', error: { reason: 'rate_limit', message: '429', retryAfterMs: 2000 } } as EventObject,
  ],
  'xstate.done.actor.runCliTurn': [{ type: 'xstate.done.actor.runCliTurn', output: run } as EventObject],
  'xstate.error.actor.runCliTurn': [
    { type: 'xstate.error.actor.runCliTurn', error: { reason: 'config', message: 'command not found' } } as EventObject,
  ],
  'xstate.done.actor.parseCliOutput': [
    { type: 'xstate.done.actor.parseCliOutput', output: { text: 'hello', sessionId: 's-1', usage: undefined } } as EventObject,
    { type: 'xstate.done.actor.parseCliOutput', output: { text: 'hello', sessionId: undefined, usage: undefined } } as EventObject,
  ],
  'xstate.error.actor.parseCliOutput': [
    { type: 'xstate.error.actor.parseCliOutput', error: { reason: 'session_expired', message: 'No conversation found' } } as EventObject,
    { type: 'xstate.error.actor.parseCliOutput', error: { reason: 'rate_limit', message: '429' } } as EventObject,
  ],
  'xstate.done.actor.recordSuccess': [{ type: 'xstate.done.actor.recordSuccess', output: binding } as EventObject],
  'xstate.error.actor.recordSuccess': [
    { type: 'xstate.error.actor.recordSuccess', error: { reason: 'unknown', message: 'store locked' } } as EventObject,
  ],
  'xstate.done.actor.recordFailure': [{ type: 'xstate.done.actor.recordFailure', output: undefined } as EventObject],
  'xstate.error.actor.recordFailure': [
    { type: 'xstate.error.actor.recordFailure', error: { reason: 'unknown', message: 'bookkeeping failed' } } as EventObject,
  ],
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

function model(candidates: Scenario) {
  return new TestModel(requestMachine, {
    input: input(candidates),
    events: (snapshot) =>
      __unsafe_getAllOwnEventDescriptors(snapshot as Snapshot).flatMap((type) => eventCases[type] ?? [{ type }]) as never,
    // Transition coverage: the event that led into a state is part of the vertex.
    serializeState: (snapshot, event, previous) =>
      key(snapshot as Snapshot) +
      (event && previous && !matchesState((previous as Snapshot).value, (snapshot as Snapshot).value)
        ? ` via ${JSON.stringify(event)}`
        : ''),
    stopWhen: (snapshot) => snapshot.status !== 'active',
    stateMatcher: () => true,
  });
}

async function replay(path: ReturnType<ReturnType<typeof model>['getShortestPaths']>[number], candidates: Scenario) {
  const clock = new SimulatedClock();
  const pending: Record<string, { resolve(value: unknown): void; reject(error: unknown): void }> = {};
  const controlled = (id: string) => fromPromise(() => new Promise((resolve, reject) => (pending[id] = { resolve, reject })));
  const machine = requestMachine.provide({
    actors: {
      loadSession: controlled('loadSession'),
      callApi: controlled('callApi'),
      runCliTurn: controlled('runCliTurn'),
      parseCliOutput: controlled('parseCliOutput'),
      recordSuccess: controlled('recordSuccess'),
      recordFailure: controlled('recordFailure'),
    } as never,
  });
  const actor = createActor(machine, { input: input(candidates), clock });
  const settle = (type: string, event: EventObject) => {
    const [, kind, , id] = type.split('.');
    const deferred = pending[id!];
    if (!deferred) throw new Error(`no pending actor "${id}" for ${type}`);
    if (kind === 'done') deferred.resolve((event as EventObject & { output: unknown }).output);
    else deferred.reject((event as EventObject & { error: unknown }).error);
  };
  const executors: Record<string, (step: { event: EventObject }) => void> = {
    'xstate.init': () => void actor.start(),
    'xstate.after.attemptTimeout.request.spawning-cli': () => clock.increment(TIMEOUT_MS),
    'xstate.after.attemptTimeout.request.calling-api': () => clock.increment(TIMEOUT_MS),
    CANCEL: () => actor.send({ type: 'CANCEL' }),
    'cli.retry': () => actor.send({ type: 'cli.retry', notice: 'retry' }),
  };
  for (const type of Object.keys(eventCases)) executors[type] = ({ event }) => settle(type, event);
  await path.test({
    events: executors as never,
    states: {
      '*': async (expected) => {
        const live = await waitFor(
          actor,
          (snapshot) => matchesState((expected as Snapshot).value, snapshot.value) && key(snapshot) === key(expected as Snapshot),
          { timeout: 2_000 },
        );
        expect(project(live)).toEqual(project(expected as Snapshot));
      },
    },
  });
  actor.stop();
}

describe('request machine (model-based, every shortest path)', () => {
  // One CLI candidate (sessions, stale-session retry, persistence, timeout, abort); an API candidate
  // (with a cooldown to clear on success) falling back to a CLI; a cooling-down candidate skipped;
  // a cooling-down last candidate; a provider without a backend; two CLI candidates.
  const scenarios: Scenario[] = [['a'], ['api', 'a'], ['cooling', 'a'], ['a', 'cooling'], ['a', 'none'], ['a', 'b']];
  for (const scenario of scenarios) {
    const label = scenario.join(' → ');
    const paths = model(scenario).getShortestPaths();
    it(`[${label}] reaches every vertex and transition (${paths.length} shortest paths)`, () => {
      expect(paths.length).toBeGreaterThan(10);
    });
    for (const path of paths) {
      const name = path.steps
        .map((step) => step.event.type.replace(/^xstate\.(done|error)\.actor\./, '$1:').replace(/^xstate\./, ''))
        .join(' → ');
      it(`[${label}] ${name}`, async () => replay(path, scenario));
    }
  }

  it('a request without candidates is refused before anything runs', () => {
    const actor = createActor(requestMachine, { input: { ...input(['a']), candidates: [] } });
    actor.subscribe({ error: () => undefined });
    actor.start();
    expect(actor.getSnapshot().status).toBe('error');
    expect(String(actor.getSnapshot().error)).toMatch(/at least one candidate/);
  });
});
