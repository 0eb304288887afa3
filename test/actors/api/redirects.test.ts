/**
 * Issue 13, case 7: an API provider answering a redirect is never followed, on both SDK paths
 * (Anthropic, OpenAI Responses and Chat Completions). A real loopback server answers 307/302 with a
 * `Location` on a second real server (another origin); the second one must see nothing — no key,
 * no prompt — and the attempt fails as `config`, naming the redirect and never the key.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callApi } from '../../../src/actors/api/call-api.js';
import type { ApiKind } from '../../../src/config/types.js';
import { KEY, attemptError, expectNoKey, stubProvider } from './helpers.js';

interface Recorded {
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A loopback server answering every request with `answer`, recording what it received. */
async function recordingServer(answer: (url: string) => { status: number; headers?: Record<string, string>; body?: string }) {
  const received: Recorded[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ url: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      const { status, headers = {}, body = '' } = answer(request.url ?? '');
      response.writeHead(status, headers).end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { server, url, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const PROMPT = 'the prompt that must stay home';
const PATHS: Record<ApiKind, string> = { 'anthropic-messages': '', 'openai-responses': '/v1', 'openai-completions': '/v1' };

describe('API redirects (issue 13, case 7)', () => {
  let target: Awaited<ReturnType<typeof recordingServer>>;
  let redirector: Awaited<ReturnType<typeof recordingServer>>;
  let status = 307;
  beforeAll(async () => {
    target = await recordingServer(() => ({ status: 200, headers: { 'content-type': 'application/json' }, body: '{}' }));
    redirector = await recordingServer((url) => ({
      status,
      headers: { location: url.startsWith('/same') ? '/elsewhere' : `${target.url}${url}` },
    }));
  });
  afterAll(async () => {
    await Promise.all([target?.close(), redirector?.close()]);
  });

  for (const api of Object.keys(PATHS) as ApiKind[]) {
    for (const code of [307, 302]) {
      it(`${api}: a ${code} to another origin is not followed — the other host gets neither key nor prompt, the attempt fails as config`, async () => {
        status = code;
        const before = redirector.received.length;
        const error = await attemptError(
          callApi(
            {
              provider: stubProvider(api, `${redirector.url}${PATHS[api]}`),
              model: 'm',
              history: [],
              prompt: PROMPT,
              systemPrompt: undefined,
              images: [],
              timeoutMs: 10_000,
            },
            new AbortController().signal,
          ),
        );
        expect(redirector.received.length).toBe(before + 1);
        expect(target.received).toEqual([]);
        expect(error.reason).toBe('config');
        expect(error.message).toContain(`answered ${code}, a redirect to another origin (${target.url})`);
        expectNoKey(error);
      });
    }
  }

  it('a redirect to the same origin is not followed either', async () => {
    status = 307;
    const before = redirector.received.length;
    const error = await attemptError(
      callApi(
        {
          provider: stubProvider('openai-completions', `${redirector.url}/same/v1`),
          model: 'm',
          history: [],
          prompt: PROMPT,
          systemPrompt: undefined,
          images: [],
          timeoutMs: 10_000,
        },
        new AbortController().signal,
      ),
    );
    expect(redirector.received.length).toBe(before + 1);
    expect(redirector.received.at(-1)?.url).toBe('/same/v1/chat/completions');
    expect(error.reason).toBe('config');
    expect(error.message).toContain('a redirect to the same origin');
    expect(error.message).not.toContain(KEY);
  });
});
