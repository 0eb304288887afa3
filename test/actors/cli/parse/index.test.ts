import { describe, expect, it } from 'vitest';
import { cliLabel, parseCliRun } from '../../../../src/actors/cli/parse/index.js';
import { fixtureBackend, fixtureRunById, syntheticRun } from '../../../support/fixtures.js';

const claude = fixtureBackend('claude');
const codex = fixtureBackend('codex');
const success = '{"type":"result","is_error":false,"result":"  Hello.  \\n","session_id":"s-1"}';

describe('parseCliRun: success needs exit 0, no signal, no reported failure and a reply', () => {
  it('the reply text is trimmed', () => {
    expect(parseCliRun(syntheticRun({ stdout: success }), claude)).toEqual({
      ok: true,
      turn: { text: 'Hello.', sessionId: 's-1', usage: undefined },
    });
  });

  it('a non-zero exit is a failure even when stdout holds a reply', () => {
    const result = parseCliRun(syntheticRun({ stdout: success, exitCode: 1 }), claude);
    expect(result).toEqual({
      ok: false,
      failure: { reason: 'unknown', message: 'claude exited with code 1 without an error message', exitCode: 1 },
    });
  });

  it('a signal is a failure even when stdout holds a reply', () => {
    const result = parseCliRun(syntheticRun({ stdout: success, exitCode: undefined, signal: 'SIGTERM' }), claude);
    expect(result).toEqual({
      ok: false,
      failure: { reason: 'unknown', message: 'claude was killed by SIGTERM before it printed a reply', signal: 'SIGTERM' },
    });
  });

  it('an exit code 0 with no reply is an unknown failure saying the CLI printed no reply', () => {
    const result = parseCliRun(fixtureRunById('gemini/hang'), fixtureBackend('gemini'));
    expect(result).toEqual({ ok: false, failure: { reason: 'unknown', message: 'gemini printed no reply (exit code 0)', exitCode: 0 } });
  });

  it('the session id falls back to the id that was sent when the output has none', () => {
    const result = parseCliRun(syntheticRun({ stdout: '{"result":"ok"}', sessionIdSent: 'sent-1' }), claude);
    expect(result).toMatchObject({ ok: true, turn: { sessionId: 'sent-1' } });
  });

  it('the parsed session id wins over the id that was sent', () => {
    const result = parseCliRun(syntheticRun({ stdout: success, sessionIdSent: 'sent-1' }), claude);
    expect(result).toMatchObject({ ok: true, turn: { sessionId: 's-1' } });
  });

  it('the parse mode is run.plan.parseMode, not backend.output (resume runs may differ)', () => {
    const run = fixtureRunById('codex/session-resume-text');
    expect(codex.output).toBe('jsonl');
    expect(run.plan.parseMode).toBe('text');
    expect(parseCliRun(run, codex).ok).toBe(true);
  });

  it('stderr noise alone never classifies a failure (real-clis.md §9)', () => {
    const stderr = fixtureRunById('codex/success-openai-base-url-env').stderr;
    expect(stderr).toMatch(/Connection failed: error sending request/);
    const result = parseCliRun(syntheticRun({ command: 'codex', parseMode: 'jsonl', stderr, exitCode: 1 }), codex);
    expect(result).toMatchObject({
      ok: false,
      failure: { reason: 'unknown', message: 'codex exited with code 1 without an error message' },
    });
  });

  it('a CLI-level error printed only on stderr (empty stdout) is classified from that line', () => {
    expect(parseCliRun(fixtureRunById('claude/resume-unknown-session'), claude)).toMatchObject({
      ok: false,
      failure: {
        reason: 'session_expired',
        message: 'claude: No conversation found with session ID: 0b7e1f3c-1d2e-4f5a-8b6c-9d0e1f2a3b4c',
      },
    });
  });
});

describe('cliLabel', () => {
  it('is the basename of the command without a Windows/JS extension', () => {
    expect(cliLabel('/opt/homebrew/bin/claude', 'claude-cli')).toBe('claude');
    expect(cliLabel('C:/tools/codex.exe', 'codex-cli')).toBe('codex');
    expect(cliLabel('', 'my-cli')).toBe('my-cli');
  });
});
