/**
 * Tools through `POST /v1/chat/completions` (Codex, LangChain, Open WebUI with `OPENAI_BASE_URL`):
 * a request with `tools`, `response_format` or tool messages passes through to the candidates
 * speaking Chat Completions as the client sent it; `tool_calls` come back (JSON and streamed);
 * candidates of another protocol are skipped attempts that say why.
 */
import type OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { STUB_TOOL_INPUT } from '../support/stub-server/tool-use.js';
import { type ServeRig, useServeRig } from './rig.js';

const MODEL = 'chat/gpt-test';
const WEATHER: OpenAI.Chat.Completions.ChatCompletionTool = {
  type: 'function',
  function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
};
const ASK = { model: MODEL, tools: [WEATHER], messages: [{ role: 'user' as const, content: 'weather in Paris?' }] };

/** A rig whose primary speaks Chat Completions on the stub; the Anthropic stub candidate and the CLI are fallbacks. */
const chatPrimary = (modes: Parameters<ReturnType<typeof useServeRig>>[0] = {}) => ({
  ...modes,
  providers: (url: string) => ({ chat: { api: 'openai-completions', baseUrl: `${url}/v1`, apiKey: 'sk-stub-chat' } }),
  config: (fallback: string) => ({ agents: { defaults: { model: { primary: MODEL, fallbacks: ['stub/claude-test', fallback] } } } }),
});

/** The JSON body of the first model call the stub received. */
function sentBody(rig: ServeRig): Record<string, unknown> {
  return (rig.stub.modelRequests()[0]?.json ?? {}) as Record<string, unknown>;
}

describe('serve: tools pass through to Chat Completions candidates', () => {
  const start = useServeRig();

  it('chat.completions.create with tools gets the provider tool_calls, with the safetynet model and finish_reason', async () => {
    const rig = await start(chatPrimary({ modes: ['tooluse'] }));
    const { data, response } = await rig.openai.chat.completions.create(ASK).withResponse();
    expect(data.model).toBe(MODEL);
    expect(data.choices[0]?.finish_reason).toBe('tool_calls');
    expect(data.choices[0]?.message.tool_calls).toEqual([
      {
        id: expect.stringMatching(/^call_/),
        type: 'function',
        function: { name: 'get_weather', arguments: JSON.stringify(STUB_TOOL_INPUT) },
      },
    ]);
    expect(data.usage).toMatchObject({ prompt_tokens: 50, completion_tokens: 12 });
    expect(response.headers.get('x-safetynet-attempts')).toBe(`${MODEL}=ok`);
    const sent = sentBody(rig);
    expect(sent).toEqual({ ...ASK, model: 'gpt-test', stream: true, stream_options: { include_usage: true } });
  });

  it('a streamed tool call: finalChatCompletion() has the tool call with its arguments, and no usage chunk was asked for', async () => {
    const rig = await start(chatPrimary({ modes: ['tooluse'] }));
    const stream = rig.openai.chat.completions.stream(ASK);
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    stream.on('chunk', (chunk) => chunks.push(chunk));
    const final = await stream.finalChatCompletion();
    expect(final.model).toBe(MODEL);
    expect(final.choices[0]?.finish_reason).toBe('tool_calls');
    expect(final.choices[0]?.message.tool_calls?.[0]?.function).toEqual({
      name: 'get_weather',
      arguments: JSON.stringify(STUB_TOOL_INPUT),
    });
    expect(chunks.every((chunk) => chunk.model === MODEL && chunk.choices.length === 1 && chunk.usage === undefined)).toBe(true);
  });

  it('stream_options.include_usage: the provider usage chunk is forwarded', async () => {
    const rig = await start(chatPrimary({ modes: ['tooluse'] }));
    const stream = await rig.openai.chat.completions.create({ ...ASK, stream: true, stream_options: { include_usage: true } });
    const usage: unknown[] = [];
    for await (const chunk of stream) if (chunk.usage) usage.push(chunk.usage);
    expect(usage).toEqual([{ prompt_tokens: 50, completion_tokens: 12, total_tokens: 62 }]);
  });

  it('a follow-up with assistant tool_calls and a role "tool" message reaches the candidate unchanged', async () => {
    const rig = await start(chatPrimary({ modes: ['echo'] }));
    const messages: OpenAI.Chat.Completions.ChatCompletionMessageParam[] = [
      { role: 'user', content: 'weather in Paris?' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: JSON.stringify(STUB_TOOL_INPUT) } }],
      },
      { role: 'tool', tool_call_id: 'call_1', content: 'sunny, 21 °C' },
    ];
    // No tools field: the tool messages alone make it a passthrough request.
    const completion = await rig.openai.chat.completions.create({ model: MODEL, messages });
    expect(completion.choices[0]?.message.content).toMatch(/^echo:/);
    expect(sentBody(rig)['messages']).toEqual(messages);
  });

  it('response_format passes through too', async () => {
    const rig = await start(chatPrimary({ modes: ['ok'] }));
    const format = { type: 'json_schema' as const, json_schema: { name: 'w', schema: { type: 'object' } } };
    await rig.openai.chat.completions.create({ model: MODEL, messages: ASK.messages, response_format: format });
    expect(sentBody(rig)['response_format']).toEqual(format);
  });

  it('primary 529: the Anthropic-protocol candidate and the CLI are skipped attempts (config, named); a 503 in the OpenAI format', async () => {
    const rig = await start(chatPrimary({ modes: [{ status: 529 }] }));
    const response = await fetch(`${rig.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(ASK),
    });
    expect(response.status).toBe(503);
    expect(response.headers.get('x-safetynet-attempts')).toBe(
      `${MODEL}=overloaded, stub/claude-test=skipped:config, ${rig.fallback}=skipped:config`,
    );
    const body = (await response.json()) as { error: { message: string } };
    expect(body.error.message).toContain('API provider "stub" speaks anthropic-messages');
    expect(body.error.message).toContain('text-only CLI backend');
    expect(rig.stub.modelRequests()).toHaveLength(1);
  });
});
