import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CliTextStream, streamedAnswer } from '../../../src/actors/cli/stream-text.js';

const FIXTURES = join(import.meta.dirname, '..', '..', '..', '..', 'shared', 'fixtures', 'real-cli');

/** Feed `stdout` in chunks of `size` characters; all pieces in order. */
function streamed(stdout: string, size = 7): string[] {
  const stream = new CliTextStream();
  const pieces: string[] = [];
  for (let i = 0; i < stdout.length; i += size) pieces.push(...stream.feed(stdout.slice(i, i + size)));
  return pieces;
}

const line = (event: unknown): string => `${JSON.stringify(event)}\n`;

describe('CliTextStream: the answer text of a running CLI', () => {
  it("streams the text of real Claude stream-json output (each assistant message's text blocks)", () => {
    const stdout = readFileSync(join(FIXTURES, 'claude', 'output-stream-json.jsonl'), 'utf8');
    expect(streamed(stdout).join('')).toBe('Hello from the stub.');
  });

  it('streams the agent messages of real Codex --json output, and never its error items', () => {
    const stdout = readFileSync(join(FIXTURES, 'codex', 'retry-503-then-ok.jsonl'), 'utf8');
    expect(streamed(stdout).join('')).toBe('Hello after a retry.');
  });

  it('with partial messages, streams the text deltas and does not repeat the complete message', () => {
    const delta = (text: string) =>
      line({ type: 'stream_event', event: { type: 'content_block_delta', delta: { type: 'text_delta', text } } });
    const stdout = [
      line({ type: 'stream_event', event: { type: 'message_start' } }),
      delta('Hel'),
      delta('lo'),
      line({ type: 'assistant', message: { content: [{ type: 'text', text: 'Hello' }] } }),
      line({ type: 'result', result: 'Hello' }),
    ].join('');
    expect(streamed(stdout)).toEqual(['Hel', 'lo']);
  });

  it('separates the messages of one turn by a blank line', () => {
    const message = (text: string) => line({ type: 'item.completed', item: { type: 'agent_message', text } });
    expect(streamed(message('one') + message('two'))).toEqual(['one', '\n\n', 'two']);
  });

  it('ignores lines that are not JSON objects and a last line not yet complete', () => {
    const stream = new CliTextStream();
    expect(stream.feed('warning: plain text\n[1,2]\n{"type":"item.completed","item":{"type":"agent_message","text":"x"}')).toEqual([]);
    expect(stream.feed('}\n')).toEqual(['x']);
  });
});

describe('streamedAnswer: the answer of a streamed CLI turn agrees with what the caller saw', () => {
  it('is the streamed text when it ends with the parsed (last) message', () => {
    expect(streamedAnswer('two', 'one\n\ntwo')).toBe('one\n\ntwo');
  });

  it('is the parsed answer when the streamed text is the same or does not end with it', () => {
    expect(streamedAnswer('two', 'two')).toBe('two');
    expect(streamedAnswer('final answer', 'something else')).toBe('final answer');
  });
});
