/**
 * Model-based test of the request machine: xstate/graph walks every shortest path (transition
 * coverage) and each path is replayed on a live actor whose actors are injected through
 * `machine.provide` as controllable promises that record their inputs, with a simulated clock for
 * the attempt deadline. After every step the live request is compared with a reference model written
 * from the rules (`request-reference.ts`) and checked against the oracle's invariants
 * (`request-oracle.ts`); neither is derived from the machine.
 */
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
import { ATTEMPT_BACKSTOP_MS, type RequestEvent, requestMachine } from '../../src/machines/request-machine.js';
import type { SessionBinding } from '../../src/actors/types.js';
import type { Attempt, RequestInput } from '../../src/machines/types.js';
import { machineTransitions, recordTransitions } from './request-coverage.js';
import { type BindingName, CANDIDATES, CONVERSATIONS, type ConversationName, eventCases } from './request-fixtures.js';
import { ACTOR, type ActorRole, roleOfEvent } from './request-names.js';
import { coveringPaths } from './request-path-subset.js';
import { brokenRules, type TraceStep } from './request-oracle.js';
import { type Expected, type Invocation, expectedAfter, initialExpected, projectInput } from './request-reference.js';

type Snapshot = SnapshotFrom<typeof requestMachine>;

const TIMEOUT_MS = 30_000;

/**
 * Candidates by name, the session key, the conversation the request continues, the stored CLI
 * sessions `loadSession` may find besides none (with a session key), whether the message carries an
 * image, and the pinned number of shortest paths.
 */
type Scenario = {
  candidates: Array<keyof typeof CANDIDATES>;
  sessionKey: string | null;
  conversation: ConversationName;
  bindings: BindingName[];
  image?: boolean;
  paths: number;
};

// First turns (empty conversation): one CLI candidate (a session stored before transcripts, one that
// saw turns the conversation lacks; stale-session retry, persistence, timeout, abort), also one-shot;
// an API candidate with a cooldown to clear falling back to a CLI; an API candidate without one, with
// a session key (the transcript is written) and one-shot (nothing to record); a cooling-down candidate
// skipped, then tried as the last resort; a cooling-down last candidate; a failing candidate, a cooling one
// and one the config excludes (the last resort tries the cooling one only); a failing candidate and one the
// config excludes (no last resort: the request fails at the skip); a provider without a backend (a binding found for it changes
// nothing); two CLI candidates. Conversations with history: a stored transcript with dropped turns
// and sessions current, behind (a stale retry after a catch-up), edited and dropped; an API candidate
// failing over to a CLI that catches up; `messages` that continue (CLI) or replace (API, with an image)
// the stored transcript. Every scenario also meets failures after streamed output (an API call, a CLI
// parse reporting its stored session unknown: see `request-fixtures.ts`), which end the request.
// The path counts are pinned: a change to them must be deliberate (update them here).
const SCENARIOS: Scenario[] = [
  { candidates: ['a'], sessionKey: 'k', conversation: 'empty', bindings: ['legacy', 'ahead'], paths: 177 },
  { candidates: ['a'], sessionKey: null, conversation: 'empty', bindings: [], paths: 40 },
  { candidates: ['api', 'a'], sessionKey: 'k', conversation: 'empty', bindings: ['latest'], paths: 414 },
  { candidates: ['fresh'], sessionKey: 'k', conversation: 'empty', bindings: [], paths: 17 },
  { candidates: ['fresh'], sessionKey: null, conversation: 'empty', bindings: [], paths: 15 },
  { candidates: ['cooling', 'a'], sessionKey: 'k', conversation: 'empty', bindings: ['legacy'], paths: 188 },
  { candidates: ['a', 'cooling'], sessionKey: 'k', conversation: 'empty', bindings: ['legacy'], paths: 188 },
  { candidates: ['a', 'none'], sessionKey: 'k', conversation: 'empty', bindings: ['legacy'], paths: 138 },
  { candidates: ['a', 'b'], sessionKey: 'k', conversation: 'empty', bindings: ['legacy'], paths: 763 },
  { candidates: ['a'], sessionKey: 'k', conversation: 'history', bindings: ['latest', 'earlier', 'edited', 'dropped'], paths: 220 },
  { candidates: ['api', 'a'], sessionKey: 'k', conversation: 'history', bindings: ['earlier'], paths: 414 },
  { candidates: ['a'], sessionKey: 'k', conversation: 'messages-append', bindings: ['earlier'], paths: 133 },
  { candidates: ['fresh'], sessionKey: 'k', conversation: 'messages-replace', bindings: [], image: true, paths: 17 },
  { candidates: ['fresh', 'cooling', 'excluded'], sessionKey: null, conversation: 'empty', bindings: [], paths: 63 },
  { candidates: ['fresh', 'excluded'], sessionKey: null, conversation: 'empty', bindings: [], paths: 15 },
];

/**
 * Mutation runs (`SAFETYNET_MODEL_PATHS=covering`, set by `stryker.machines.config.mjs`) build each
 * scenario's paths inside one test, so that a killed mutant stops at the first failing scenario
 * without building the others, and replay a covering subset of them (`request-path-subset.ts`).
 */
const COVERING = process.env.SAFETYNET_MODEL_PATHS === 'covering';

/** How many states the graph walk of one scenario may visit (see `model`). */
const TRAVERSAL_LIMIT = 10_000;

/** The machine's transitions (see `request-coverage.ts`): pinned, like the path counts. */
const TRANSITION_COUNT = 36;

function input(scenario: Scenario): RequestInput {
  return {
    requestId: 'r1',
    candidates: scenario.candidates.map((name) => CANDIDATES[name]),
    sessionKey: scenario.sessionKey,
    attemptTimeoutMs: TIMEOUT_MS,
    request: {
      prompt: 'hi',
      systemPrompt: undefined,
      images: scenario.image === true ? [{ path: '/tmp/staged/photo.png', mimeType: 'image/png' }] : [],
      imagePlaceholders: scenario.image === true ? [{ name: 'photo.png', mimeType: 'image/png' }] : [],
      cwd: '/tmp',
    },
    conversation: CONVERSATIONS[scenario.conversation],
    historyChars: DEFAULT_HISTORY_PROMPT_CHARS,
  };
}

/** A step of a test name: the event, and the stored session a `loadSession` found (what it saw last). */
function stepName(event: EventObject): string {
  const type = event.type.replace(/^xstate\.(done|error)\.actor\./, '$1:').replace(/^xstate\./, '');
  const binding = (event as EventObject & { output?: { binding?: SessionBinding } }).output?.binding;
  if (binding === undefined) return type;
  return `${type}(${binding.seenSeq === undefined ? 'binding without seenSeq' : `binding seen ${binding.seenSeq}`})`;
}

/** What guards read (state value, candidate index, stored session, retry flags) plus the attempt log. */
function key(snapshot: Snapshot): string {
  const { context: c } = snapshot;
  const log = c.attempts.map((a) => a.reason ?? 'ok').join(',');
  return JSON.stringify([
    snapshot.value,
    c.index,
    c.binding !== undefined,
    c.continuation ?? null,
    c.forceNewSession,
    c.sessionRetried,
    c.turn?.text ?? null,
    c.failure?.reason ?? null,
    c.failure?.outputSent === true,
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
    continuation: c.continuation ?? null,
    forceNewSession: c.forceNewSession,
    failure: c.failure?.reason ?? null,
    answered: c.turn?.text ?? null,
  };
}

function model(scenario: Scenario) {
  return new TestModel(requestMachine, {
    input: input(scenario),
    events: (snapshot) =>
      __unsafe_getAllOwnEventDescriptors(snapshot as Snapshot).flatMap(
        (type) => eventCases(type, snapshot as Snapshot, scenario.bindings) ?? [{ type }],
      ) as never,
    // Transition coverage: the state left (with the continuation it had, so that a stale-session retry
    // after each continuation is its own vertex) and the event that led into a state are part of the vertex.
    serializeState: (snapshot, event, previous) =>
      key(snapshot as Snapshot) +
      (event && previous && !matchesState((previous as Snapshot).value, (snapshot as Snapshot).value)
        ? ` from ${String((previous as Snapshot).value)}/${(previous as Snapshot).context.continuation} via ${JSON.stringify(event)}`
        : ''),
    stopWhen: (snapshot) => snapshot.status !== 'active',
    // About 7 times the largest scenario's walk: a machine change that makes the state space explode
    // fails here within a second instead of walking until the test times out.
    limit: TRAVERSAL_LIMIT,
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
/**
 * What the replays covered: the machine's transitions, the continuations of CLI attempts (`a → b` when
 * a retry changed it), and the endings of failures after streamed output (see {@link streamedStory}).
 */
type Covered = { transitions: Set<string>; continuations: Set<string>; streamed: Set<string> };

/** The story a step tells about a failure after streamed output, if it tells one. */
function streamedStory(event: EventObject, live: Snapshot, candidates: number): string | undefined {
  const error = (event as EventObject & { error?: { reason?: string; outputSent?: boolean } }).error;
  const c = live.context;
  if (error?.outputSent === true) {
    const stale = error.reason === 'session_expired' && (c.continuation === 'resume' || c.continuation === 'catch-up') && !c.sessionRetried;
    return stale ? 'a stale stored session is not retried' : `${roleOfEvent(event.type)?.role} falls back no further`;
  }
  if (live.value === 'failed' && (live.output as { interrupted?: boolean } | undefined)?.interrupted === true)
    return c.index + 1 < candidates ? 'interrupted with candidates left' : 'interrupted at the last candidate';
  return undefined;
}

/**
 * The attempts whose `durationMs` is not whole milliseconds from the attempt's start: negative, or
 * longer than the replay so far (`sinceReplayBegan`, ms), or not 0 for a skipped candidate.
 */
function badDurations(attempts: readonly Attempt[], sinceReplayBegan: number): Attempt[] {
  return attempts.filter(
    ({ durationMs, skipped }) =>
      !Number.isInteger(durationMs) || durationMs < 0 || durationMs > Math.ceil(sinceReplayBegan) || (skipped === true && durationMs !== 0),
  );
}

async function replay(path: Path, scenario: Scenario, covered: Covered) {
  const began = performance.now();
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
  const actor = createActor(machine, { input: requestInput, clock, inspect: recordTransitions(covered.transitions, 'selecting-model') });
  const execute = (event: EventObject) => {
    const result = roleOfEvent(event.type);
    if (result !== undefined) {
      const deferred = pending[result.role];
      if (!deferred) throw new Error(`no pending actor "${result.role}" for ${event.type}`);
      if (result.kind === 'done') deferred.resolve((event as EventObject & { output: unknown }).output);
      else deferred.reject((event as EventObject & { error: unknown }).error);
    } else if (event.type === 'xstate.init') actor.start();
    else if (event.type.startsWith('xstate.after.attemptTimeout.')) {
      // The backstop fires at the attempt deadline plus ATTEMPT_BACKSTOP_MS, not a millisecond before.
      const before = actor.getSnapshot().value;
      clock.increment(TIMEOUT_MS + ATTEMPT_BACKSTOP_MS - 1);
      expect(actor.getSnapshot().value, 'the attempt backstop fired early').toEqual(before);
      clock.increment(1);
    } else actor.send(event as RequestEvent);
  };
  let reference = initialExpected();
  const steps: TraceStep[] = [];
  let continuationBefore: string | undefined;
  for (const step of path.steps) {
    execute(step.event);
    const pure = step.state as Snapshot;
    const live = await waitFor(actor, (snapshot) => matchesState(pure.value, snapshot.value) && key(snapshot) === key(pure), {
      timeout: 2_000,
    });
    expect(project(live)).toEqual(project(pure));
    const before = steps.at(-1)?.index === live.context.index ? continuationBefore : undefined;
    continuationBefore = live.context.continuation;
    if (continuationBefore !== undefined)
      covered.continuations.add(
        before === undefined || before === continuationBefore ? continuationBefore : `${before} → ${continuationBefore}`,
      );
    const story = streamedStory(step.event, live, requestInput.candidates.length);
    if (story !== undefined) covered.streamed.add(story);
    reference = expectedAfter(reference, step.event, requestInput);
    steps.push(traceStep(step.event, live, invocations));
    expect(observed(steps.at(-1)!), `after ${step.event.type}`).toStrictEqual(expectedView(reference));
    expect(brokenRules(requestInput, steps), `after ${step.event.type}`).toEqual([]);
    expect(badDurations(live.context.attempts, performance.now() - began), `after ${step.event.type}`).toEqual([]);
  }
  actor.stop();
}

describe('request machine (model-based, every shortest path, checked by an independent oracle)', () => {
  const covered: Covered = { transitions: new Set(), continuations: new Set(), streamed: new Set() };
  for (const scenario of SCENARIOS) {
    const label = `${scenario.candidates.join(' → ')}${scenario.sessionKey === null ? ' (one-shot)' : ''}, ${scenario.conversation}${scenario.image === true ? ' + image' : ''}`;
    if (COVERING) {
      it(`[${label}] has exactly ${scenario.paths} shortest paths, and a covering subset of them replays as the oracle expects`, async () => {
        const paths = model(scenario).getShortestPaths();
        expect(paths.length, label).toBe(scenario.paths);
        for (const path of coveringPaths(paths)) await replay(path, scenario, covered);
      });
      continue;
    }
    const paths = model(scenario).getShortestPaths();
    it(`[${label}] has exactly ${scenario.paths} shortest paths (a change must be deliberate: update the count)`, () => {
      expect(paths.length, label).toBe(scenario.paths);
    });
    for (const path of paths) {
      const name = path.steps.map((step) => stepName(step.event)).join(' → ');
      it(`[${label}] ${name}`, async () => replay(path, scenario, covered));
    }
  }

  // Runs after the replays above (vitest runs a file's tests in order) and reads what they took.
  it('every transition of the machine is taken by at least one replayed path', () => {
    const all = machineTransitions(requestMachine);
    expect(all).toHaveLength(TRANSITION_COUNT);
    expect(all.filter((transition) => !covered.transitions.has(transition))).toEqual([]);
  });

  it('every continuation is replayed, and the stale-session retry after a resume and after a catch-up', () => {
    const stories = ['new', 'resume', 'catch-up', 'reseed', 'resume → new', 'resume → reseed', 'catch-up → reseed'];
    expect(stories.filter((story) => !covered.continuations.has(story))).toEqual([]);
  });

  it('a failure after streamed output is replayed from an API call and a CLI parse, with candidates left and at the last one', () => {
    const stories = [
      'callApi falls back no further',
      'parseCliOutput falls back no further',
      'a stale stored session is not retried',
      'interrupted with candidates left',
      'interrupted at the last candidate',
    ];
    expect(stories.filter((story) => !covered.streamed.has(story))).toEqual([]);
  });

  it('a request without candidates is refused before anything runs', () => {
    const actor = createActor(requestMachine, { input: { ...input(SCENARIOS[0]!), candidates: [] } });
    actor.subscribe({ error: () => undefined });
    actor.start();
    expect(actor.getSnapshot().status).toBe('error');
    expect(String(actor.getSnapshot().error)).toMatch(/at least one candidate/);
  });
});
