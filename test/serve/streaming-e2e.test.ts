/**
 * Streaming end to end: the upstream's SSE pieces travel through the runtime (`onText`) and
 * `safetynet serve` to the official SDKs as they come; a failure before the first piece is a
 * failover the client never sees, a failure after it ends the client's stream with an error.
 */
import { describe, expect, it } from 'vitest';
import { PRIMARY, useServeRig } from './rig.js';

describe('serve: streaming with the runtime behind it', () => {
  const start = useServeRig();

  it("an upstream's stream reaches the OpenAI client in several chunks that add up to the answer", async () => {
    const rig = await start({ modes: ['echo'] });
    const stream = await rig.openai.chat.completions.create({
      model: PRIMARY,
      messages: [{ role: 'user', content: 'a message long enough to be cut into several pieces by the stub' }],
      stream: true,
    });
    const pieces: string[] = [];
    for await (const chunk of stream) {
      const piece = chunk.choices[0]?.delta.content;
      if (piece) pieces.push(piece);
    }
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.join('')).toMatch(/^echo: a message long enough/);
  });

  it('an upstream failure after the first token ends the Anthropic stream with an error, never with a fallback answer', async () => {
    const rig = await start({ modes: ['midstream:overloaded_error', 'echo'] });
    const stream = rig.anthropic.messages.stream({
      model: PRIMARY,
      max_tokens: 64,
      messages: [{ role: 'user', content: 'stream then fail' }],
    });
    let text = '';
    stream.on('text', (piece) => {
      text += piece;
    });
    await expect(stream.finalMessage()).rejects.toThrow();
    expect(text.length).toBeGreaterThan(0);
    expect(text).not.toContain('echo:');
    // Only the primary was asked: the fixture CLI fallback never ran.
    expect(rig.stub.modelRequests()).toHaveLength(1);
  });

  it('an upstream failure after the first token ends the OpenAI stream with an error (no [DONE])', async () => {
    const rig = await start({ modes: ['midstream:overloaded_error', 'echo'] });
    const stream = await rig.openai.chat.completions.create({ model: PRIMARY, messages: [{ role: 'user', content: 'x' }], stream: true });
    const consume = async () => {
      for await (const _chunk of stream) {
        // read until the error
      }
    };
    await expect(consume()).rejects.toThrow();
  });

  it('a failure before the first token is invisible to a streaming client: the fallback streams the answer', async () => {
    const rig = await start({ modes: [{ status: 529 }] });
    const { data: stream, response } = await rig.openai.chat.completions
      .create({ model: PRIMARY, messages: [{ role: 'user', content: 'fall back quietly' }], stream: true })
      .withResponse();
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(response.status).toBe(200);
    expect(text).toMatch(/^echo: fall back quietly/);
    expect(response.headers.get('x-safetynet-model')).toBe(rig.fallback);
  });
});
