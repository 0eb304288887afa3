import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ANTHROPIC_MAX_TOKENS, anthropicBody } from '../../../src/actors/api/anthropic-messages.js';
import { callApi } from '../../../src/actors/api/call-api.js';
import { resolveApiProviders } from '../../../src/config/providers.js';
import type { FailureReason } from '../../../src/errors.js';
import type { StubMode } from '../../support/stub-server/index.js';
import {
  KEY,
  SAME_ROLE_RUNS,
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

const MODEL = 'claude-test';
const fx = useApiFixture('anthropic-messages', MODEL);
const { input, failWith } = fx;

describe('anthropic-messages: success', () => {
  it('a streamed answer returns its text, usage and message id', async () => {
    const turn = await callApi(input(), new AbortController().signal);
    expect(turn.text).toBe('Hello from the stub.');
    expect(turn.usage).toEqual({ input: 21, output: 5 });
    expect(turn.responseId).toMatch(/^msg_stub_\d+$/);
  });

  it('the request streams one user message with the model, max_tokens, system prompt and x-api-key', async () => {
    await callApi(input({ systemPrompt: 'be brief', prompt: 'question?' }), new AbortController().signal);
    const request = fx.stub.modelRequests().at(-1);
    expect(request?.path).toBe('/v1/messages');
    expect(request?.json).toMatchObject({
      model: MODEL,
      max_tokens: ANTHROPIC_MAX_TOKENS,
      stream: true,
      system: 'be brief',
      messages: [{ role: 'user', content: 'question?' }],
    });
    expect(request?.headers['x-api-key']).toBe(`${KEY.slice(0, 18)}…<redacted>`);
    expect(request?.headers['authorization']).toBeUndefined();
    expect(request?.headers['x-stainless-retry-count']).toBe('0');
  });

  it('authHeader: true sends the key as Authorization: Bearer instead of x-api-key', async () => {
    const provider = resolveApiProviders(
      { bearer: { api: 'anthropic-messages', baseUrl: fx.stub.url, apiKey: KEY, authHeader: true } },
      {},
      '<inline>',
    )['bearer'];
    await callApi(input({ provider: provider! }), new AbortController().signal);
    const headers = fx.stub.modelRequests().at(-1)?.headers ?? {};
    expect(headers['authorization']).toMatch(/^Bearer sk-test-SEC/);
    expect(headers['x-api-key']).toBeUndefined();
  });

  it('images go as base64 image blocks before the text', async () => {
    const png = join(fx.dir, 'one.png');
    await writeFile(png, Buffer.from('89504e470d0a1a0a', 'hex'));
    await callApi(input({ images: [{ path: png, mimeType: 'image/png' }] }), new AbortController().signal);
    const request = fx.stub.modelRequests().at(-1);
    expect(request?.body?.imageCount).toBe(1);
    expect(request?.json).toMatchObject({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
            { type: 'text', text: 'hi' },
          ],
        },
      ],
    });
  });

  it('configured headers are sent; a key-less custom provider sends no credential', async () => {
    const provider = stubProvider('anthropic-messages', fx.stub.url, { apiKey: null, headers: { 'X-Tenant': 't1' } });
    await callApi(input({ provider }), new AbortController().signal);
    const headers = fx.stub.modelRequests().at(-1)?.headers ?? {};
    expect(headers['x-tenant']).toBe('t1');
    expect(headers['x-api-key']).toBeUndefined();
    expect(headers['authorization']).toBeUndefined();
  });
});

describe('anthropic-messages: the conversation history', () => {
  const PNG = { mimeType: 'image/png', data: 'iVBORw0KGgo=' };

  it('without history the body is the one-shot body: one user message', () => {
    expect(anthropicBody(apiRequest(MODEL, { prompt: 'q', systemPrompt: 's' }))).toEqual({
      model: MODEL,
      max_tokens: ANTHROPIC_MAX_TOKENS,
      messages: [{ role: 'user', content: 'q' }],
      stream: true,
      system: 's',
    });
  });

  it('earlier turns go first, oldest first, with their roles; the new message is last; the system prompt stays apart', () => {
    const body = anthropicBody(apiRequest(MODEL, { history: TWO_TURNS, prompt: 'what fruit?', systemPrompt: 'be brief' }));
    expect(body.messages).toEqual([...TWO_TURNS_SENT, { role: 'user', content: 'what fruit?' }]);
    expect(body.system).toBe('be brief');
  });

  it('consecutive turns of one role are merged into one message (texts joined by a blank line), so roles alternate', () => {
    const body = anthropicBody(apiRequest(MODEL, { history: SAME_ROLE_RUNS, prompt: 'new' }));
    expect(body.messages).toEqual([
      { role: 'user', content: 'u1\n\nu2' },
      { role: 'assistant', content: 'a1\n\na2' },
      { role: 'user', content: 'new' },
    ]);
  });

  it('a history ending with a user turn is merged into the new message, whose text stays last (images still inline)', () => {
    const history = [...TWO_TURNS, { role: 'user' as const, text: 'unanswered' }];
    expect(anthropicBody(apiRequest(MODEL, { history, prompt: 'new' })).messages.at(-1)).toEqual({
      role: 'user',
      content: 'unanswered\n\nnew',
    });
    expect(anthropicBody(apiRequest(MODEL, { history, prompt: 'new', images: [PNG] })).messages.at(-1)).toEqual({
      role: 'user',
      content: [
        { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG.data } },
        { type: 'text', text: 'unanswered\n\nnew' },
      ],
    });
  });

  it('a history that starts with an assistant turn keeps it as the first message', () => {
    const body = anthropicBody(apiRequest(MODEL, { history: [{ role: 'assistant', text: 'Welcome!' }], prompt: 'thanks' }));
    expect(body.messages).toEqual([
      { role: 'assistant', content: 'Welcome!' },
      { role: 'user', content: 'thanks' },
    ]);
  });

  it("earlier turns' images are placeholder lines; the new message's images are base64 blocks before its text", () => {
    const body = anthropicBody(apiRequest(MODEL, { history: TWO_TURNS, prompt: 'and this?', images: [PNG] }));
    expect(body.messages).toEqual([
      ...TWO_TURNS_SENT,
      {
        role: 'user',
        content: [
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG.data } },
          { type: 'text', text: 'and this?' },
        ],
      },
    ]);
  });

  it('a real call sends the earlier turns as native messages before the new one, the system prompt apart', async () => {
    const request = await fx.sendTwoTurns();
    expect(request.body?.messages).toEqual(TWO_TURNS_RECEIVED);
    expect(request.json).toMatchObject({ system: 'be brief', messages: [...TWO_TURNS_SENT, { role: 'user', content: 'what fruit?' }] });
    expect(request.body?.imageCount).toBe(0);
  });
});

describe('anthropic-messages: fault matrix (each failure is one request: the SDK never retries)', () => {
  it.each<[string, StubMode, FailureReason, number | undefined]>([
    ['429 is rate_limit', { status: 429 }, 'rate_limit', 429],
    ['529 is overloaded', { status: 529 }, 'overloaded', 529],
    ['500 is server_error', { status: 500 }, 'server_error', 500],
    ['503 is overloaded', { status: 503 }, 'overloaded', 503],
    ['401 is auth', { status: 401 }, 'auth', 401],
    ['403 is auth', { status: 403 }, 'auth', 403],
    ['404 is model_not_found', { status: 404 }, 'model_not_found', 404],
    [
      '400 "prompt is too long" is context_overflow',
      { status: 400, message: 'prompt is too long: 215345 tokens > 200000 maximum' },
      'context_overflow',
      400,
    ],
    ['413 request_too_large is context_overflow', { status: 413 }, 'context_overflow', 413],
    [
      '400 "credit balance is too low" is billing',
      { status: 400, message: 'Your credit balance is too low to access the Anthropic API.' },
      'billing',
      400,
    ],
    ['an overloaded_error event inside a 200 stream is overloaded', 'sseerror:overloaded_error', 'overloaded', undefined],
    ['a rate_limit_error event inside a 200 stream is rate_limit', 'sseerror:rate_limit_error', 'rate_limit', undefined],
    ['an api_error event inside a 200 stream is server_error', 'sseerror:api_error', 'server_error', undefined],
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
    const { error, requests } = await failWith({ status: 429, retryAfter: 7 });
    expect(error).toMatchObject({ reason: 'rate_limit', status: 429, retryAfterMs: 7000 });
    expect(error.message).toBe(
      `stub/${MODEL}: 429 rate_limit_error: This request would exceed the rate limit for your organization of 50 input tokens per minute.`,
    );
    expect(requests).toBe(1);
  });

  it('429 without Retry-After leaves retryAfterMs unset', async () => {
    const { error } = await failWith({ status: 429 });
    expect(error.reason).toBe('rate_limit');
    expect(error.retryAfterMs).toBeUndefined();
  });

  it('529 with Retry-After keeps the hint for the cooldown', async () => {
    const { error } = await failWith({ status: 529, retryAfter: 2 });
    expect(error).toMatchObject({ reason: 'overloaded', retryAfterMs: 2000 });
  });

  it('no answer within the deadline is timeout', async () => {
    const { error, requests } = await failWith('hang', { timeoutMs: 200 });
    expect(error.reason).toBe('timeout');
    expect(error.message).toBe(`stub/${MODEL}: no answer within 200 ms`);
    expect(requests).toBe(1);
  });

  it('a stream that stalls after its first event is timeout (the deadline covers the whole stream)', async () => {
    const { error, requests } = await failWith('stall', { timeoutMs: 300 });
    expect(error.reason).toBe('timeout');
    expect(requests).toBe(1);
  });

  it("the provider's timeoutMs replaces the attempt deadline", async () => {
    const provider = stubProvider('anthropic-messages', fx.stub.url, { timeoutMs: 150 });
    const { error } = await failWith('hang', { provider, timeoutMs: 60_000 });
    expect(error.message).toBe(`stub/${MODEL}: no answer within 150 ms`);
  });

  it('connection refused is transport', async () => {
    const provider = stubProvider('anthropic-messages', `http://127.0.0.1:${await deadPort()}`);
    const error = await attemptError(callApi(input({ provider }), new AbortController().signal));
    expect(error.reason).toBe('transport');
    expect(error.message).toContain('ECONNREFUSED');
    expectNoKey(error);
  });

  it('an empty answer is unknown', async () => {
    fx.stub.setText('');
    const { error } = await failWith('ok');
    expect(error.reason).toBe('unknown');
    expect(error.message).toBe(`stub/${MODEL}: the provider sent an empty answer`);
  });

  it('a key echoed by the provider is redacted from the message', async () => {
    const { error } = await failWith({ status: 401, message: `invalid x-api-key ${KEY}` });
    expect(error.reason).toBe('auth');
    expect(error.message).toBe(`stub/${MODEL}: 401 authentication_error: invalid x-api-key [redacted]`);
    expect(JSON.stringify(error.toFailure())).not.toContain(KEY);
  });
});

describe('anthropic-messages: abort and credentials', () => {
  it("the caller's abort is aborted and ends the hung request", async () => {
    fx.stub.setModes(['hang']);
    const before = fx.stub.modelRequests().length;
    const controller = new AbortController();
    const call = attemptError(callApi(input(), controller.signal));
    await until(() => fx.stub.modelRequests().length > before);
    controller.abort();
    const error = await call;
    expect(error).toMatchObject({ reason: 'aborted', code: 'SAFETYNET_ABORTED' });
    expect(fx.stub.modelRequests().length - before).toBe(1);
  });

  it('an already aborted signal sends nothing', async () => {
    const before = fx.stub.requests.length;
    const error = await attemptError(callApi(input(), AbortSignal.abort()));
    expect(error.reason).toBe('aborted');
    expect(fx.stub.requests.length).toBe(before);
  });

  it('the built-in anthropic without a key fails with auth before sending anything', async () => {
    const provider = resolveApiProviders(undefined, { ANTHROPIC_BASE_URL: fx.stub.url }, '<inline>')['anthropic'];
    expect(provider).toBeDefined();
    const before = fx.stub.requests.length;
    const error = await attemptError(callApi(input({ provider: provider! }), new AbortController().signal));
    expect(error.reason).toBe('auth');
    expect(error.message).toBe(`anthropic/${MODEL}: no API key — set ANTHROPIC_API_KEY or models.providers.anthropic.apiKey`);
    expect(fx.stub.requests.length).toBe(before);
  });
});
