/**
 * The rule "no fallback after streamed output" on the request machine with the real request actors
 * (`createRequestActors`) and a real cooldown store in a temp folder; the API calls are plain
 * promises, so no process or server runs. Once part of an attempt's answer reached the caller
 * (`AttemptError.outputSent`), its failure ends the request: the next candidate is never called,
 * the attempt is logged, the cooldown is still written, and the output says `interrupted`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createActor, fromPromise, toPromise } from 'xstate';
import { createRequestActors } from '../../src/actors/create-request-actors.js';
import type { RecordFailureInput } from '../../src/actors/types.js';
import type { CallApiInput, Candidate } from '../../src/machines/types.js';
import { DEFAULT_HISTORY_PROMPT_CHARS } from '../../src/config/session-defaults.js';
import { EMPTY_CONVERSATION } from '../../src/conversation/types.js';
import { AttemptError } from '../../src/errors.js';
import { requestMachine } from '../../src/machines/request-machine.js';
import { CooldownStore } from '../../src/store/cooldown-store.js';
import { CANDIDATES } from './request-fixtures.js';

const first: Candidate = { ...CANDIDATES.fresh, ref: 'stub-api/first', model: 'first' };
const second: Candidate = { ...CANDIDATES.fresh, ref: 'stub-api/second', model: 'second' };

let dir: string;
let cooldowns: CooldownStore;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'safetynet-streamed-'));
  cooldowns = new CooldownStore({ location: join(dir, 'state') });
});

afterEach(async () => {
  await cooldowns.close();
  await rm(dir, { recursive: true, force: true });
});

/**
 * Runs one request over `first` then `second`; the first candidate's call rejects with `failure`,
 * the second answers. Resolves with the machine's output, the models called, and the cooldown
 * writes, awaited (the runtime runs them in the background).
 */
async function request(failure: AttemptError, options: { cooldownWriteFails?: boolean } = {}) {
  const called: string[] = [];
  const writes: Promise<unknown>[] = [];
  const actors = createRequestActors({
    sessions: () => Promise.reject(new Error('an API-only request never opens the session store')),
    cooldowns: async () => cooldowns,
    runTurn: () => Promise.reject(new Error('no CLI candidate here')),
    callApi: async (input: CallApiInput) => {
      called.push(input.model);
      if (input.model === first.model) throw failure;
      return { text: 'the whole answer of another model', usage: undefined };
    },
    inBackground: (write) => writes.push(write()),
  });
  // The bookkeeping of the failure itself failing: the machine takes recordFailure's onError branch.
  const failingRecord = fromPromise<void, RecordFailureInput>(() => Promise.reject(new Error('the cooldown store is gone')));
  const provided = options.cooldownWriteFails === true ? { ...actors, recordFailure: failingRecord } : actors;
  const actor = createActor(requestMachine.provide({ actors: provided }), {
    input: {
      requestId: 'r-streamed',
      candidates: [first, second],
      sessionKey: null,
      attemptTimeoutMs: 60_000,
      request: { prompt: 'hi', systemPrompt: undefined, images: [], imagePlaceholders: [], cwd: dir },
      conversation: EMPTY_CONVERSATION,
      historyChars: DEFAULT_HISTORY_PROMPT_CHARS,
    },
  });
  actor.start();
  const output = await toPromise(actor);
  await Promise.all(writes);
  return { output, called };
}

describe('no fallback after streamed output', () => {
  it('a failure after streamed output never falls back, and its cooldown is still written', async () => {
    const broke = new AttemptError('overloaded', 'the stream broke off: overloaded', { status: 529, outputSent: true });
    const { output, called } = await request(broke);

    expect(called).toEqual([first.model]);
    expect(output).toMatchObject({ status: 'failed', interrupted: true, failure: { reason: 'overloaded', outputSent: true } });
    expect(output.attempts).toEqual([
      expect.objectContaining({ model: first.ref, ok: false, reason: 'overloaded', status: 529, outputSent: true }),
    ]);
    const cooling = await cooldowns.read([first.ref]);
    expect(cooling.get(first.ref)).toMatchObject({ reason: 'overloaded' });
  });

  it('the same failure before any output falls back to the next candidate (the rule reads outputSent only)', async () => {
    const { output, called } = await request(new AttemptError('overloaded', 'overloaded', { status: 529 }));

    expect(called).toEqual([first.model, second.model]);
    expect(output).toMatchObject({ status: 'answered', text: 'the whole answer of another model', model: second.ref });
    expect(output).not.toHaveProperty('interrupted');
    expect(output.attempts.map((attempt) => [attempt.model, attempt.ok, attempt.outputSent])).toEqual([
      [first.ref, false, undefined],
      [second.ref, true, undefined],
    ]);
    expect((await cooldowns.read([first.ref])).get(first.ref)).toMatchObject({ reason: 'overloaded' });
  });

  it('a failed cooldown write after streamed output still ends the request without fallback', async () => {
    const broke = new AttemptError('overloaded', 'the stream broke off: overloaded', { status: 529, outputSent: true });
    const { output, called } = await request(broke, { cooldownWriteFails: true });

    expect(called).toEqual([first.model]);
    expect(output).toMatchObject({ status: 'failed', interrupted: true });
  });

  it('a failed cooldown write before any output still falls back to the next candidate', async () => {
    const { output, called } = await request(new AttemptError('overloaded', 'overloaded', { status: 529 }), { cooldownWriteFails: true });

    expect(called).toEqual([first.model, second.model]);
    expect(output).toMatchObject({ status: 'answered', model: second.ref });
  });
});
