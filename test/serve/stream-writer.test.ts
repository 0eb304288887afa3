/**
 * The stream writer against a scripted runtime (deltas and failures the real runtime gives only
 * once its streaming lands): the head waits for the first content, deltas are passed on as they
 * come, the final text adds only what the deltas did not carry, and a failure after the first byte
 * ends the stream with an error event, never with a completion marker.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/index.js';
import { RequestError, createServer, type RunRequest, type RunResult, type SafetynetServer } from '../../src/index.js';

const MODEL = 'claude-cli/opus-4.6';
const config = resolveConfig({ agents: { defaults: { model: { primary: MODEL } } } }, '<inline>', {});

/** A runtime whose `run` follows `script` (it gets the request, with its `onText`). */
function scripted(script: (request: RunRequest) => Promise<RunResult>) {
  return {
    config,
    cliStats: () => ({ running: 0, waiting: 0, byBackend: {} }),
    activeCooldowns: async () => [],
    sessions: { list: async () => [] },
    run: script,
  } as never;
}

const result = (text: string): RunResult => ({
  text,
  model: MODEL,
  backend: 'cli',
  sessionKey: null,
  cliSessionId: null,
  attempts: [{ model: MODEL, backend: 'cli', ok: true, durationMs: 1 }],
  durationMs: 1,
  requestId: 'req-1',
  warnings: [],
});

/** A runtime that streams a first part, then fails (the runtime's `SAFETYNET_STREAM_INTERRUPTED`). */
const cutAfterFirstPart = () =>
  scripted(async (request) => {
    request.onText?.({ text: 'partial', model: MODEL });
    throw interrupted();
  });

const interrupted = () =>
  new RequestError('SAFETYNET_STREAM_INTERRUPTED', 'the answer was cut after its first part: overloaded', {
    attempts: [],
    requestId: 'req-1',
  });

async function streamText(server: SafetynetServer, path: string, body: unknown): Promise<{ status: number; text: string }> {
  const url = await server.listen();
  const response = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, text: await response.text() };
}

describe('serve: the stream writer', () => {
  let server: SafetynetServer | undefined;
  afterEach(async () => {
    await server?.close(0);
    server = undefined;
  });

  const chat = { model: MODEL, stream: true, messages: [{ role: 'user', content: 'hi' }] };
  const messages = { model: MODEL, max_tokens: 9, stream: true, messages: [{ role: 'user', content: 'hi' }] };

  it('deltas are streamed as they come, and the final text adds only what they did not carry', async () => {
    server = await createServer(
      scripted(async (request) => {
        request.onText?.({ text: 'Hel', model: MODEL });
        request.onText?.({ text: 'lo', model: MODEL });
        return result('Hello world');
      }),
      { port: 0 },
    );
    const { status, text } = await streamText(server, '/v1/chat/completions', chat);
    expect(status).toBe(200);
    const contents = text
      .split('\n\n')
      .filter((line) => line.startsWith('data: {'))
      .map((line) => JSON.parse(line.slice(6)).choices[0]?.delta.content)
      .filter((content) => content);
    expect(contents).toEqual(['Hel', 'lo', ' world']);
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
  });

  it('an OpenAI stream cut after its first byte ends with an error line and no [DONE]', async () => {
    server = await createServer(cutAfterFirstPart(), { port: 0 });
    const { status, text } = await streamText(server, '/v1/chat/completions', chat);
    expect(status).toBe(200);
    expect(text).toContain('"content":"partial"');
    const last = text.trimEnd().split('\n\n').at(-1) ?? '';
    expect(JSON.parse(last.slice(6))).toMatchObject({ error: { message: expect.stringMatching(/cut after its first part/) } });
    expect(text).not.toContain('[DONE]');
    expect(text).not.toContain('finish_reason":"stop"');
  });

  it('an Anthropic stream cut after its first byte ends with an error event and no message_stop', async () => {
    server = await createServer(cutAfterFirstPart(), { port: 0 });
    const { text } = await streamText(server, '/v1/messages', messages);
    expect(text).toContain('event: content_block_delta');
    expect(text.trimEnd().split('\n\n').at(-1)).toMatch(/^event: error\ndata: \{"type":"error","error":\{"type":"api_error"/);
    expect(text).not.toContain('message_stop');
  });

  it('the official SDKs raise on a cut stream instead of returning the partial answer', async () => {
    server = await createServer(cutAfterFirstPart(), { port: 0 });
    const url = await server.listen();
    const openai = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const readAll = async () => {
      let text = '';
      const stream = await openai.chat.completions.create({ model: MODEL, stream: true, messages: [{ role: 'user', content: 'hi' }] });
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
      return text;
    };
    await expect(readAll()).rejects.toThrow(/cut after its first part/);
    const anthropic = new Anthropic({ baseURL: url, apiKey: 'unused', maxRetries: 0 });
    const stream = anthropic.messages.stream({ model: MODEL, max_tokens: 9, messages: [{ role: 'user', content: 'hi' }] });
    await expect(stream.finalMessage()).rejects.toThrow(/cut after its first part/);
  });

  it('a failure before the first byte is a real status, not a 200 stream', async () => {
    server = await createServer(
      scripted(async () => {
        throw new RequestError('SAFETYNET_ALL_CANDIDATES_FAILED', 'every candidate failed', {
          attempts: [{ model: MODEL, backend: 'cli', ok: false, reason: 'timeout', durationMs: 5 }],
          requestId: 'req-1',
        });
      }),
      { port: 0 },
    );
    const { status, text } = await streamText(server, '/v1/messages', messages);
    expect(status).toBe(504);
    expect(JSON.parse(text)).toEqual({ type: 'error', error: { type: 'timeout_error', message: 'every candidate failed' } });
  });
});
