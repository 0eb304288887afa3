import { describe, expect, it } from 'vitest';
import { planCliTurn } from '../../../src/actors/cli/plan.js';
import type { CliTurnRequest, SessionBinding } from '../../../src/actors/types.js';
import type { ResolvedCliBackend } from '../../../src/config/types.js';
import type { TranscriptTurn } from '../../../src/conversation/types.js';
import { testBackend } from '../../support/backends.js';
import { cliTurnRequest } from './plan-request.js';
import { exchanges, turnsOf } from '../../conversation/helpers.js';

const RESEED_INTRO = 'This is our conversation so far (earlier replies may come from other assistants).';
const CATCH_UP_INTRO = 'These turns of our conversation were answered elsewhere since your last reply.';
const MESSAGE = 'And of Italy?';
const NEW_ID = 'new-session-id';

/** Four earlier turns: q1 a1 q2 a2 (seq 1–4). */
const HISTORY = turnsOf(exchanges(['What is the capital of France?', 'Paris.'], ['And of Spain?', 'Madrid.']));

/** A Claude-like backend: resume with resumeArgs, a new session with --session-id, `--` before the prompt. */
function claudeLike(overrides: Partial<ResolvedCliBackend> = {}): ResolvedCliBackend {
  return testBackend({
    id: 'test-cli',
    command: 'test-cli',
    args: ['-p'],
    resumeArgs: ['-p', '--resume', '{sessionId}'],
    sessionArg: '--session-id',
    promptSeparator: '--',
    ...overrides,
  });
}

/** The binding of a CLI session that has seen the conversation up to `seq`. */
function seenUpTo(seq: number, cliSessionId = 'stored-id'): SessionBinding {
  const seen: TranscriptTurn | undefined = HISTORY[seq - 1];
  return {
    sessionKey: 'demo',
    backendId: 'test-cli',
    cliSessionId,
    cwd: '/sessions/cwd',
    createdAt: 1,
    updatedAt: 2,
    turns: 1,
    seenSeq: seq,
    seenDigest: seen?.digest ?? '',
  };
}

function request(overrides: Partial<CliTurnRequest> = {}, backend = claudeLike()): CliTurnRequest {
  return cliTurnRequest(backend, { prompt: MESSAGE, history: HISTORY, ...overrides });
}

/** The plan of `req`, with `prompt`: what the CLI reads (stdin, else the last argv element). */
function planned(req: CliTurnRequest) {
  const p = planCliTurn(req, { env: {}, newSessionId: () => NEW_ID });
  return { ...p, prompt: p.stdin ?? p.argv.at(-1)! };
}

const plan = (overrides: Partial<CliTurnRequest> = {}, backend = claudeLike()) => planned(request(overrides, backend));

/** The `<turn …>` openers of a prompt, in order. */
const turnTags = (prompt: string) => prompt.match(/<turn seq="\d+" role="\w+"/g) ?? [];

describe('a new session with history is reseeded', () => {
  it('the whole history in a reseed block, then the user message last; continuation reseed, historyTurns 4', () => {
    const p = plan();
    expect([p.newSession, p.continuation, p.historyTurns]).toEqual([true, 'reseed', 4]);
    expect(p.prompt.startsWith(`${RESEED_INTRO} `)).toBe(true);
    expect(p.prompt).toContain('<conversation-history kind="reseed" turns="4" omitted="0">');
    expect(turnTags(p.prompt)).toEqual([
      '<turn seq="1" role="user"',
      '<turn seq="2" role="assistant"',
      '<turn seq="3" role="user"',
      '<turn seq="4" role="assistant"',
    ]);
    expect(p.prompt.endsWith(`</turn>\n</conversation-history>\n\n${MESSAGE}`)).toBe(true);
    expect(p.argv.slice(0, -1)).toEqual(['-p', '--session-id', NEW_ID, '--']);
  });

  it('turns the transcript dropped are named as omitted', () => {
    const p = plan({ history: HISTORY.slice(2), historyDropped: 2 });
    expect(p.prompt).toContain('<conversation-history kind="reseed" turns="2" omitted="2">\n[2 earlier turns are left out]\n<turn seq="3"');
    expect(p.historyTurns).toBe(2);
  });

  it('forceNewSession with a current binding starts a new session reseeded with the whole history', () => {
    const p = plan({ binding: seenUpTo(4), forceNewSession: true });
    expect([p.newSession, p.resume, p.sessionIdSent, p.continuation, p.historyTurns]).toEqual([true, false, NEW_ID, 'reseed', 4]);
    expect(p.prompt).toContain('kind="reseed"');
  });

  it('sessionMode none never continues a stored session: it is reseeded every turn', () => {
    const p = plan({ binding: seenUpTo(4) }, claudeLike({ sessionMode: 'none' }));
    expect([p.newSession, p.continuation, p.historyTurns]).toEqual([true, 'reseed', 4]);
  });

  it('no history and no binding: a new session and the prompt is exactly the message', () => {
    const p = plan({ history: [] });
    expect([p.continuation, p.historyTurns, p.prompt]).toEqual(['new', 0, MESSAGE]);
  });

  it('a request without history (undefined) is a new session with the message only', () => {
    const { history: _history, ...withoutHistory } = request();
    const p = planned(withoutHistory);
    expect([p.continuation, p.historyTurns, p.prompt]).toEqual(['new', 0, MESSAGE]);
  });
});

describe('a resumed session gets only what it missed', () => {
  it('behind: a catch-up block with only the missed turns, then the message; continuation catch-up', () => {
    const p = plan({ binding: seenUpTo(2) });
    expect([p.resume, p.sessionIdSent, p.continuation, p.historyTurns]).toEqual([true, 'stored-id', 'catch-up', 2]);
    expect(p.prompt.startsWith(`${CATCH_UP_INTRO} `)).toBe(true);
    expect(p.prompt).toContain('<conversation-history kind="catch-up" turns="2" omitted="0">');
    expect(turnTags(p.prompt)).toEqual(['<turn seq="3" role="user"', '<turn seq="4" role="assistant"']);
    expect(p.prompt).not.toContain('Paris.');
    expect(p.prompt.endsWith(`</conversation-history>\n\n${MESSAGE}`)).toBe(true);
  });

  it('current: nothing missed, the prompt is exactly the message; continuation resume', () => {
    const p = plan({ binding: seenUpTo(4) });
    expect([p.resume, p.continuation, p.historyTurns]).toEqual([true, 'resume', 0]);
    expect(p.argv).toEqual(['-p', '--resume', 'stored-id', '--', MESSAGE]);
  });

  it('a stored session continued through sessionArg (no resumeArgs) is caught up too', () => {
    const p = plan({ binding: seenUpTo(2) }, claudeLike({ resumeArgs: [] }));
    expect([p.resume, p.newSession, p.sessionIdSent, p.continuation, p.historyTurns]).toEqual([false, false, 'stored-id', 'catch-up', 2]);
  });

  it('a catch-up block counts only the turns the budget left out, not those the session saw', () => {
    const p = plan({ binding: seenUpTo(1), historyDropped: 0, historyChars: 'Madrid.'.length + 'And of Spain?'.length });
    expect(p.prompt).toContain('<conversation-history kind="catch-up" turns="2" omitted="1">\n[1 earlier turn is left out]\n<turn seq="3"');
  });
});

describe('the historyChars budget', () => {
  it('historyChars 0 sends no block: the prompt is exactly the message', () => {
    const p = plan({ historyChars: 0 });
    expect([p.prompt, p.historyTurns]).toEqual([MESSAGE, 0]);
  });

  it('keeps the newest turns; omitted counts the transcript-dropped and the budget-dropped ones', () => {
    const p = plan({ history: HISTORY.slice(1), historyDropped: 1, historyChars: 'And of Spain?'.length + 'Madrid.'.length });
    expect(p.historyTurns).toBe(2);
    expect(p.prompt).toContain('<conversation-history kind="reseed" turns="2" omitted="2">');
    expect(turnTags(p.prompt)).toEqual(['<turn seq="3" role="user"', '<turn seq="4" role="assistant"']);
  });

  it('a newest turn longer than the budget is sent as its tail', () => {
    const p = plan({ historyChars: 4 });
    expect(p.historyTurns).toBe(1);
    expect(p.prompt).toContain('<turn seq="4" role="assistant" model="anthropic/claude-opus-4-6">\n[…] rid.\n</turn>');
  });

  it('the budget defaults to 100 000 characters', () => {
    const long = turnsOf([
      ['user', 'x'.repeat(60_000)],
      ['assistant', 'y'.repeat(60_000)],
    ]);
    const p = plan({ history: long });
    expect(p.historyTurns).toBe(1);
    expect(p.prompt).toContain('omitted="1"');
  });
});

describe('the user message is the last thing the CLI reads', () => {
  const images = [
    { path: '/tmp/a/image-1.png', mimeType: 'image/png' },
    { path: '/tmp/a/image-2.jpg', mimeType: 'image/jpeg' },
  ];

  it('image paths of a backend without imageArg come between the block and the message', () => {
    const p = plan({ images });
    expect(p.prompt.endsWith(`</conversation-history>\n\n/tmp/a/image-1.png\n/tmp/a/image-2.jpg\n\n${MESSAGE}`)).toBe(true);
  });

  it('a backend with imageArg gets the paths as arguments, not in the prompt', () => {
    const p = plan({ images }, claudeLike({ imageArg: '--image' }));
    expect(p.argv).toContain('--image');
    expect(p.prompt).not.toContain('/tmp/a/image-1.png');
    expect(p.prompt.endsWith(`</conversation-history>\n\n${MESSAGE}`)).toBe(true);
  });

  it('in stdin mode the whole prompt goes to stdin, the message last', () => {
    const p = plan({ binding: seenUpTo(2), images: images.slice(0, 1) }, claudeLike({ input: 'stdin' }));
    expect(p.argv).toEqual(['-p', '--resume', 'stored-id']);
    expect(p.stdin?.startsWith(CATCH_UP_INTRO)).toBe(true);
    expect(p.stdin?.endsWith(`</conversation-history>\n\n/tmp/a/image-1.png\n\n${MESSAGE}`)).toBe(true);
  });

  it('a history block that makes the prompt longer than maxPromptArgChars moves the prompt to stdin', () => {
    const p = plan({}, claudeLike({ maxPromptArgChars: 200 }));
    expect(p.argv).toEqual(['-p', '--session-id', NEW_ID]);
    expect(p.stdin?.endsWith(`\n\n${MESSAGE}`)).toBe(true);
  });

  it('a message that quotes the block markup still comes after the block, unescaped', () => {
    const message = 'What does </conversation-history> mean?';
    const p = plan({ prompt: message });
    expect(p.prompt.endsWith(`</conversation-history>\n\n${message}`)).toBe(true);
  });
});
