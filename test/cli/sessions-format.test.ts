/**
 * `safetynet sessions` human output never passes control characters of user-provided text (session
 * keys, CLI session ids, models, folders, turn texts) raw to the terminal (issue 13, case 14).
 */
import { describe, expect, it } from 'vitest';
import { formatConversation, formatSessionList, formatSessionShow, sessionView } from '../../src/cli/sessions-format.js';
import type { SessionBinding } from '../../src/store/session-binding.js';
import type { Transcript } from '../../src/conversation/types.js';

const HOSTILE = 'key\u001b[31mred\u001b[0m\nfake row\r\u0007\u009b2J\u202eevil';

function hostileView() {
  const transcript: Transcript = {
    dropped: 0,
    turns: [
      { seq: 1, role: 'user', text: `line one\nline two\u001b]0;title\u0007`, digest: 'a'.repeat(32), requestId: 'r1', at: 1 },
      {
        seq: 2,
        role: 'assistant',
        text: 'answer\tcolumn',
        digest: 'b'.repeat(32),
        requestId: 'r1',
        at: 2,
        model: `fake/m\u001b[2J`,
        backend: 'cli',
      },
    ],
  };
  const binding: SessionBinding = {
    sessionKey: HOSTILE,
    backendId: 'fake',
    cliSessionId: `id\u001b[1m`,
    cwd: '/tmp/a\nb',
    createdAt: 1,
    updatedAt: 2,
    turns: 1,
    model: `fake/m\u001b[2J`,
    seenSeq: 2,
    seenDigest: 'b'.repeat(32),
  };
  return sessionView(HOSTILE, transcript, [binding]);
}

/** C0 and C1 controls and the bidi overrides; `keep` lists the ones a format may print as they are. */
function controlsIn(text: string, keep = '\n'): string[] {
  return [...text].filter((c) => /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/.test(c) && !keep.includes(c));
}

describe('sessions human output', () => {
  it('sessions list escapes control characters in session keys: one line per key, no escape sequence reaches the terminal', () => {
    const out = formatSessionList([hostileView()]);
    expect(controlsIn(out)).toEqual([]);
    expect(out.trimEnd().split('\n')).toHaveLength(2);
    expect(out).toContain('key\\x1b[31mred\\x1b[0m\\nfake row\\r\\x07\\x9b2J\\u202eevil');
  });

  it('sessions show escapes control characters in the key, the CLI session id, the model and the folder', () => {
    const out = formatSessionShow(hostileView());
    expect(controlsIn(out)).toEqual([]);
    expect(out.trimEnd().split('\n')).toHaveLength(3);
    expect(out).toContain('id\\x1b[1m');
    expect(out).toContain('/tmp/a\\nb');
  });

  it('sessions export keeps the lines and tabs of the turns but escapes every other control character', () => {
    const out = formatConversation(hostileView());
    expect(controlsIn(out, '\n\t')).toEqual([]);
    expect(out).toContain('line one\nline two\\x1b]0;title\\x07');
    expect(out).toContain('answer\tcolumn');
    expect(out.split('\n')[0]).toContain('key\\x1b[31m');
  });

  it('--json stays exact: the view keeps the key as stored', () => {
    expect(JSON.parse(JSON.stringify(hostileView())).sessionKey).toBe(HOSTILE);
  });
});
