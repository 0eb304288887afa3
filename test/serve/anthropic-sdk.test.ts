/**
 * `POST /v1/messages` with the official `@anthropic-ai/sdk`: `messages.create` and
 * `messages.stream`, system blocks, base64 images, and failover before the first byte.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PRIMARY, useServeRig } from './rig.js';

const PIXEL = join(import.meta.dirname, '../fixtures/pixel.png');

describe('serve: Anthropic Messages through the official SDK', () => {
  const start = useServeRig();

  it('messages.create is answered with a message of one text block', async () => {
    const rig = await start();
    const message = await rig.anthropic.messages.create({
      model: PRIMARY,
      max_tokens: 100,
      system: [{ type: 'text', text: 'be kind' }],
      messages: [{ role: 'user', content: 'hello anthropic' }],
    });
    expect(message).toMatchObject({ type: 'message', role: 'assistant', model: PRIMARY, stop_reason: 'end_turn' });
    expect(message.content[0]).toMatchObject({ type: 'text', text: expect.stringMatching(/^echo: hello anthropic/) });
    expect(rig.stub.modelRequests()[0]?.body?.system?.join('')).toContain('be kind');
  });

  it('a base64 image block reaches the candidate as an image', async () => {
    const rig = await start();
    const data = (await readFile(PIXEL)).toString('base64');
    await rig.anthropic.messages.create({
      model: PRIMARY,
      max_tokens: 100,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data } },
            { type: 'text', text: 'what is this' },
          ],
        },
      ],
    });
    expect(rig.stub.modelRequests()[0]?.body?.imageCount).toBe(1);
  });

  it('messages.stream delivers the text and a final message with end_turn', async () => {
    const rig = await start();
    const stream = rig.anthropic.messages.stream({ model: PRIMARY, max_tokens: 100, messages: [{ role: 'user', content: 'stream it' }] });
    let text = '';
    stream.on('text', (delta) => {
      text += delta;
    });
    const final = await stream.finalMessage();
    expect(text).toMatch(/^echo: stream it/);
    expect(final.stop_reason).toBe('end_turn');
    expect(final.content[0]).toMatchObject({ type: 'text', text });
  });

  it('a failover before the first byte is invisible to a streaming client: primary 529 → the CLI streams the answer', async () => {
    const rig = await start({ modes: [{ status: 529 }] });
    const { data: stream, response } = await rig.anthropic.messages
      .create({ model: PRIMARY, max_tokens: 100, stream: true, messages: [{ role: 'user', content: 'overloaded?' }] })
      .withResponse();
    let text = '';
    for await (const event of stream)
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
    expect(response.status).toBe(200);
    expect(response.headers.get('x-safetynet-attempts')).toBe(`${PRIMARY}=overloaded, ${rig.fallback}=ok`);
    expect(text).toMatch(/^echo: overloaded\?/);
  });

  it('with an X-Session-Id header the next turn resumes the same CLI session', async () => {
    const rig = await start({ modes: [{ status: 500 }] });
    const ask = (messages: Array<{ role: 'user' | 'assistant'; content: string }>) =>
      rig.anthropic.messages.create({ model: PRIMARY, max_tokens: 100, messages }, { headers: { 'x-session-id': 'conversation-7' } });
    const first = await ask([{ role: 'user', content: 'one' }]);
    const answer = first.content[0]?.type === 'text' ? first.content[0].text : '';
    const second = await ask([
      { role: 'user', content: 'one' },
      { role: 'assistant', content: answer },
      { role: 'user', content: 'two' },
    ]);
    expect(second.content[0]).toMatchObject({ text: expect.stringMatching(/^echo: two turns=2/) });
  });
});
