/**
 * The request machine's actor slots only reject until the runtime provides them
 * (`requestMachine.provide`): an attempt that reaches a slot nobody provided fails (or, for the
 * success bookkeeping, warns) with a message that names the missing actor and how to provide it.
 */
import { describe, expect, it } from 'vitest';
import { createActor, fromPromise, toPromise } from 'xstate';
import { DEFAULT_HISTORY_PROMPT_CHARS } from '../../src/config/session-defaults.js';
import { EMPTY_CONVERSATION } from '../../src/conversation/types.js';
import { requestMachine } from '../../src/machines/request-machine.js';
import type { Candidate, RequestOutput } from '../../src/machines/types.js';
import { CANDIDATES } from './request-fixtures.js';

const missing = (name: string) => `request machine: actor "${name}" was not provided (use requestMachine.provide)`;

const provided = {
  loadSession: fromPromise(async () => ({ binding: undefined })),
  callApi: fromPromise(async () => ({ text: 'from api', sessionId: undefined, usage: undefined })),
  runCliTurn: fromPromise(async () => ({ plan: { cwd: '/tmp', newSession: true, historyTurns: 0 }, stdout: '{}' })),
  recordFailure: fromPromise(async () => undefined),
};

/** Runs one request over `candidate` with only the `given` actors provided; resolves with its output. */
async function run(candidate: Candidate, given: Partial<typeof provided>): Promise<RequestOutput> {
  const actor = createActor(requestMachine.provide({ actors: given as never }), {
    input: {
      requestId: 'r1',
      candidates: [candidate],
      sessionKey: 'k',
      attemptTimeoutMs: 30_000,
      request: { prompt: 'hi', systemPrompt: undefined, images: [], imagePlaceholders: [], cwd: '/tmp' },
      conversation: EMPTY_CONVERSATION,
      historyChars: DEFAULT_HISTORY_PROMPT_CHARS,
    },
  });
  actor.start();
  return toPromise(actor);
}

describe('an actor the runtime did not provide fails its attempt, naming the actor', () => {
  it('loadSession', async () => {
    expect(await run(CANDIDATES.fresh, {})).toMatchObject({ status: 'failed', failure: { message: missing('loadSession') } });
  });

  it('callApi', async () => {
    const { loadSession, recordFailure } = provided;
    expect(await run(CANDIDATES.fresh, { loadSession, recordFailure })).toMatchObject({
      status: 'failed',
      failure: { message: missing('callApi') },
    });
  });

  it('runCliTurn', async () => {
    const { loadSession, recordFailure } = provided;
    expect(await run(CANDIDATES.a, { loadSession, recordFailure })).toMatchObject({
      status: 'failed',
      failure: { message: missing('runCliTurn') },
    });
  });

  it('parseCliOutput', async () => {
    const { loadSession, runCliTurn, recordFailure } = provided;
    expect(await run(CANDIDATES.a, { loadSession, runCliTurn, recordFailure })).toMatchObject({
      status: 'failed',
      failure: { message: missing('parseCliOutput') },
    });
  });

  it('recordSuccess: the answer stands, its persist warning names the actor', async () => {
    const { loadSession, callApi } = provided;
    expect(await run(CANDIDATES.fresh, { loadSession, callApi })).toMatchObject({
      status: 'answered',
      persistWarning: missing('recordSuccess'),
    });
  });
});
