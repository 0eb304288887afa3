import { describe, expect, it } from 'vitest';
import { isNoiseLine, readStderr, unwrapRetryNotice } from '../../../../src/actors/cli/parse/stderr.js';
import { readFixtureFile } from '../../../support/fixtures.js';

describe('reading stderr', () => {
  it.each([
    'WARNING: proceeding, even though we could not create PATH aliases: Refusing to create helper binaries under temporary dir "/tmp"',
    'Reading additional input from stdin...',
    'Reading prompt from stdin...',
    '2026-11-22T07:07:23.388937Z ERROR codex_api::endpoint::responses_websocket: failed to connect to Responses WebSocket stage=Unknown',
    'warning: Codex could not find bubblewrap on PATH.',
    'Warning: no stdin data received in 3s, proceeding without it.',
    'Warning: 256-color support not detected.',
    'Ripgrep is not available. Falling back to GrepTool.',
    "[STARTUP] Phase 'cleanup_ops' was started but never ended. Skipping metrics.",
  ])('known noise is never an error line: %s', (line) => {
    expect(isNoiseLine(line)).toBe(true);
    expect(readStderr(`${line}\n`).lines).toEqual([]);
  });

  it("Codex text mode: the last ERROR: line is the error and the banner's session id is read", () => {
    const info = readStderr(readFixtureFile('codex/session-resume-text-http-429.stderr.txt'));
    expect(info.lines).toEqual(['exceeded retry limit, last status: 429 Too Many Requests']);
    expect(info.sessionId).toBe('01a20212-bb19-7962-aceb-76d63669b3de');
  });

  it('clap errors keep the error line and drop tips and usage text', () => {
    const info = readStderr(readFixtureFile('codex/prompt-starts-with-dash.stderr.txt'));
    expect(info.lines).toEqual(["error: unexpected argument '-x' found"]);
  });

  it("Gemini's last JSON object on stderr gives the error, unwrapping the API JSON in its message", () => {
    const info = readStderr(readFixtureFile('gemini/http-403.stderr.txt'));
    expect(info.error).toEqual({ text: 'Permission denied on resource project stub.', status: 403, code: 'PERMISSION_DENIED' });
    const setup = readStderr(readFixtureFile('gemini/no-credentials.stderr.txt'));
    expect(setup.error).toMatchObject({ code: 41, status: undefined });
  });

  it('ANSI colour codes are removed from error lines', () => {
    const info = readStderr(readFixtureFile('gemini/untrusted-folder.stderr.txt'));
    expect(info.lines[0]).toMatch(/^Gemini CLI is not running in a trusted directory\./);
    expect(info.lines[0]).not.toContain('\u001b');
  });

  it('retry notices unwrap to their cause; other texts are kept', () => {
    expect(unwrapRetryNotice('Reconnecting... 2/5 (stream disconnected before completion: boom)')).toBe(
      'stream disconnected before completion: boom',
    );
    expect(unwrapRetryNotice('Reconnecting... waiting for network (Connection failed)')).toBe(
      'Reconnecting... waiting for network (Connection failed)',
    );
  });
});
