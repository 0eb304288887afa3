import { describe, expect, it } from 'vitest';
import { parseCliRun } from '../../../../src/actors/cli/parse/index.js';
import { parseJsonOutput } from '../../../../src/actors/cli/parse/json.js';
import { scanJsonObjects } from '../../../../src/actors/cli/parse/records.js';
import { fixtureBackend, fixtureRunById, readFixtureFile, syntheticRun } from '../../../support/fixtures.js';

const claude = fixtureBackend('claude');
const gemini = fixtureBackend('gemini');

const claudeResult = (fields: Record<string, unknown>): string =>
  `${JSON.stringify({ type: 'result', subtype: 'success', is_error: false, api_error_status: null, result: 'Hi.', session_id: 's-1', ...fields })}\n`;

describe('output: json (Claude, Gemini, generic)', () => {
  it('a Claude success result gives its text, session id, token usage and cost', () => {
    const result = parseCliRun(fixtureRunById('claude/session-first'), claude);
    expect(result).toEqual({
      ok: true,
      turn: {
        text: 'OK, I will remember kiwi.',
        sessionId: '6f1c2a9e-3b4d-4c5e-9f60-7a8b9c0d1e2f',
        usage: { input: 21, output: 7, costUsd: 0.00016800000000000002 },
      },
    });
  });

  it('a Claude result with is_error true is a failure even when the exit code is 0', () => {
    const result = parseCliRun(fixtureRunById('claude/http-429-max-retries-2', { exitCode: 0 }), claude);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.failure).toMatchObject({ reason: 'rate_limit', status: 429, exitCode: 0 });
    expect(result.failure.message).toMatch(/^claude: API Error: Request rejected \(429\) · /);
  });

  it('an is_error result is classified by api_error_status before its result text', () => {
    const stdout = claudeResult({ is_error: true, api_error_status: 529, result: 'Request timed out' });
    const result = parseCliRun(syntheticRun({ stdout, exitCode: 1 }), claude);
    expect(result).toMatchObject({ ok: false, failure: { reason: 'overloaded', status: 529 } });
  });

  it.each([
    ['claude/no-credentials', 'auth'],
    ['claude/hang-api-timeout-5s', 'timeout'],
    ['claude/connection-refused', 'transport'],
    ['claude/malformed-json-200', 'server_error'],
  ] as const)('an is_error result with api_error_status null is classified by its result text (%s → %s)', (id, reason) => {
    const result = parseCliRun(fixtureRunById(id), claude);
    expect(result).toMatchObject({ ok: false, failure: { reason, exitCode: 1 } });
    if (!result.ok) expect(result.failure.status).toBeUndefined();
  });

  it('an is_error result without a result string is classified from its errors[] (known bug #3)', () => {
    const stdout = claudeResult({
      is_error: true,
      subtype: 'error_during_execution',
      result: null,
      errors: ['No conversation found with session ID: abc'],
    });
    const result = parseCliRun(syntheticRun({ stdout, exitCode: 1 }), claude);
    expect(result).toMatchObject({
      ok: false,
      failure: { reason: 'session_expired', message: 'claude: No conversation found with session ID: abc' },
    });
  });

  it('JSON objects embedded in mixed output are found (a PTY transcript with escape codes)', () => {
    const result = parseCliRun(fixtureRunById('claude/prompt-arg-tty'), claude);
    expect(result).toMatchObject({ ok: true, turn: { text: 'Hello from the stub.', sessionId: '3b4682d2-c9a6-409c-bc25-fe0494febb2a' } });
  });

  it('several top-level objects between banner lines: later records override the session id, the last text wins', () => {
    const stdout = 'Banner v1 {not json}\n{"session_id":"first","message":"one"} {"session_id":"second","response":"two"}\ntrailer';
    const parsed = parseJsonOutput(stdout, claude);
    expect(parsed.sessionId).toBe('second');
    expect(parsed.text).toBe('two');
    expect(parsed.plainLines).toEqual(['Banner v1 {not json}', 'trailer']);
  });

  it('the session id is the first non-empty string among the backend sessionIdFields, in order', () => {
    const backend = fixtureBackend('claude', { sessionIdFields: ['conversation_id', 'session_id'] });
    const parsed = parseJsonOutput('{"session_id":"s","conversation_id":"","text":"x"}', backend);
    expect(parsed.sessionId).toBe('s');
    expect(parseJsonOutput('{"session_id":"s","conversation_id":"c","text":"x"}', backend).sessionId).toBe('c');
  });

  it('text comes from result, response, message, content or text; nested content blocks are read', () => {
    expect(parseJsonOutput('{"message":{"content":[{"type":"text","text":"a"},{"type":"tool_use","id":"t"}]}}', claude).text).toBe('a');
    expect(parseJsonOutput('{"content":"  padded  "}', claude).text).toBe('padded');
    expect(parseJsonOutput('{"text":"plain"}', claude).text).toBe('plain');
  });

  it('usage numbers are kept only when > 0, and a turn without any has no usage', () => {
    const stdout = claudeResult({
      total_cost_usd: 0,
      usage: { input_tokens: 0, output_tokens: 3, cache_read_input_tokens: 5, cache_creation_input_tokens: 0 },
    });
    const result = parseCliRun(syntheticRun({ stdout }), claude);
    expect(result).toMatchObject({ ok: true, turn: { usage: { output: 3, cacheRead: 5 } } });
    if (result.ok) expect(Object.keys(result.turn.usage ?? {})).toEqual(['output', 'cacheRead']);
    const none = parseCliRun(syntheticRun({ stdout: claudeResult({ usage: { input_tokens: 0 } }) }), claude);
    expect(none).toMatchObject({ ok: true, turn: { usage: undefined } });
  });

  it('Gemini: the pretty-printed object gives response, session_id and usage summed from stats', () => {
    const result = parseCliRun(fixtureRunById('gemini/success-oneshot'), gemini);
    expect(result).toEqual({
      ok: true,
      turn: {
        text: 'Hello from the stub.',
        sessionId: 'ed39fc92-c3f4-4990-8e5d-66c95d27b854',
        usage: { input: 84, output: 14, total: 98 },
      },
    });
  });

  it.each([
    ['gemini/http-400-bad-key', 'auth', 400, 'gemini: API key not valid. Please pass a valid API key.'],
    ['gemini/http-401', 'auth', 401, undefined],
    ['gemini/no-credentials', 'auth', undefined, undefined],
    ['gemini/settings-without-auth-type', 'config', undefined, 'gemini: Invalid auth method selected.'],
  ] as const)("Gemini's failure object on stderr is read: error.code, then its embedded API error (%s)", (id, reason, status, message) => {
    const result = parseCliRun(fixtureRunById(id), gemini);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.failure.reason).toBe(reason);
    expect(result.failure.status).toBe(status);
    if (message !== undefined) expect(result.failure.message).toBe(message);
  });

  it('stdout that holds no JSON at all is the reply (the text behaviour)', () => {
    const result = parseCliRun(syntheticRun({ stdout: '  Just text.\n', sessionIdSent: 'sent-id' }), claude);
    expect(result).toEqual({ ok: true, turn: { text: 'Just text.', sessionId: 'sent-id', usage: undefined } });
  });

  it('a JSON error record is a failure even with exit code 0', () => {
    const result = parseCliRun(
      syntheticRun({ stdout: '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}' }),
      claude,
    );
    expect(result).toMatchObject({ ok: false, failure: { reason: 'overloaded', message: 'claude: Overloaded' } });
  });
});

describe('scanning JSON objects in mixed text', () => {
  it('skips balanced blocks that are not JSON and still finds objects nested in them', () => {
    const stderr = readFixtureFile('gemini/http-400-bad-key.stderr.txt');
    const { records } = scanJsonObjects(stderr);
    expect(records.at(-1)).toMatchObject({ session_id: 'f13c4fe7-9563-4d39-a6fa-b9671066f303', error: { code: 400 } });
  });

  it('ignores braces inside JSON strings and unbalanced trailing text', () => {
    const { records, rest } = scanJsonObjects('x {"a":"}{"} y {"b":1} {unclosed "');
    expect(records).toEqual([{ a: '}{' }, { b: 1 }]);
    expect(rest).toBe('x  y  {unclosed "');
  });
});
