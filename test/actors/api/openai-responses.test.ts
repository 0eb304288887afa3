import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { callApi } from '../../../src/actors/api/call-api.js';
import { responsesBody } from '../../../src/actors/api/openai-responses.js';
import { resolveApiProviders } from '../../../src/config/providers.js';
import type { FailureReason } from '../../../src/errors.js';
import type { StubMode } from '../../support/stub-server/index.js';
import {
  KEY,
  SAME_ROLE_RUNS,
  SAME_ROLE_RUNS_SENT,
  TWO_TURNS,
  TWO_TURNS_RECEIVED,
  TWO_TURNS_SENT,
  apiRequest,
  attemptError,
  deadPort,
  expectNoKey,
  stubProvider,
  until,
  useApiFixture,
} from './helpers.js';

const MODEL = 'gpt-test';
const fx = useApiFixture('openai-responses', MODEL, '/v1');
const { input, failWith } = fx;

describe('openai-responses: success', () => {
  it('a streamed answer returns its text, usage and response id', async () => {
    const turn = await callApi(input(), new AbortController().signal);
    expect(turn).toEqual({
      text: 'Hello from the stub.',
      usage: { input: 42, output: 5, total: 47 },
      responseId: expect.stringMatching(/^resp_stub_\d+$/),
    });
  });

  it('the request streams the prompt as input, the system prompt as instructions, the key as a bearer token', async () => {
    await callApi(input({ systemPrompt: 'be brief', prompt: 'question?' }), new AbortController().signal);
    const request = fx.stub.modelRequests().at(-1);
    expect(request?.path).toBe('/v1/responses');
    expect(request?.json).toMatchObject({ model: MODEL, input: 'question?', instructions: 'be brief', stream: true });
    expect(request?.headers['authorization']).toMatch(/^Bearer sk-test-SEC/);
    expect(request?.headers['x-stainless-retry-count']).toBe('0');
  });

  it('images go as input_image data URLs before the input_text', async () => {
    const jpg = join(fx.dir, 'one.jpg');
    await writeFile(jpg, Buffer.from('ffd8ffe0', 'hex'));
    await callApi(input({ images: [{ path: jpg, mimeType: 'image/jpeg' }] }), new AbortController().signal);
    const request = fx.stub.modelRequests().at(-1);
    expect(request?.body?.imageCount).toBe(1);
    expect(request?.json).toMatchObject({
      input: [
        {
          role: 'user',
          content: [
            { type: 'input_image', image_url: 'data:image/jpeg;base64,/9j/4A==' },
            { type: 'input_text', text: 'hi' },
          ],
        },
      ],
    });
  });

  it('the built-in openai reads OPENAI_API_KEY and OPENAI_BASE_URL from the config environment', async () => {
    const provider = resolveApiProviders(undefined, { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: `${fx.stub.url}/v1` }, '<inline>')['openai'];
    const turn = await callApi(input({ provider: provider! }), new AbortController().signal);
    expect(turn.text).toBe('Hello from the stub.');
    expect(fx.stub.modelRequests().at(-1)?.headers['authorization']).toMatch(/^Bearer sk-test-SEC/);
  });
});

describe('openai-responses: the conversation history', () => {
  const JPEG = { mimeType: 'image/jpeg', data: '/9j/4A==' };

  it('without history or images the input is the prompt itself, the system prompt is instructions', () => {
    expect(responsesBody(apiRequest(MODEL, { prompt: 'q', systemPrompt: 's' }))).toEqual({
      model: MODEL,
      input: 'q',
      stream: true,
      instructions: 's',
    });
  });

  it('with history the input is a list of messages: earlier turns oldest first with their roles, the new message last', () => {
    const body = responsesBody(apiRequest(MODEL, { history: TWO_TURNS, prompt: 'what fruit?', systemPrompt: 'be brief' }));
    expect(body.input).toEqual([...TWO_TURNS_SENT, { role: 'user', content: 'what fruit?' }]);
    expect(body.instructions).toBe('be brief');
  });

  it('consecutive turns of one role stay separate input messages (the Responses API accepts them)', () => {
    expect(responsesBody(apiRequest(MODEL, { history: SAME_ROLE_RUNS, prompt: 'new' })).input).toEqual([
      ...SAME_ROLE_RUNS_SENT,
      { role: 'user', content: 'new' },
    ]);
  });

  it("earlier turns' images are placeholder lines; the new message's images are input_image parts before its text", () => {
    const body = responsesBody(apiRequest(MODEL, { history: TWO_TURNS, prompt: 'and this?', images: [JPEG] }));
    expect(body.input).toEqual([
      ...TWO_TURNS_SENT,
      {
        role: 'user',
        content: [
          { type: 'input_image', detail: 'auto', image_url: 'data:image/jpeg;base64,/9j/4A==' },
          { type: 'input_text', text: 'and this?' },
        ],
      },
    ]);
  });

  it('a real call sends the earlier turns as input messages before the new one, the system prompt as instructions', async () => {
    const request = await fx.sendTwoTurns();
    expect(request.body?.messages).toEqual(TWO_TURNS_RECEIVED);
    expect(request.json).toMatchObject({
      instructions: 'be brief',
      input: [...TWO_TURNS_SENT, { role: 'user', content: 'what fruit?' }],
    });
  });
});

describe('openai-responses: fault matrix (each failure is one request: the SDK never retries)', () => {
  it.each<[string, StubMode, FailureReason, number | undefined]>([
    ['429 is rate_limit', { status: 429 }, 'rate_limit', 429],
    ['429 insufficient_quota is billing', { status: 429, code: 'insufficient_quota' }, 'billing', 429],
    ['529 is overloaded', { status: 529 }, 'overloaded', 529],
    ['500 is server_error', { status: 500 }, 'server_error', 500],
    ['503 is overloaded', { status: 503 }, 'overloaded', 503],
    ['401 is auth', { status: 401 }, 'auth', 401],
    ['404 is model_not_found', { status: 404 }, 'model_not_found', 404],
    ['400 context_length_exceeded is context_overflow', { status: 400, code: 'context_length_exceeded' }, 'context_overflow', 400],
    ['response.failed server_error inside a 200 stream is server_error', 'sseerror:server_error', 'server_error', undefined],
    ['response.failed rate_limit_exceeded inside a 200 stream is rate_limit', 'sseerror:rate_limit_exceeded', 'rate_limit', undefined],
    ['response.failed insufficient_quota inside a 200 stream is billing', 'sseerror:insufficient_quota', 'billing', undefined],
    [
      'response.failed context_length_exceeded inside a 200 stream is context_overflow',
      'sseerror:context_length_exceeded',
      'context_overflow',
      undefined,
    ],
    ['a malformed 200 body is server_error', 'badjson', 'server_error', undefined],
  ])('%s', async (_name, mode, reason, status) => {
    const { error, requests } = await failWith(mode);
    expect(error.reason).toBe(reason);
    expect(error.status).toBe(status);
    expect(error.message.startsWith(`stub/${MODEL}: `)).toBe(true);
    expect(requests).toBe(1);
    expectNoKey(error);
  });

  it('429 with Retry-After sets retryAfterMs from the header', async () => {
    const { error, requests } = await failWith({ status: 429, retryAfter: 3 });
    expect(error).toMatchObject({ reason: 'rate_limit', status: 429, retryAfterMs: 3000 });
    expect(error.message).toBe(`stub/${MODEL}: 429 rate_limit_exceeded: Rate limit reached for requests. Please try again in 1s.`);
    expect(requests).toBe(1);
  });

  it('429 without Retry-After takes the "try again in 1s" hint from the text', async () => {
    const { error } = await failWith({ status: 429 });
    expect(error).toMatchObject({ reason: 'rate_limit', retryAfterMs: 1000 });
  });

  it('429 without Retry-After and without a hint leaves retryAfterMs unset', async () => {
    const { error } = await failWith({ status: 429, message: 'Rate limit reached for requests.' });
    expect(error.reason).toBe('rate_limit');
    expect(error.retryAfterMs).toBeUndefined();
  });

  it('the in-stream failure is quoted with its event and code', async () => {
    const { error } = await failWith('sseerror:server_error');
    expect(error.message).toBe(`stub/${MODEL}: response.failed server_error: The server had an error while processing your request.`);
  });

  it('no answer within the deadline is timeout', async () => {
    const { error, requests } = await failWith('hang', { timeoutMs: 200 });
    expect(error.reason).toBe('timeout');
    expect(requests).toBe(1);
  });

  it('a stream that stalls after its first event is timeout', async () => {
    const { error } = await failWith('stall', { timeoutMs: 300 });
    expect(error.reason).toBe('timeout');
  });

  it('connection refused is transport', async () => {
    const provider = stubProvider('openai-responses', `http://127.0.0.1:${await deadPort()}/v1`);
    const error = await attemptError(callApi(input({ provider }), new AbortController().signal));
    expect(error.reason).toBe('transport');
    expect(error.message).toContain('ECONNREFUSED');
    expectNoKey(error);
  });

  it('an empty answer is unknown', async () => {
    fx.stub.setText('');
    const { error } = await failWith('ok');
    expect(error.reason).toBe('unknown');
  });
});

describe('openai-responses: abort and credentials', () => {
  it("the caller's abort is aborted and ends the hung request", async () => {
    fx.stub.setModes(['hang']);
    const before = fx.stub.modelRequests().length;
    const controller = new AbortController();
    const call = attemptError(callApi(input(), controller.signal));
    await until(() => fx.stub.modelRequests().length > before);
    controller.abort();
    expect((await call).reason).toBe('aborted');
    expect(fx.stub.modelRequests().length - before).toBe(1);
  });

  it('the built-in openai without a key fails with auth before sending anything', async () => {
    const provider = resolveApiProviders(undefined, { OPENAI_BASE_URL: `${fx.stub.url}/v1` }, '<inline>')['openai'];
    const before = fx.stub.requests.length;
    const error = await attemptError(callApi(input({ provider: provider! }), new AbortController().signal));
    expect(error.reason).toBe('auth');
    expect(error.message).toBe(`openai/${MODEL}: no API key — set OPENAI_API_KEY or models.providers.openai.apiKey`);
    expect(fx.stub.requests.length).toBe(before);
  });

  it('a key-less custom provider sends no Authorization header', async () => {
    const provider = stubProvider('openai-responses', `${fx.stub.url}/v1`, { apiKey: null });
    await callApi(input({ provider }), new AbortController().signal);
    expect(fx.stub.modelRequests().at(-1)?.headers['authorization']).toBeUndefined();
  });
});
