/**
 * The streamed reply on stdout (`src/cli/stream-output.ts`): whatever pieces arrived, stdout ends
 * holding exactly what the non-streamed output prints.
 */
import { describe, expect, it } from 'vitest';
import { ReplyStream, replyOutput } from '../../src/cli/stream-output.js';

function streamed(pieces: string[], text: string, onFirstText?: () => void): string {
  let out = '';
  const reply = new ReplyStream((chunk) => {
    out += chunk;
  }, onFirstText);
  for (const piece of pieces) reply.onText({ text: piece, model: 'x/y' });
  reply.finish(text);
  return out;
}

describe('streamed reply', () => {
  it('non-streamed output is the text with a final newline added only when it has none', () => {
    expect([replyOutput('hi'), replyOutput('hi\n'), replyOutput('')]).toEqual(['hi\n', 'hi\n', '\n']);
  });

  it('the pieces, then the rest of the answer and its final newline, make the non-streamed output byte for byte', () => {
    for (const [pieces, text] of [
      [['The quick ', 'brown fox'], 'The quick brown fox'],
      [['ends with\n'], 'ends with\n'],
      [[], 'a CLI that prints at exit'],
      [['part of '], 'part of the answer'],
    ] as const) {
      expect(streamed([...pieces], text)).toBe(replyOutput(text));
    }
  });

  it('onFirstText runs once, before the first text is written, also when the whole answer comes at the end', () => {
    const calls: string[] = [];
    let out = '';
    const reply = new ReplyStream(
      (chunk) => {
        calls.push(`write:${chunk}`);
        out += chunk;
      },
      () => calls.push('first'),
    );
    reply.onText({ text: 'a', model: 'x/y' });
    reply.onText({ text: 'b', model: 'x/y' });
    reply.finish('ab');
    expect(calls).toEqual(['first', 'write:a', 'write:b', 'write:\n']);
    expect(out).toBe('ab\n');

    const late: string[] = [];
    new ReplyStream(
      () => late.push('write'),
      () => late.push('first'),
    ).finish('whole');
    expect(late).toEqual(['first', 'write']);
  });

  it('an answer that does not start with the streamed text only gets the final newline (printed text cannot be taken back)', () => {
    expect(streamed(['first part'], 'second part')).toBe('first part\n');
  });

  it('after an interrupted stream the partial line is ended; nothing is written when nothing was streamed', () => {
    let out = '';
    const reply = new ReplyStream((chunk) => {
      out += chunk;
    });
    reply.abandon();
    expect(out).toBe('');
    reply.onText({ text: 'half an ans', model: 'x/y' });
    reply.abandon();
    expect(out).toBe('half an ans\n');
  });
});
