import { describe, expect, it } from 'vitest';
import { looksBinary, malformedOutput, parseCliRun } from '../../../../src/actors/cli/parse/index.js';
import { fixtureBackend, syntheticRun } from '../../../support/fixtures.js';

const claude = fixtureBackend('claude');
const codex = fixtureBackend('codex');
const TRUNCATED = '{"type":"result","result":"trunc';

/** `size` bytes of deterministic noise (a linear congruential generator), decoded as the process decodes stdout. */
function binaryStdout(size: number): string {
  const bytes = Buffer.alloc(size);
  let state = 12345;
  for (let i = 0; i < size; i += 1) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    bytes[i] = state >> 16;
  }
  return bytes.toString('utf8');
}

function serverError(message: string): unknown {
  return { ok: false, failure: { reason: 'server_error', message: expect.stringContaining(message), exitCode: 0 } };
}

describe('malformed output of an exit-0 CLI is a server_error failure that falls back, not the answer', () => {
  it.each(['json', 'jsonl'] as const)('a %s result record cut off mid-string is a failure (truncated)', (parseMode) => {
    const result = parseCliRun(syntheticRun({ parseMode, stdout: TRUNCATED }), claude);
    expect(result).toEqual(serverError('claude: malformed output: stdout ends inside a JSON record (truncated)'));
  });

  it.each(['json', 'jsonl'] as const)('64 KB of binary data in %s mode is a failure, not the answer', (parseMode) => {
    const stdout = binaryStdout(64 * 1024);
    expect(looksBinary(stdout)).toBe(true);
    expect(parseCliRun(syntheticRun({ parseMode, stdout }), claude)).toEqual(serverError('stdout is binary data, not text'));
  });

  it.each(['json', 'jsonl'] as const)('%s output that starts as JSON and does not parse is a failure', (parseMode) => {
    const result = parseCliRun(syntheticRun({ parseMode, stdout: '{ result: ok }\n' }), claude);
    expect(result).toEqual(serverError('stdout starts as JSON but does not parse'));
    const array = parseCliRun(syntheticRun({ parseMode, stdout: '[{"result": "a"}, {"res' }), claude);
    expect(array).toMatchObject({ ok: false, failure: { reason: 'server_error' } });
  });

  it('a Codex jsonl stream cut inside its last event fails even after a complete agent message', () => {
    const stdout = [
      '{"type":"thread.started","thread_id":"t-1"}',
      '{"type":"item.completed","item":{"id":"i0","type":"agent_message","text":"Hello."}}',
      '{"type":"turn.completed","usage":{"input_tokens":3,',
    ].join('\n');
    const result = parseCliRun(syntheticRun({ command: 'codex', parseMode: 'jsonl', stdout }), codex);
    expect(result).toEqual(serverError('codex: malformed output: stdout ends inside a JSON record'));
  });

  it('a json record spanning lines must close before the end: pretty-printed and closed is the reply, cut off is a failure', () => {
    const pretty = '{\n  "session_id": "s-1",\n  "response": "Hi there."\n}\n';
    expect(parseCliRun(syntheticRun({ stdout: pretty }), claude)).toMatchObject({ ok: true, turn: { text: 'Hi there.' } });
    const cut = '{\n  "session_id": "s-1",\n  "stats": {"models": {}},\n  "response": "Hi th';
    expect(parseCliRun(syntheticRun({ stdout: cut }), claude)).toMatchObject({ ok: false, failure: { reason: 'server_error' } });
  });
});

describe('what stays accepted and what malformed output does not change', () => {
  it.each(['json', 'jsonl'] as const)(
    'plain text with no JSON is the reply in %s mode (documented), braces and UTF-8 included',
    (parseMode) => {
      const stdout = 'Use a map: { key → value } — déjà vu, 日本語.\n';
      expect(parseCliRun(syntheticRun({ parseMode, stdout }), claude)).toMatchObject({
        ok: true,
        turn: { text: 'Use a map: { key → value } — déjà vu, 日本語.' },
      });
    },
  );

  it('a complete record followed by a plain line stays the reply (jsonl lines that are not records are skipped)', () => {
    const stdout = `${'{"type":"result","is_error":false,"result":"Done.","session_id":"s-2"}'}\n`;
    expect(parseCliRun(syntheticRun({ parseMode: 'jsonl', stdout: `note: warming up\n${stdout}` }), claude)).toMatchObject({
      ok: true,
      turn: { text: 'Done.', sessionId: 's-2' },
    });
  });

  it('malformed stdout does not reclassify a run that failed anyway: the stderr error decides', () => {
    const run = syntheticRun({ stdout: TRUNCATED, stderr: 'Invalid API key · Please run /login', exitCode: 1 });
    expect(parseCliRun(run, claude)).toMatchObject({ ok: false, failure: { reason: 'auth', exitCode: 1 } });
  });

  it('terminal escape sequences of a PTY run are not binary', () => {
    const tty = '\u001b[?25l\u001b[2K\u001b[1G{"type":"result","result":"ok"}\r\n\u001b[?25h';
    expect(looksBinary(tty)).toBe(false);
    expect(malformedOutput(tty, 1, 'rest')).toBeUndefined();
  });
});
