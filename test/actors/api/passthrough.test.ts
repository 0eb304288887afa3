/**
 * Passthrough API calls (`input.passthrough`): the client's body goes as it is, a tool call alone
 * is an answer, raw events reach the caller only from the first content event on, and failures
 * classify as for every API call.
 */
import { describe, expect, it } from 'vitest';
import { callApi } from '../../../src/actors/api/call-api.js';
import type { PassthroughRequest, PassthroughTurn, RawStreamEvent } from '../../../src/actors/api/types.js';
import { STUB_TOOL_INPUT } from '../../support/stub-server/tool-use.js';
import { attemptError, useApiFixture } from './helpers.js';

const anthropic = useApiFixture('anthropic-messages', 'claude-test');
const chat = useApiFixture('openai-completions', 'gpt-test', '/v1');

const TOOLS_BODY = {
  model: 'safetynet-ref',
  max_tokens: 100,
  tools: [{ name: 'get_weather', input_schema: { type: 'object' } }],
  messages: [{ role: 'user', content: 'weather?' }],
};
const ANTHROPIC: PassthroughRequest = { format: 'anthropic-messages', body: TOOLS_BODY };
const CHAT: PassthroughRequest = {
  format: 'openai-chat',
  body: {
    model: 'safetynet-ref',
    tools: [{ type: 'function', function: { name: 'get_weather' } }],
    messages: [{ role: 'user', content: 'weather?' }],
  },
};

const signal = () => new AbortController().signal;

describe('passthrough: Anthropic Messages', () => {
  it('a tool_use answer with no text is a success carrying the final message', async () => {
    anthropic.stub.setModes(['tooluse']);
    const turn = (await callApi(anthropic.input({ passthrough: ANTHROPIC }), signal())) as PassthroughTurn;
    expect(turn.text).toBe('');
    expect(turn.response).toMatchObject({ model: 'claude-test', stop_reason: 'tool_use', usage: { input_tokens: 30, output_tokens: 12 } });
    expect(turn.response['content']).toEqual([{ type: 'tool_use', id: expect.any(String), name: 'get_weather', input: STUB_TOOL_INPUT }]);
    expect(turn.usage).toEqual({ input: 30, output: 12 });
    expect(anthropic.stub.modelRequests().at(-1)?.json).toEqual({ ...TOOLS_BODY, model: 'claude-test', stream: true });
  });

  it('raw events reach onEvent in order, message_start to message_stop', async () => {
    anthropic.stub.setModes(['tooluse']);
    const events: RawStreamEvent[] = [];
    await callApi(anthropic.input({ passthrough: ANTHROPIC }), signal(), { onEvent: (event) => events.push(event) });
    expect(events.map((event) => event['type'])).toEqual([
      'message_start',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
  });

  it('a failure before the first content event hands no event on and is not outputSent', async () => {
    anthropic.stub.setModes(['sseerror:overloaded_error']);
    const events: RawStreamEvent[] = [];
    const error = await attemptError(callApi(anthropic.input({ passthrough: ANTHROPIC }), signal(), { onEvent: (e) => events.push(e) }));
    expect(error.reason).toBe('overloaded');
    expect(error.outputSent).toBe(false);
    expect(events).toEqual([]);
  });

  it('a failure after the first content event is outputSent (no fallback after it)', async () => {
    anthropic.stub.setModes(['midstream:api_error']);
    const events: RawStreamEvent[] = [];
    const error = await attemptError(callApi(anthropic.input({ passthrough: ANTHROPIC }), signal(), { onEvent: (e) => events.push(e) }));
    expect(error.outputSent).toBe(true);
    expect(events.map((event) => event['type'])).toContain('content_block_delta');
  });

  it('an HTTP error classifies as for a normal call', async () => {
    anthropic.stub.setModes([{ status: 529 }]);
    const error = await attemptError(callApi(anthropic.input({ passthrough: ANTHROPIC }), signal()));
    expect(error.reason).toBe('overloaded');
    expect(error.status).toBe(529);
  });

  it('a normal call with an empty answer is still an unknown failure', async () => {
    anthropic.stub.setModes(['ok']);
    anthropic.stub.setText('');
    expect((await attemptError(callApi(anthropic.input(), signal()))).reason).toBe('unknown');
  });
});

describe('passthrough: Chat Completions', () => {
  it('streamed tool_calls are put together into the final chat.completion, usage included', async () => {
    chat.stub.setModes(['tooluse']);
    const turn = (await callApi(chat.input({ passthrough: CHAT }), signal())) as PassthroughTurn;
    expect(turn.text).toBe('');
    expect(turn.response).toMatchObject({ object: 'chat.completion', model: 'gpt-test', usage: { prompt_tokens: 50 } });
    expect(turn.response['choices']).toEqual([
      {
        index: 0,
        message: {
          role: 'assistant',
          content: null,
          refusal: null,
          tool_calls: [
            { id: expect.any(String), type: 'function', function: { name: 'get_weather', arguments: JSON.stringify(STUB_TOOL_INPUT) } },
          ],
        },
        logprobs: null,
        finish_reason: 'tool_calls',
      },
    ]);
    expect(chat.stub.modelRequests().at(-1)?.json).toMatchObject({
      model: 'gpt-test',
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it('a text answer streams its deltas to onText and returns the text', async () => {
    chat.stub.setModes(['ok']);
    const pieces: string[] = [];
    const turn = await callApi(chat.input({ passthrough: CHAT }), signal(), { onText: (text) => pieces.push(text) });
    expect(turn.text).toBe('Hello from the stub.');
    expect(pieces.join('')).toBe(turn.text);
  });

  it('an error chunk inside the stream is classified by its code, as for a normal call', async () => {
    chat.stub.setModes(['sseerror:server_error']);
    const error = await attemptError(callApi(chat.input({ passthrough: CHAT }), signal()));
    expect(error.reason).toBe('server_error');
  });

  it('a stream that stalls before its finish_reason fails by the idle clock, never as a complete answer', async () => {
    chat.stub.setModes(['stall']);
    const input = chat.input({ passthrough: CHAT, clocks: { firstTokenMs: 5000, idleMs: 150 } });
    const error = await attemptError(callApi(input, signal()));
    expect(error.reason).toBe('timeout');
    expect(error.message).toContain('idleSeconds');
  });
});
