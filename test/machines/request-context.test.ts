/**
 * The request machine's context helpers (`src/machines/request-context.ts`) on their own, for the
 * rules the machine never reaches through its guards: the defaults of a failure or skip that was not
 * kept, the refusals of a context the machine cannot be in (a machine bug must throw, naming what is
 * wrong), and each optional field of an attempt-log entry, present exactly when it has a value. The
 * rules reached through the machine are checked by the model-based test.
 */
import { describe, expect, it } from 'vitest';
import type { CliRunOutput } from '../../src/actors/types.js';
import {
  callApiInput,
  currentCandidate,
  failedAttempt,
  keepsCliSession,
  noBackendFailure,
  parseCliOutputInput,
  recordFailureInput,
  recordSuccessInput,
  requestOutput,
  runCliTurnInput,
  skippedAttempt,
  timeoutFailure,
  transcriptCommit,
} from '../../src/machines/request-context.js';
import type { Candidate, RequestContext } from '../../src/machines/types.js';
import { testBackend } from '../support/backends.js';
import { CANDIDATES, contextWith } from './request-fixtures.js';

function context(candidates: Candidate[], fields: Partial<RequestContext> = {}): RequestContext {
  return contextWith({ candidates, attemptStartedAt: performance.now(), ...fields });
}

const run = { plan: { cwd: '/tmp/run-cwd', newSession: true, historyTurns: 0 }, stdout: '{}' } as unknown as CliRunOutput;
const noSessions: Candidate = { ...CANDIDATES.a, cli: testBackend({ id: 'fake-cli', sessionMode: 'none' }) };

describe('a context the machine cannot be in is a machine bug: the helper throws and names it', () => {
  it('an index past the last candidate throws a RangeError naming the index', () => {
    expect(() => currentCandidate(context([CANDIDATES.a], { index: 1 }))).toThrow(
      new RangeError('request machine: no candidate at index 1'),
    );
  });

  it('CLI inputs for an API candidate, and API input for a CLI candidate, throw a TypeError naming the candidate', () => {
    expect(() => runCliTurnInput({ context: context([CANDIDATES.fresh]) })).toThrow(
      new TypeError('request machine: candidate stub-api/n has no CLI backend'),
    );
    expect(() => parseCliOutputInput({ context: context([CANDIDATES.fresh], { run }) })).toThrow(
      new TypeError('request machine: candidate stub-api/n has no CLI backend'),
    );
    expect(() => callApiInput({ context: context([CANDIDATES.a]) })).toThrow(
      new TypeError('request machine: candidate fake-cli/a has no API provider'),
    );
  });

  it('parsing without a CLI run throws a TypeError', () => {
    expect(() => parseCliOutputInput({ context: context([CANDIDATES.a]) })).toThrow(
      new TypeError('request machine: parsing without a CLI run'),
    );
  });
});

describe('a failure or skip that was not kept is recorded as unknown, never dropped', () => {
  it('recordFailure gets reason unknown and "the attempt failed"', () => {
    expect(recordFailureInput({ context: context([CANDIDATES.a]) }).failure).toEqual({ reason: 'unknown', message: 'the attempt failed' });
  });

  it('the failed attempt says unknown, "the attempt failed"', () => {
    expect(failedAttempt(context([CANDIDATES.a]))).toMatchObject({ ok: false, reason: 'unknown', detail: 'the attempt failed' });
  });

  it('a skipped candidate without a skip entry says unknown, "skipped", and carries no retryAfterMs', () => {
    const attempt = skippedAttempt(context([CANDIDATES.a]));
    expect(attempt).toStrictEqual({
      model: 'fake-cli/a',
      backend: 'cli',
      ok: false,
      reason: 'unknown',
      detail: 'skipped',
      skipped: true,
      durationMs: 0,
    });
  });

  it('an attempt logged without a current candidate names the model (none)', () => {
    expect(failedAttempt(context([CANDIDATES.a], { index: 1 }))).toMatchObject({ model: '(none)', backend: 'cli' });
  });
});

describe('an attempt-log entry carries an optional field exactly when it has a value', () => {
  it('a failure without exit code, status, Retry-After or streamed output has none of those keys', () => {
    const attempt = failedAttempt(context([CANDIDATES.fresh], { failure: { reason: 'overloaded', message: 'reset' } }));
    expect(Object.keys(attempt).sort()).toEqual(['backend', 'detail', 'durationMs', 'model', 'ok', 'reason']);
  });

  it('exit code, status and outputSent are copied; a Retry-After is logged as the cooldown clamps it (at least 1 s)', () => {
    const failure = {
      reason: 'rate_limit' as const,
      message: '429',
      exitCode: 1,
      status: 429,
      retryAfterMs: 10,
      outputSent: true as const,
    };
    expect(failedAttempt(context([CANDIDATES.fresh], { failure }))).toMatchObject({
      exitCode: 1,
      status: 429,
      retryAfterMs: 1000,
      outputSent: true,
    });
  });

  it('a CLI attempt that failed before its run has a continuation and no historyTurns key', () => {
    const attempt = failedAttempt(context([CANDIDATES.a], { continuation: 'reseed', failure: { reason: 'config', message: 'x' } }));
    expect(attempt.continuation).toBe('reseed');
    expect('historyTurns' in attempt).toBe(false);
  });
});

describe("an attempt's duration is whole milliseconds since its start, never negative", () => {
  it('started 50 ms ago: at least 50, whole', () => {
    const before = performance.now();
    const { durationMs } = failedAttempt(context([CANDIDATES.fresh], { attemptStartedAt: before - 50 }));
    expect(Number.isInteger(durationMs)).toBe(true);
    expect(durationMs).toBeGreaterThanOrEqual(50);
    expect(durationMs).toBeLessThanOrEqual(Math.ceil(performance.now() - before) + 50);
  });

  it('a start after now (the clock cannot be trusted) counts 0', () => {
    expect(failedAttempt(context([CANDIDATES.fresh], { attemptStartedAt: performance.now() + 60_000 })).durationMs).toBe(0);
  });
});

describe('a CLI session is kept only for a session key, a backend that keeps sessions, and a non-empty id', () => {
  it('kept: session key, sessionMode always, id s-1', () => {
    expect(keepsCliSession(context([CANDIDATES.a]), 's-1')).toBe(true);
  });

  it('not kept: sessionMode none, an empty id, a one-shot request, an API candidate', () => {
    expect(keepsCliSession(context([noSessions]), 's-1')).toBe(false);
    expect(keepsCliSession(context([CANDIDATES.a]), '')).toBe(false);
    expect(keepsCliSession(context([CANDIDATES.a], { sessionKey: null }), 's-1')).toBe(false);
    expect(keepsCliSession(context([CANDIDATES.fresh]), 's-1')).toBe(false);
  });

  it('recordSuccess of a backend with sessionMode none writes the transcript but no session', () => {
    const input = recordSuccessInput({
      context: context([noSessions], { run, turn: { text: 'hello', sessionId: 's-1', usage: undefined } }),
    });
    expect(input.session).toBeUndefined();
    expect(input.transcript?.turns.map((turn) => turn.text)).toEqual(['hi', 'hello']);
  });
});

describe('the transcript is written only for a session key and an answer', () => {
  it('nothing without an answer', () => {
    expect(transcriptCommit(context([CANDIDATES.a]))).toBeUndefined();
  });

  it('nothing for a one-shot request, even with an answer', () => {
    const turn = { text: 'hello', sessionId: undefined, usage: undefined };
    expect(transcriptCommit(context([CANDIDATES.api], { sessionKey: null, turn }))).toBeUndefined();
    expect(recordSuccessInput({ context: context([CANDIDATES.api], { sessionKey: null, turn }) }).transcript).toBeUndefined();
  });
});

describe('the failures the machine makes itself say what to do', () => {
  it('a provider without a backend is config, naming the provider and where to add it', () => {
    expect(noBackendFailure(context([CANDIDATES.none]))).toEqual({
      reason: 'config',
      message:
        '"nowhere" is neither a CLI backend nor an API provider: add it under agents.defaults.cliBackends or models.providers, or use a built-in one (claude-cli, codex-cli, anthropic, openai)',
    });
  });

  it('a timeout names the deadline in ms and its setting', () => {
    expect(timeoutFailure(context([CANDIDATES.a]))).toEqual({
      reason: 'timeout',
      message: 'no answer within 30000 ms (agents.defaults.timeoutSeconds); the CLI was stopped',
    });
  });
});

describe('the output of a final state', () => {
  it('an answer without a session id has cliSessionId null; an API answer says backend api', () => {
    const output = requestOutput({ context: context([CANDIDATES.fresh], { turn: { text: 'a', sessionId: undefined, usage: undefined } }) });
    expect(output).toMatchObject({ status: 'answered', cliSessionId: null, backend: 'api', model: 'stub-api/n' });
  });
});
