/**
 * `POST /v1/chat/completions` with the official `openai` SDK: answers, streams, and failover that
 * the client only sees in the `x-safetynet-*` headers.
 */
import { describe, expect, it } from 'vitest';
import { PRIMARY, useServeRig } from './rig.js';

describe('serve: OpenAI Chat Completions through the official SDK', () => {
  const start = useServeRig();

  it('a chat completion is answered by the primary API candidate', async () => {
    const rig = await start();
    const { data, response } = await rig.openai.chat.completions
      .create({ model: PRIMARY, messages: [{ role: 'user', content: 'hello server' }] })
      .withResponse();
    expect(data.object).toBe('chat.completion');
    expect(data.model).toBe(PRIMARY);
    expect(data.choices[0]?.message.content).toMatch(/^echo: hello server/);
    expect(data.choices[0]?.finish_reason).toBe('stop');
    expect(response.headers.get('x-safetynet-model')).toBe(PRIMARY);
    expect(response.headers.get('x-safetynet-attempts')).toBe(`${PRIMARY}=ok`);
  });

  it('the system message and earlier turns reach the candidate', async () => {
    const rig = await start();
    await rig.openai.chat.completions.create({
      model: PRIMARY,
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'first' },
        { role: 'assistant', content: 'ok' },
        { role: 'user', content: [{ type: 'text', text: 'second' }] },
      ],
    });
    const body = rig.stub.modelRequests()[0]?.body;
    expect(body?.turns).toBe(2);
    expect(body?.system?.join('')).toContain('be brief');
    expect(body?.lastUserText).toBe('second');
  });

  it('a streamed completion arrives as chunks ending with [DONE], with a usage chunk when asked', async () => {
    const rig = await start();
    const stream = await rig.openai.chat.completions.create({
      model: PRIMARY,
      messages: [{ role: 'user', content: 'stream me' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let finish: string | null | undefined;
    let usage: unknown;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toMatch(/^echo: stream me/);
    expect(finish).toBe('stop');
    expect(usage).toMatchObject({ prompt_tokens: expect.any(Number), completion_tokens: expect.any(Number) });
  });

  for (const [mode, reason] of [
    [{ status: 429, retryAfter: 1 }, 'rate_limit'],
    [{ status: 529 }, 'overloaded'],
    [{ status: 500 }, 'server_error'],
  ] as const) {
    it(`a failover before the first byte is invisible to the client: primary ${JSON.stringify(mode)} → the CLI answers 200`, async () => {
      const rig = await start({ modes: [mode] });
      const { data, response } = await rig.openai.chat.completions
        .create({ model: PRIMARY, messages: [{ role: 'user', content: 'fall back' }] })
        .withResponse();
      expect(response.status).toBe(200);
      expect(data.model).toBe(rig.fallback);
      expect(data.choices[0]?.message.content).toMatch(/^echo: fall back/);
      expect(response.headers.get('x-safetynet-attempts')).toBe(`${PRIMARY}=${reason}, ${rig.fallback}=ok`);
    });
  }

  it('a streamed request whose primary fails before the first byte is streamed by the fallback', async () => {
    const rig = await start({ modes: [{ status: 529 }] });
    const { data: stream, response } = await rig.openai.chat.completions
      .create({ model: PRIMARY, messages: [{ role: 'user', content: 'stream fall back' }], stream: true })
      .withResponse();
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(response.status).toBe(200);
    expect(text).toMatch(/^echo: stream fall back/);
    expect(response.headers.get('x-safetynet-model')).toBe(rig.fallback);
  });

  it('a refused primary port falls back to the CLI', async () => {
    const rig = await start({
      primary: 'refused/claude-test',
      providers: { refused: { api: 'openai-completions', baseUrl: 'http://127.0.0.1:9/v1', apiKey: 'sk-none' } },
    });
    const { data, response } = await rig.openai.chat.completions
      .create({ model: 'refused/claude-test', messages: [{ role: 'user', content: 'anyone' }] })
      .withResponse();
    expect(data.model).toBe(rig.fallback);
    expect(response.headers.get('x-safetynet-attempts')).toBe(`refused/claude-test=transport, ${rig.fallback}=ok`);
  });
});
