/**
 * The stub's OpenAI Chat Completions API: its chunk stream (ending in `[DONE]`, a usage chunk when
 * asked), its completion object, its error JSON and its in-stream error chunk. No CLI speaks it;
 * the OpenAI SDK's API actor does (test/actors/api/openai-completions.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { post, stubKit } from './test-kit.js';

const kit = stubKit();
const CHAT = { model: 'gpt-x', messages: [{ role: 'user', content: 'hi' }] };

/** The JSON of each `data:` line of a chunk stream, `[DONE]` left as the string. */
function chunks(body: string): unknown[] {
  return [...body.matchAll(/^data: (.+)$/gm)].map((m) => (m[1] === '[DONE]' ? '[DONE]' : (JSON.parse(m[1] ?? 'null') as unknown)));
}

describe('stub OpenAI Chat Completions API (wire format)', () => {
  it('streams a role chunk, content deltas that join to the reply, a stop chunk and [DONE]', async () => {
    const s = await kit.stub({ text: 'Hello there, world!' });
    const c = await post(`${s.url}/v1/chat/completions`, { ...CHAT, stream: true });
    expect(c.headers.get('x-request-id')).toBe('req_stub_0');
    const all = chunks(await c.text());
    expect(all.at(-1)).toBe('[DONE]');
    const parts = all.slice(0, -1) as {
      id: string;
      choices: { delta: { role?: string; content?: string }; finish_reason: string | null }[];
    }[];
    expect(parts[0]?.id).toBe('chatcmpl_stub_0');
    expect(parts[0]?.choices[0]?.delta.role).toBe('assistant');
    expect(parts.map((p) => p.choices[0]?.delta.content ?? '').join('')).toBe('Hello there, world!');
    expect(parts.at(-1)?.choices[0]?.finish_reason).toBe('stop');
  });

  it('stream_options.include_usage adds a usage chunk with no choices before [DONE]', async () => {
    const s = await kit.stub();
    const all = chunks(
      await (await post(`${s.url}/v1/chat/completions`, { ...CHAT, stream: true, stream_options: { include_usage: true } })).text(),
    );
    expect(all.at(-2)).toMatchObject({ choices: [], usage: { prompt_tokens: 42 } });
  });

  it('answers one chat.completion object without a stream', async () => {
    const s = await kit.stub({ text: 'Hello there, world!' });
    const json = await (await post(`${s.url}/v1/chat/completions`, { model: 'gpt-x', messages: [] })).json();
    expect(json).toMatchObject({
      object: 'chat.completion',
      choices: [{ message: { role: 'assistant', content: 'Hello there, world!' }, finish_reason: 'stop' }],
    });
  });

  it('an HTTP error mode answers the OpenAI error JSON; sseerror is an error chunk in a stream, the HTTP error without', async () => {
    const s = await kit.stub({ modes: [{ status: 429, retryAfter: 2 }, 'sseerror:rate_limit_exceeded'] });
    const r = await post(`${s.url}/v1/chat/completions`, CHAT);
    expect([r.status, r.headers.get('retry-after')]).toEqual([429, '2']);
    expect(await r.json()).toMatchObject({ error: { type: 'requests', code: 'rate_limit_exceeded', param: null } });

    const streamed = chunks(await (await post(`${s.url}/v1/chat/completions`, { ...CHAT, stream: true })).text());
    expect(streamed).toHaveLength(2);
    expect(streamed[1]).toMatchObject({ error: { code: 'rate_limit_exceeded', type: 'rate_limit_exceeded' } });
    const plain = await post(`${s.url}/v1/chat/completions`, CHAT);
    expect(plain.status).toBe(429);
  });
});
