import { describe, expect, it } from 'vitest';
import { chainTurns } from '../../src/conversation/digest.js';
import {
  conversationFromMessages,
  conversationFromTranscript,
  type Exchange,
  exchangeTurns,
  turnsToWrite,
} from '../../src/conversation/exchange.js';
import type { MessageTurn } from '../../src/conversation/messages.js';
import { EMPTY_CONVERSATION } from '../../src/conversation/types.js';
import { exchanges, type Said, transcriptOf } from './helpers.js';

const STORED = exchanges(['q1', 'a1'], ['q2', 'a2']);
const asMessages = (said: readonly Said[]): MessageTurn[] => said.map(([role, text]) => ({ role, text }));

function exchange(overrides: Partial<Exchange> = {}): Exchange {
  return { message: 'q-new', images: [], answer: 'a-new', model: 'claude-cli/opus-4.6', backend: 'cli', requestId: 'req-9', ...overrides };
}

describe('conversationFromMessages: append or replace', () => {
  it('without a stored transcript the messages are the conversation, numbered from 1 and appended after nothing', () => {
    const conversation = conversationFromMessages(asMessages(STORED), undefined, 'req-1');
    expect(conversation.turns.map((turn) => [turn.seq, turn.role, turn.text, turn.requestId])).toEqual([
      [1, 'user', 'q1', 'req-1'],
      [2, 'assistant', 'a1', 'req-1'],
      [3, 'user', 'q2', 'req-1'],
      [4, 'assistant', 'a2', 'req-1'],
    ]);
    expect(conversation.dropped).toBe(0);
    expect(conversation.write).toEqual({ mode: 'append', storedSeq: 0 });
  });

  it('messages that continue the stored transcript are appended after its last turn, with the same digests', () => {
    const stored = transcriptOf(STORED);
    const conversation = conversationFromMessages(asMessages([...STORED, ...exchanges(['q3', 'a3'])]), stored, 'req-5');
    expect(conversation.write).toEqual({ mode: 'append', storedSeq: 4 });
    expect(conversation.turns.slice(0, 4).map((turn) => turn.digest)).toEqual(stored.turns.map((turn) => turn.digest));
  });

  it('messages equal to the stored transcript continue it (nothing new but the exchange)', () => {
    expect(conversationFromMessages(asMessages(STORED), transcriptOf(STORED), 'r').write).toEqual({ mode: 'append', storedSeq: 4 });
  });

  it('messages continue a transcript whose oldest turns were dropped when they carry the whole history', () => {
    const bounded = transcriptOf(STORED, 2);
    expect(conversationFromMessages(asMessages(STORED), bounded, 'r').write).toEqual({ mode: 'append', storedSeq: 4 });
  });

  it('messages that differ from the stored transcript (edited) replace it', () => {
    const edited = exchanges(['q1', 'a1 (edited)'], ['q2', 'a2']);
    expect(conversationFromMessages(asMessages(edited), transcriptOf(STORED), 'r').write).toEqual({ mode: 'replace' });
  });

  it('messages shorter than the stored transcript (truncated) replace it', () => {
    expect(conversationFromMessages(asMessages(STORED.slice(0, 2)), transcriptOf(STORED), 'r').write).toEqual({ mode: 'replace' });
  });

  it('an empty stored transcript is appended to from the start', () => {
    expect(conversationFromMessages(asMessages(STORED), { turns: [], dropped: 0 }, 'r').write).toEqual({ mode: 'append', storedSeq: 0 });
  });

  it('image placeholders of the messages are kept on their turns', () => {
    const images = [{ name: 'image-1', mimeType: 'image/png' }];
    const [first] = conversationFromMessages([{ role: 'user', text: 'look', images }], undefined, 'r').turns;
    expect(first!.images).toEqual(images);
  });
});

describe('conversationFromTranscript', () => {
  it('continues the stored turns, appended after the last one', () => {
    const stored = transcriptOf(STORED, 2);
    expect(conversationFromTranscript(stored)).toEqual({ turns: stored.turns, dropped: 2, write: { mode: 'append', storedSeq: 4 } });
  });
});

describe('exchangeTurns', () => {
  it('the user turn and the answer follow the last turn of the conversation, chained to it', () => {
    const conversation = conversationFromTranscript(transcriptOf(STORED, 2));
    const [user, assistant] = exchangeTurns(conversation, exchange());
    expect([user.seq, assistant.seq]).toEqual([5, 6]);
    const expected = chainTurns(
      [
        { role: 'user', text: 'q-new', requestId: 'req-9', at: 0 },
        { role: 'assistant', text: 'a-new', requestId: 'req-9', at: 0 },
      ],
      conversation.turns.at(-1),
    );
    expect([user.digest, assistant.digest]).toEqual(expected.map((turn) => turn.digest));
  });

  it('the first exchange of a conversation is turns 1 and 2', () => {
    const [user, assistant] = exchangeTurns(EMPTY_CONVERSATION, exchange());
    expect([user.seq, assistant.seq]).toEqual([1, 2]);
  });

  it('the answer names its model and backend; the user turn does not', () => {
    const [user, assistant] = exchangeTurns(EMPTY_CONVERSATION, exchange());
    expect(user).not.toHaveProperty('model');
    expect(user).not.toHaveProperty('backend');
    expect(assistant).toMatchObject({ role: 'assistant', text: 'a-new', model: 'claude-cli/opus-4.6', backend: 'cli', requestId: 'req-9' });
  });

  it('the images of the message go on the user turn as placeholders, and only when there are some', () => {
    const images = [{ name: 'photo.png', mimeType: 'image/png' }];
    expect(exchangeTurns(EMPTY_CONVERSATION, exchange({ images }))[0].images).toEqual(images);
    expect(exchangeTurns(EMPTY_CONVERSATION, exchange())[0]).not.toHaveProperty('images');
  });
});

describe('turnsToWrite', () => {
  it('append after a stored transcript: only the exchange', () => {
    const conversation = conversationFromTranscript(transcriptOf(STORED));
    const pair = exchangeTurns(conversation, exchange());
    expect(turnsToWrite(conversation, pair)).toEqual(pair);
  });

  it('append of messages that continue the transcript: the turns the messages added, then the exchange', () => {
    const conversation = conversationFromMessages(asMessages([...STORED, ...exchanges(['q3', 'a3'])]), transcriptOf(STORED), 'r');
    const pair = exchangeTurns(conversation, exchange());
    expect(turnsToWrite(conversation, pair).map((turn) => turn.seq)).toEqual([5, 6, 7, 8]);
  });

  it('replace: every turn of the messages, then the exchange', () => {
    const edited = exchanges(['q1 (edited)', 'a1']);
    const conversation = conversationFromMessages(asMessages(edited), transcriptOf(STORED), 'r');
    const pair = exchangeTurns(conversation, exchange());
    expect(turnsToWrite(conversation, pair).map((turn) => [turn.seq, turn.text])).toEqual([
      [1, 'q1 (edited)'],
      [2, 'a1'],
      [3, 'q-new'],
      [4, 'a-new'],
    ]);
  });
});
