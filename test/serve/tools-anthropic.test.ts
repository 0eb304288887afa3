/**
 * Tools through `POST /v1/messages` (Claude Code's `ANTHROPIC_BASE_URL`): a request with `tools`
 * or tool blocks passes through to the Anthropic-protocol candidates as the client sent it; the
 * tool_use answer comes back (JSON and streamed); text-only CLI candidates are skipped attempts
 * that say why.
 */
import type Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { STUB_TOOL_INPUT } from '../support/stub-server/tool-use.js';
import { PRIMARY, useServeRig } from './rig.js';

const WEATHER: Anthropic.Tool = {
  name: 'get_weather',
  description: 'The weather of a city',
  input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

const ASK = { model: PRIMARY, max_tokens: 200, tools: [WEATHER], messages: [{ role: 'user' as const, content: 'weather in Paris?' }] };

describe('serve: tools pass through to Anthropic Messages candidates', () => {
  const start = useServeRig();

  it('messages.create with tools gets the provider tool_use block, with the safetynet model and the provider stop reason', async () => {
    const rig = await start({ modes: ['tooluse'] });
    const { data, response } = await rig.anthropic.messages.create(ASK).withResponse();
    expect(data).toMatchObject({ type: 'message', model: PRIMARY, stop_reason: 'tool_use', usage: { output_tokens: 12 } });
    expect(data.content).toEqual([{ type: 'tool_use', id: expect.stringMatching(/^toolu_/), name: 'get_weather', input: STUB_TOOL_INPUT }]);
    expect(response.headers.get('x-safetynet-attempts')).toBe(`${PRIMARY}=ok`);
    const sent = rig.stub.modelRequests()[0]?.json as Record<string, unknown>;
    // The client's body as it was, with the candidate's model and a stream.
    expect(sent).toEqual({ ...ASK, model: 'claude-test', stream: true });
  });

  it('messages.stream with tools: finalMessage() has the tool_use block with its input', async () => {
    const rig = await start({ modes: ['tooluse'] });
    const stream = rig.anthropic.messages.stream(ASK);
    const json: string[] = [];
    stream.on('inputJson', (partial) => json.push(partial));
    const final = await stream.finalMessage();
    expect(final.model).toBe(PRIMARY);
    expect(final.stop_reason).toBe('tool_use');
    expect(final.content).toEqual([
      { type: 'tool_use', id: expect.stringMatching(/^toolu_/), name: 'get_weather', input: STUB_TOOL_INPUT },
    ]);
    expect(json.join('')).toBe(JSON.stringify(STUB_TOOL_INPUT));
  });

  it('a follow-up carrying tool_use and tool_result blocks reaches the candidate unchanged', async () => {
    const rig = await start({ modes: ['echo'] });
    const messages: Anthropic.MessageParam[] = [
      { role: 'user', content: 'weather in Paris?' },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: STUB_TOOL_INPUT }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'sunny, 21 °C' }] },
    ];
    const message = await rig.anthropic.messages.create({ ...ASK, messages });
    expect(message.content[0]).toMatchObject({ type: 'text' });
    const sent = rig.stub.modelRequests()[0]?.json as Record<string, unknown>;
    expect(sent['messages']).toEqual(messages);
    expect(sent['tools']).toEqual([WEATHER]);
  });

  it('primary 529 with only a CLI fallback: the CLI is a skipped attempt (config, named) and the answer is a 503 in the Messages format', async () => {
    const rig = await start({ modes: [{ status: 529 }] });
    const response = await fetch(`${rig.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(ASK),
    });
    expect(response.status).toBe(503);
    expect(response.headers.get('x-safetynet-attempts')).toBe(`${PRIMARY}=overloaded, ${rig.fallback}=skipped:config`);
    const body = (await response.json()) as { type: string; error: { type: string; message: string } };
    expect(body.type).toBe('error');
    expect(body.error.message).toContain('text-only CLI backend');
    expect(body.error.message).toContain('anthropic-messages');
    const trace = await rig.runtime.traces.last();
    expect(JSON.stringify(trace)).toContain('text-only CLI backend');
  });

  it('primary 529 with a second Anthropic-protocol candidate behind the CLI: the CLI is skipped and the second candidate answers the tool call', async () => {
    const rig = await start({
      modes: [{ status: 529 }, 'tooluse'],
      providers: (url) => ({ second: { api: 'anthropic-messages', baseUrl: url, apiKey: 'sk-stub-second' } }),
      config: (fallback) => ({ agents: { defaults: { model: { primary: PRIMARY, fallbacks: [fallback, 'second/claude-b'] } } } }),
    });
    const { data, response } = await rig.anthropic.messages.create(ASK).withResponse();
    expect(data.model).toBe('second/claude-b');
    expect(data.content[0]).toMatchObject({ type: 'tool_use', input: STUB_TOOL_INPUT });
    expect(response.headers.get('x-safetynet-attempts')).toBe(`${PRIMARY}=overloaded, ${rig.fallback}=skipped:config, second/claude-b=ok`);
  });

  it('a streamed failover before the first tool_use start is invisible: the client sees only the second candidate', async () => {
    const rig = await start({
      modes: ['sseerror:overloaded_error', 'tooluse'],
      providers: (url) => ({ second: { api: 'anthropic-messages', baseUrl: url, apiKey: 'sk-stub-second' } }),
      config: () => ({ agents: { defaults: { model: { primary: PRIMARY, fallbacks: ['second/claude-b'] } } } }),
    });
    const final = await rig.anthropic.messages.stream(ASK).finalMessage();
    expect(final.model).toBe('second/claude-b');
    expect(final.content[0]).toMatchObject({ type: 'tool_use', input: STUB_TOOL_INPUT });
  });

  it('the client anthropic-beta header goes along to the candidate (Claude Code enables beta fields with it)', async () => {
    const rig = await start({ modes: ['tooluse'] });
    await rig.anthropic.messages.create(ASK, { headers: { 'anthropic-beta': 'context-management-2025-06-27' } });
    expect(rig.stub.modelRequests()[0]?.headers['anthropic-beta']).toBe('context-management-2025-06-27');
  });

  it('a failure after the first content event ends the stream with an error, with no fallback after it', async () => {
    const rig = await start({
      modes: ['midstream:api_error', 'tooluse'],
      providers: (url) => ({ second: { api: 'anthropic-messages', baseUrl: url, apiKey: 'sk-stub-second' } }),
      config: () => ({ agents: { defaults: { model: { primary: PRIMARY, fallbacks: ['second/claude-b'] } } } }),
    });
    const stream = rig.anthropic.messages.stream(ASK);
    const texts: string[] = [];
    stream.on('text', (text) => texts.push(text));
    await expect(stream.finalMessage()).rejects.toThrow();
    expect(texts.length).toBeGreaterThan(0);
    expect(rig.stub.modelRequests()).toHaveLength(1);
  });
});
