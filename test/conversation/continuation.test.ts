import { describe, expect, it } from 'vitest';
import { lastSeq, missedTurns, sessionSync, turnAt } from '../../src/conversation/continuation.js';
import type { Transcript } from '../../src/conversation/types.js';
import { exchanges, transcriptOf } from './helpers.js';

const SIX = exchanges(['q1', 'a1'], ['q2', 'a2'], ['q3', 'a3']);
const conversation = transcriptOf(SIX);
const EMPTY: Transcript = { turns: [], dropped: 0 };

/** The binding of a CLI session that has seen the conversation up to `seq` (its digest as stored then). */
function seenUpTo(transcript: Transcript, seq: number) {
  return { seenSeq: seq, seenDigest: turnAt(transcript, seq)?.digest };
}

describe('lastSeq and turnAt', () => {
  it('the last seq counts the dropped turns, also when every turn is kept', () => {
    expect(lastSeq(conversation)).toBe(6);
    expect(lastSeq(transcriptOf(SIX, 4))).toBe(6);
    expect(lastSeq(EMPTY)).toBe(0);
  });

  it('turnAt finds a kept turn by its seq and nothing for a dropped or future one', () => {
    const bounded = transcriptOf(SIX, 2);
    expect(turnAt(bounded, 3)?.text).toBe('q2');
    expect(turnAt(bounded, 2)).toBeUndefined();
    expect(turnAt(bounded, 7)).toBeUndefined();
  });
});

describe('sessionSync', () => {
  it('none: there is no binding', () => {
    expect(sessionSync(undefined, conversation)).toBe('none');
    expect(sessionSync(undefined, EMPTY)).toBe('none');
  });

  it('current: the session has seen the last turn of the conversation', () => {
    expect(sessionSync(seenUpTo(conversation, 6), conversation)).toBe('current');
  });

  it('current: a session that saw nothing of a conversation that has no turns', () => {
    expect(sessionSync({ seenSeq: 0, seenDigest: '' }, EMPTY)).toBe('current');
  });

  it('behind: the session saw an earlier turn that still matches', () => {
    expect(sessionSync(seenUpTo(conversation, 2), conversation)).toBe('behind');
    expect(sessionSync(seenUpTo(conversation, 4), conversation)).toBe('behind');
  });

  it('behind: a session that saw nothing of a conversation that has turns', () => {
    expect(sessionSync({ seenSeq: 0, seenDigest: '' }, conversation)).toBe('behind');
  });

  it('behind also when older turns were dropped, as long as the turn it saw is kept', () => {
    const bounded = transcriptOf(SIX, 2);
    expect(sessionSync(seenUpTo(conversation, 4), bounded)).toBe('behind');
  });

  it('diverged: the conversation differs at or before the turn the session saw last', () => {
    const edited = transcriptOf(exchanges(['q1 (edited)', 'a1'], ['q2', 'a2'], ['q3', 'a3']));
    expect(sessionSync(seenUpTo(conversation, 4), edited)).toBe('diverged');
  });

  it('diverged: the turn the session saw last was dropped by the bounds', () => {
    const bounded = transcriptOf(SIX, 4);
    expect(sessionSync(seenUpTo(conversation, 2), bounded)).toBe('diverged');
  });

  it('diverged: the dropped turn cannot be vouched for even when the binding has no digest', () => {
    const bounded = transcriptOf(SIX, 4);
    expect(sessionSync({ seenSeq: 2 }, bounded)).toBe('diverged');
  });

  it('diverged: the session saw more turns than the conversation has', () => {
    const shorter = transcriptOf(SIX.slice(0, 4));
    expect(sessionSync(seenUpTo(conversation, 6), shorter)).toBe('diverged');
    expect(sessionSync(seenUpTo(conversation, 2), EMPTY)).toBe('diverged');
  });

  it('a legacy binding without seenSeq is current on a conversation without turns, else diverged', () => {
    expect(sessionSync({}, EMPTY)).toBe('current');
    expect(sessionSync({}, conversation)).toBe('diverged');
  });
});

describe('missedTurns', () => {
  it('a session behind missed exactly the turns after the one it saw', () => {
    expect(missedTurns(seenUpTo(conversation, 4), conversation).map((turn) => turn.seq)).toEqual([5, 6]);
  });

  it('a current session missed nothing', () => {
    expect(missedTurns(seenUpTo(conversation, 6), conversation)).toEqual([]);
  });

  it('without a binding every kept turn is missed', () => {
    expect(missedTurns(undefined, conversation)).toEqual(conversation.turns);
    expect(missedTurns(undefined, transcriptOf(SIX, 2)).map((turn) => turn.seq)).toEqual([3, 4, 5, 6]);
  });

  it('a session that saw nothing missed every turn', () => {
    expect(missedTurns({ seenSeq: 0, seenDigest: '' }, conversation)).toEqual(conversation.turns);
  });

  it('a legacy binding without seenSeq is taken as having seen everything (sessionSync reports it diverged)', () => {
    expect(missedTurns({}, conversation)).toEqual([]);
  });
});
