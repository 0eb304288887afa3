import { describe, expect, it } from 'vitest';
import { parseCliRun } from '../../../../src/actors/cli/parse/index.js';
import { parseTextOutput } from '../../../../src/actors/cli/parse/text.js';
import { fixtureBackend, fixtureRunById, syntheticRun } from '../../../support/fixtures.js';

const codex = fixtureBackend('codex');
const claude = fixtureBackend('claude');

describe('output: text', () => {
  it('the trimmed stdout is the reply', () => {
    expect(parseCliRun(fixtureRunById('claude/output-text'), claude)).toEqual({
      ok: true,
      turn: { text: 'Hello from the stub.', sessionId: undefined, usage: undefined },
    });
  });

  it('a text-mode turn keeps the session id that was sent (known bug #1)', () => {
    const run = fixtureRunById('codex/session-resume-text');
    expect(run.plan.sessionIdSent).toBe('01a20212-bb19-7962-aceb-76d63669b3de');
    expect(parseCliRun(run, codex)).toMatchObject({
      ok: true,
      turn: { text: 'The word was kiwi.', sessionId: '01a20212-bb19-7962-aceb-76d63669b3de' },
    });
  });

  it('the sent id wins over the id on stderr', () => {
    const parsed = parseTextOutput('hi\n', 'session id: other\n', 'sent');
    expect(parsed.sessionId).toBe('sent');
  });

  it('without a sent id, Codex text mode reads `session id: <id>` from the stderr banner', () => {
    const run = fixtureRunById('codex/output-text');
    expect(run.plan.sessionIdSent).toBeUndefined();
    expect(parseCliRun(run, codex)).toMatchObject({
      ok: true,
      turn: { text: 'Hello from the stub.', sessionId: '01a20214-422d-76c1-8bd0-7af57112cba4' },
    });
  });

  it.each([
    ['codex/output-text-http-401', 'auth', 401],
    ['codex/session-resume-text-http-429', 'rate_limit', 429],
  ] as const)('a failed Codex text-mode run is classified by its last ERROR: line (%s)', (id, reason, status) => {
    const result = parseCliRun(fixtureRunById(id), codex);
    expect(result).toMatchObject({ ok: false, failure: { reason, status, exitCode: 1 } });
    if (!result.ok) expect(result.failure.message).not.toMatch(/Reconnecting/);
  });

  it('the user prompt echoed in the Codex banner is never classified', () => {
    const stderr = 'OpenAI Codex v0.169.0\n--------\nsession id: t-1\n--------\nuser\nwhy am I rate limited? 429 Too Many Requests\n';
    const result = parseCliRun(syntheticRun({ command: 'codex', parseMode: 'text', stderr, exitCode: 1 }), codex);
    expect(result).toMatchObject({
      ok: false,
      failure: { reason: 'unknown', message: 'codex exited with code 1 without an error message' },
    });
  });

  it('an empty stdout with exit 0 is a failure saying the CLI printed no reply', () => {
    const result = parseCliRun(syntheticRun({ parseMode: 'text', stdout: ' \n', sessionIdSent: 'id' }), claude);
    expect(result).toEqual({ ok: false, failure: { reason: 'unknown', message: 'claude printed no reply (exit code 0)', exitCode: 0 } });
  });
});
