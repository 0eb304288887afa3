/**
 * The stub's Gemini API: `:streamGenerateContent` streams `data:` chunks (the URL decides, the body
 * has no `stream` key), `:generateContent` answers one JSON, errors use the Google error JSON, a
 * router call (`responseJsonSchema`) gets an object of that schema, and the request log reads
 * `contents` / `parts` / `systemInstruction` (turns, texts, images). The real gemini against it is the
 * contract suite (`test/contract/gemini-cli.test.ts`).
 */
import { describe, expect, it } from 'vitest';
import { post, stubKit } from './test-kit.js';

const kit = stubKit();
const BODY = {
  contents: [
    { role: 'user', parts: [{ text: '<session_context>cwd</session_context>' }, { text: 'remember kiwi' }] },
    { role: 'model', parts: [{ text: 'OK' }] },
    { role: 'user', parts: [{ inlineData: { mimeType: 'image/png', data: 'AA==' } }, { text: 'what fruit?' }] },
  ],
  systemInstruction: { parts: [{ text: 'You are Gemini CLI.' }] },
};

/** The JSON objects of an SSE body's `data:` lines. */
function dataChunks(body: string): Record<string, unknown>[] {
  return [...body.matchAll(/^data: (.+)$/gm)].map((m) => JSON.parse(m[1] ?? '{}') as Record<string, unknown>);
}

describe('stub Gemini API', () => {
  it('streams the reply as data: chunks, the last one with finishReason and usageMetadata', async () => {
    const s = await kit.stub({ text: 'Hello there, world!' });
    const res = await post(`${s.url}/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse`, BODY);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const chunks = dataChunks(await res.text());
    const texts = chunks.map(
      (c) => (c as { candidates: { content: { parts: { text: string }[] } }[] }).candidates[0]?.content.parts[0]?.text,
    );
    expect(texts.join('')).toBe('Hello there, world!');
    expect(chunks.at(-1)).toMatchObject({
      candidates: [{ finishReason: 'STOP' }],
      usageMetadata: { promptTokenCount: 42 },
      modelVersion: 'gemini-2.5-flash',
    });
    expect(s.modelRequests()[0]).toMatchObject({
      kind: 'gemini.generate',
      body: { roles: ['user', 'model', 'user'], turns: 2, imageCount: 1 },
    });
    expect(s.modelRequests()[0]?.body).toMatchObject({ lastUserText: 'what fruit?', system: ['You are Gemini CLI.'] });
  });

  it('generateContent answers one JSON; echo counts the user turns', async () => {
    const s = await kit.stub({ modes: ['echo'] });
    const json = await (await post(`${s.url}/v1beta/models/m:generateContent`, BODY)).json();
    expect(json).toMatchObject({ candidates: [{ content: { parts: [{ text: 'echo: what fruit? turns=2' }], role: 'model' } }] });
  });

  it('a router call with responseJsonSchema gets an object of that schema', async () => {
    const s = await kit.stub();
    const schema = { type: 'OBJECT', properties: { complexity_reasoning: { type: 'STRING' }, complexity_score: { type: 'INTEGER' } } };
    const json = (await (
      await post(`${s.url}/v1beta/models/router:generateContent`, { ...BODY, generationConfig: { responseJsonSchema: schema } })
    ).json()) as {
      candidates: { content: { parts: { text: string }[] } }[];
    };
    expect(JSON.parse(json.candidates[0]?.content.parts[0]?.text ?? '')).toEqual({ complexity_reasoning: 'stub', complexity_score: 1 });
  });

  it('an HTTP error mode answers the Google error JSON with its status name', async () => {
    const s = await kit.stub({ modes: [{ status: 400 }, { status: 429 }, { status: 503 }] });
    const url = `${s.url}/v1beta/models/m:streamGenerateContent?alt=sse`;
    const answers = [];
    for (let i = 0; i < 3; i += 1) {
      const res = await post(url, BODY);
      answers.push([res.status, ((await res.json()) as { error: { status: string } }).error.status]);
    }
    expect(answers).toEqual([
      [400, 'INVALID_ARGUMENT'],
      [429, 'RESOURCE_EXHAUSTED'],
      [503, 'UNAVAILABLE'],
    ]);
  });
});
