import { describe, expect, it } from 'vitest';
import { parseCliRun } from '../../../../src/actors/cli/parse/index.js';
import { parseJsonlOutput } from '../../../../src/actors/cli/parse/jsonl.js';
import { fixtureBackend, fixtureRunById, readFixtureFile, syntheticRun } from '../../../support/fixtures.js';

const codex = fixtureBackend('codex');
const claude = fixtureBackend('claude');

const lines = (...events: unknown[]): string => `${events.map((event) => JSON.stringify(event)).join('\n')}\n`;
const started = { type: 'thread.started', thread_id: 'thread-1' };
const message = (text: string): unknown => ({ type: 'item.completed', item: { id: 'i', type: 'agent_message', text } });
const completed = {
  type: 'turn.completed',
  usage: { input_tokens: 42, cached_input_tokens: 8, cache_write_input_tokens: 0, output_tokens: 7, reasoning_output_tokens: 0 },
};

describe('output: jsonl — Codex exec --json', () => {
  it('the thread id, the agent message and turn.completed usage make the turn', () => {
    const result = parseCliRun(fixtureRunById('codex/session-first'), codex);
    expect(result).toEqual({
      ok: true,
      turn: { text: 'OK, I will remember kiwi.', sessionId: '01a20212-bb19-7962-aceb-76d63669b3de', usage: { input: 42, output: 7 } },
    });
  });

  it('the text is the LAST agent_message; cached_input_tokens is cacheRead', () => {
    const parsed = parseJsonlOutput(lines(started, message('draft'), message('final'), completed), codex);
    expect(parsed.text).toBe('final');
    expect(parsed.usage).toEqual({ input: 42, output: 7, cacheRead: 8 });
  });

  it('the session id is the first thread.started thread_id, also when sessionIdFields omit it', () => {
    const backend = fixtureBackend('codex', { sessionIdFields: [] });
    const parsed = parseJsonlOutput(lines(started, { type: 'thread.started', thread_id: 'thread-2' }, message('x'), completed), backend);
    expect(parsed.sessionId).toBe('thread-1');
  });

  it('an item.completed of type error is a warning, not a failure', () => {
    const stdout = readFixtureFile('codex/success-oneshot.jsonl');
    expect(stdout).toContain('"type":"error"');
    expect(parseCliRun(fixtureRunById('codex/success-oneshot'), codex)).toMatchObject({ ok: true, turn: { text: 'Hello from the stub.' } });
  });

  it('Codex warnings on stderr never make a successful run fail', () => {
    const run = fixtureRunById('codex/success-openai-base-url-config');
    expect(run.stderr).toMatch(/WARNING: proceeding/);
    expect(run.stderr).toMatch(/ERROR codex_api::endpoint::responses_websocket/);
    expect(parseCliRun(run, codex)).toMatchObject({ ok: true, turn: { text: 'Hello from the stub.' } });
  });

  it('turn.failed is a failure even when the exit code is 0', () => {
    const result = parseCliRun(fixtureRunById('codex/http-401', { exitCode: 0 }), codex);
    expect(result).toMatchObject({ ok: false, failure: { reason: 'auth', status: 401, exitCode: 0 } });
    if (!result.ok) expect(result.failure.message).toMatch(/^codex: unexpected status 401 Unauthorized: Incorrect API key provided/);
  });

  it('an agent message without turn.completed still succeeds when no turn failed', () => {
    const result = parseCliRun(
      syntheticRun({ command: 'codex', parseMode: 'jsonl', stdout: lines(started, message('partial but final')) }),
      codex,
    );
    expect(result).toEqual({ ok: true, turn: { text: 'partial but final', sessionId: 'thread-1', usage: undefined } });
  });

  it('a completed turn with no agent message is an empty reply', () => {
    const result = parseCliRun(syntheticRun({ command: 'codex', parseMode: 'jsonl', stdout: lines(started, completed) }), codex);
    expect(result).toMatchObject({ ok: false, failure: { reason: 'unknown', message: 'codex printed no reply (exit code 0)' } });
  });

  it('error lines with no completed turn are the failure; retry notices are unwrapped to their cause', () => {
    const stdout = lines(
      started,
      { type: 'turn.started' },
      { type: 'error', message: 'Reconnecting... 1/5 (unexpected status 429 Too Many Requests: slow down, url: http://x/v1/responses)' },
    );
    const result = parseCliRun(
      syntheticRun({ command: 'codex', parseMode: 'jsonl', stdout, exitCode: undefined, signal: 'SIGTERM' }),
      codex,
    );
    expect(result).toMatchObject({
      ok: false,
      failure: {
        reason: 'rate_limit',
        status: 429,
        signal: 'SIGTERM',
        message: 'codex: unexpected status 429 Too Many Requests: slow down, url: http://x/v1/responses',
      },
    });
  });

  it('"Reconnecting... waiting for network" classifies a killed run as transport', () => {
    expect(parseCliRun(fixtureRunById('codex/connection-refused'), codex)).toMatchObject({
      ok: false,
      failure: { reason: 'transport', signal: 'SIGTERM' },
    });
  });

  it('non-JSON lines (a PTY transcript) are skipped', () => {
    expect(parseCliRun(fixtureRunById('codex/prompt-arg-tty'), codex)).toMatchObject({ ok: true, turn: { text: 'Hello from the stub.' } });
  });

  it('exit 1 with no JSONL at all is classified from stderr (no rollout → session_expired)', () => {
    expect(parseCliRun(fixtureRunById('codex/resume-unknown-thread-json'), codex)).toMatchObject({
      ok: false,
      failure: { reason: 'session_expired', exitCode: 1 },
    });
  });
});

describe('output: jsonl — Claude stream-json --verbose', () => {
  it('the init line gives the session and the result line gives text and usage', () => {
    const result = parseCliRun(fixtureRunById('claude/output-stream-json'), claude);
    expect(result).toEqual({
      ok: true,
      turn: {
        text: 'Hello from the stub.',
        sessionId: '04345bc0-3de2-45bb-abe7-93db6b312ba0',
        usage: { input: 21, output: 7, costUsd: 0.00028 },
      },
    });
  });

  it('a result line ends parsing: later lines are ignored', () => {
    const stdout = `${readFixtureFile('claude/output-stream-json.jsonl')}{"type":"result","is_error":true,"result":"late"}\n`;
    expect(parseCliRun(syntheticRun({ stdout, parseMode: 'jsonl' }), claude)).toMatchObject({
      ok: true,
      turn: { text: 'Hello from the stub.' },
    });
  });

  it('a result with is_error true is a failure classified like Claude json', () => {
    expect(parseCliRun(fixtureRunById('claude/stream-json-http-529'), claude)).toMatchObject({
      ok: false,
      failure: { reason: 'overloaded', status: 529 },
    });
  });

  it.each([
    ['claude/stream-json-http-401', 'auth', 401],
    ['claude/stream-json-http-429', 'rate_limit', 429],
    ['claude/stream-json-http-529', 'overloaded', 529],
    ['claude/stream-json-http-500', 'server_error', 500],
  ] as const)('the last api_retry line classifies a run killed before its result (%s → %s)', (id, reason, status) => {
    const full = readFixtureFile(`${id}.jsonl`);
    const stdout = full
      .split('\n')
      .filter((line) => line.includes('"subtype":"init"') || line.includes('"subtype":"api_retry"'))
      .join('\n');
    const run = syntheticRun({ stdout, parseMode: 'jsonl', exitCode: 143 });
    const result = parseCliRun(run, claude);
    expect(result).toMatchObject({ ok: false, failure: { reason, status, exitCode: 143 } });
    expect(parseJsonlOutput(stdout, claude).sessionId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('the final result wins over api_retry hints', () => {
    const stdout = lines(
      { type: 'system', subtype: 'init', session_id: 's' },
      { type: 'system', subtype: 'api_retry', attempt: 1, error_status: 529, error: 'overloaded' },
      { type: 'result', is_error: true, api_error_status: null, result: 'Request timed out', session_id: 's' },
    );
    expect(parseCliRun(syntheticRun({ stdout, parseMode: 'jsonl', exitCode: 1 }), claude)).toMatchObject({
      ok: false,
      failure: { reason: 'timeout' },
    });
  });
});
