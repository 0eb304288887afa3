import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { callApi } from '../../../src/actors/api/call-api.js';
import { completionsBody } from '../../../src/actors/api/openai-completions.js';
import { DEFAULT_MAX_STDOUT_BYTES } from '../../../src/actors/cli/process.js';
import { MAX_ANSWER_BYTES } from '../../../src/actors/limits.js';
import type { FailureReason } from '../../../src/errors.js';
import type { StubMode } from '../../support/stub-server/index.js';
import {
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

const MODEL = 'local-model';
const fx = useApiFixture('openai-completions', MODEL, '/v1');
const { input, failWith } = fx;

describe('openai-completions: success', () => {
  it('a streamed answer returns its text, the usage chunk and the completion id', async () => {
    const turn = await callApi(input(), new AbortController().signal);
    expect(turn).toEqual({
      text: 'Hello from the stub.',
      usage: { input: 42, output: 5, total: 47 },
      responseId: expect.stringMatching(/^chatcmpl_stub_\d+$/),
    });
  });

  it('the request streams a system message, then one user message with images as image_url data URLs', async () => {
    const gif = join(fx.dir, 'one.gif');
    await writeFile(gif, Buffer.from('GIF89a'));
    await callApi(input({ systemPrompt: 'be brief', images: [{ path: gif, mimeType: 'image/gif' }] }), new AbortController().signal);
    const request = fx.stub.modelRequests().at(-1);
    expect(request?.path).toBe('/v1/chat/completions');
    expect(request?.json).toMatchObject({
      model: MODEL,
      stream: true,
      stream_options: { include_usage: true },
      messages: [
        { role: 'system', content: 'be brief' },
        {
          role: 'user',
          content: [
            { type: 'image_url', image_url: { url: 'data:image/gif;base64,R0lGODlh' } },
            { type: 'text', text: 'hi' },
          ],
        },
      ],
    });
  });
});

describe('openai-completions: the conversation history', () => {
  const GIF = { mimeType: 'image/gif', data: 'R0lGODlh' };

  it('without history the body is the one-shot body: the system message, then one user message', () => {
    expect(completionsBody(apiRequest(MODEL, { prompt: 'q', systemPrompt: 's' }))).toEqual({
      model: MODEL,
      messages: [
        { role: 'system', content: 's' },
        { role: 'user', content: 'q' },
      ],
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it('the system message comes first, then the earlier turns oldest first with their roles, then the new message', () => {
    const body = completionsBody(apiRequest(MODEL, { history: TWO_TURNS, prompt: 'what fruit?', systemPrompt: 'be brief' }));
    expect(body.messages).toEqual([{ role: 'system', content: 'be brief' }, ...TWO_TURNS_SENT, { role: 'user', content: 'what fruit?' }]);
  });

  it('consecutive turns of one role stay separate messages (Chat Completions accepts them)', () => {
    expect(completionsBody(apiRequest(MODEL, { history: SAME_ROLE_RUNS, prompt: 'new' })).messages).toEqual([
      ...SAME_ROLE_RUNS_SENT,
      { role: 'user', content: 'new' },
    ]);
  });

  it("earlier turns' images are placeholder lines; the new message's images are image_url parts before its text", () => {
    const body = completionsBody(apiRequest(MODEL, { history: TWO_TURNS, prompt: 'and this?', images: [GIF] }));
    expect(body.messages).toEqual([
      ...TWO_TURNS_SENT,
      {
        role: 'user',
        content: [
          { type: 'image_url', image_url: { url: 'data:image/gif;base64,R0lGODlh' } },
          { type: 'text', text: 'and this?' },
        ],
      },
    ]);
  });

  it('a real call sends the earlier turns as native messages between the system message and the new one', async () => {
    const request = await fx.sendTwoTurns();
    expect(request.body?.messages).toEqual([{ role: 'system', text: 'be brief' }, ...TWO_TURNS_RECEIVED]);
    expect(request.json).toMatchObject({
      messages: [{ role: 'system', content: 'be brief' }, ...TWO_TURNS_SENT, { role: 'user', content: 'what fruit?' }],
    });
    expect(request.body?.imageCount).toBe(0);
  });
});

describe('openai-completions: faults (each failure is one request: the SDK never retries)', () => {
  it.each<[string, StubMode, FailureReason]>([
    ['429 is rate_limit', { status: 429, message: 'Too many requests.' }, 'rate_limit'],
    ['500 is server_error', { status: 500 }, 'server_error'],
    ['503 is overloaded', { status: 503 }, 'overloaded'],
    ['401 is auth', { status: 401 }, 'auth'],
    ['400 context_length_exceeded is context_overflow', { status: 400, code: 'context_length_exceeded' }, 'context_overflow'],
    ['an error chunk inside a 200 stream is classified by its code', 'sseerror:server_error', 'server_error'],
    ['a malformed 200 body is server_error', 'badjson', 'server_error'],
  ])('%s', async (_name, mode, reason) => {
    const { error, requests } = await failWith(mode);
    expect(error.reason).toBe(reason);
    expect(requests).toBe(1);
    expectNoKey(error);
  });

  it('429 with Retry-After sets retryAfterMs from the header', async () => {
    const { error } = await failWith({ status: 429, retryAfter: 4, message: 'Too many requests.' });
    expect(error).toMatchObject({ reason: 'rate_limit', status: 429, retryAfterMs: 4000 });
  });

  it('no answer within the deadline is timeout', async () => {
    const { error } = await failWith('hang', { timeoutMs: 200 });
    expect(error.reason).toBe('timeout');
  });

  it('connection refused is transport', async () => {
    const provider = stubProvider('openai-completions', `http://127.0.0.1:${await deadPort()}/v1`);
    const error = await attemptError(callApi(input({ provider }), new AbortController().signal));
    expect(error.reason).toBe('transport');
  });

  it("the caller's abort is aborted", async () => {
    fx.stub.setModes(['hang']);
    const before = fx.stub.modelRequests().length;
    const controller = new AbortController();
    const call = attemptError(callApi(input(), controller.signal));
    await until(() => fx.stub.modelRequests().length > before);
    controller.abort();
    expect((await call).reason).toBe('aborted');
  });
});

describe('openai-completions: a broken or oversized stream is a failure that falls back', () => {
  it('a connection reset mid-stream is transport, not an internal error (a chunk without choices carries no text)', async () => {
    const { error, requests } = await failWith('reset');
    expect(error.reason).toBe('transport');
    expect(error.message).not.toMatch(/Cannot read properties/);
    expect(requests).toBe(1);
    expectNoKey(error);
  });

  it('an answer past the 16 MiB answer cap (MAX_ANSWER_BYTES, shared with CLI stdout) is server_error naming the cap', async () => {
    expect(MAX_ANSWER_BYTES).toBe(DEFAULT_MAX_STDOUT_BYTES);
    let received = 0;
    fx.stub.setModes([`huge:${MAX_ANSWER_BYTES + 1024 * 1024}`]);
    const error = await attemptError(callApi(input(), new AbortController().signal, { onText: (text) => (received += text.length) }));
    expect(error).toMatchObject({
      reason: 'server_error',
      message: expect.stringContaining(`${MAX_ANSWER_BYTES} bytes (16 MiB, the answer cap)`),
    });
    expect(received).toBeLessThanOrEqual(MAX_ANSWER_BYTES);
    expect(error.outputSent).toBe(true);
  });

  it('an answer past the cap with nothing streamed to the caller falls back (outputSent false)', async () => {
    const { error } = await failWith(`huge:${MAX_ANSWER_BYTES + 1}`);
    expect(error.reason).toBe('server_error');
    expect(error.outputSent).not.toBe(true);
  });
});
