/**
 * The stub server's shared part, whatever the protocol: the routing (model calls, count_tokens,
 * models, 404, WebSocket upgrades), the request log, the modes applied in order with the last one
 * repeating, the request budget, echo, badjson, hang and close(). The wire formats and the real
 * CLIs are proven per protocol (anthropic-messages, openai-responses, openai-completions).
 */
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { post, stubKit } from './test-kit.js';

const kit = stubKit();
const MSG = {
  model: 'm',
  messages: [
    { role: 'user', content: 'one' },
    { role: 'assistant', content: 'x' },
    { role: 'user', content: 'two' },
  ],
};

describe('stub server (routing, request log, modes)', () => {
  it('routes the three model APIs, count_tokens, models and 404, and logs every request in order', async () => {
    const s = await kit.stub();
    const msg = { model: 'claude-x', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }] };
    expect((await post(`${s.url}/v1/messages?beta=true`, { ...msg, stream: true })).status).toBe(200);
    expect(await (await post(`${s.url}/v1/messages/count_tokens`, msg)).json()).toEqual({ input_tokens: 42 });
    expect((await post(`${s.url}/v1/responses`, { model: 'gpt-x', input: 'hi' })).status).toBe(200);
    expect((await post(`${s.url}/v1/chat/completions`, { model: 'gpt-x', messages: [] })).status).toBe(200);
    expect(await (await fetch(`${s.url}/v1/models`)).json()).toMatchObject({ object: 'list', data: [] });
    expect((await fetch(`${s.url}/`, { method: 'HEAD' })).status).toBe(404);
    expect((await fetch(`${s.url}/v1/messages`)).status).toBe(404);

    expect(s.requests.map((r) => r.kind)).toEqual([
      'anthropic.messages',
      'anthropic.count_tokens',
      'openai.responses',
      'openai.chat',
      'models',
      'not_found',
      'not_found',
    ]);
    expect(s.requests.map((r) => r.seq)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(s.modelRequests().map((r) => r.modelCall)).toEqual([0, 1, 2]);
    expect(s.requests[0]).toMatchObject({ method: 'POST', url: '/v1/messages?beta=true', path: '/v1/messages', mode: 'ok' });
    expect(s.requests[0]?.body).toMatchObject({ model: 'claude-x', stream: true, roles: ['user'], lastUserText: 'hi', turns: 1 });
  });

  it('the log cuts API keys and bearer tokens short', async () => {
    const s = await kit.stub();
    const secret = 'sk-0123456789abcdefghijklmnop';
    await fetch(`${s.url}/v1/models`, { headers: { authorization: `Bearer ${secret}`, 'x-api-key': secret } });
    const headers = s.requests[0]?.headers ?? {};
    expect(JSON.stringify(headers)).not.toContain(secret);
    expect(headers['authorization']).toMatch(/^Bearer sk-0\w*…<redacted>$/);
    expect(headers['x-api-key']).toMatch(/^sk-0\w*…<redacted>$/);
  });

  it('applies modes in order (the last repeats), retry-after, then the budget answers 503', async () => {
    const s = await kit.stub({ modes: [{ status: 429, retryAfter: 3 }, { status: 529 }, 'ok'], requestBudget: 4 });
    const r1 = await post(`${s.url}/v1/messages`, MSG);
    expect([r1.status, r1.headers.get('retry-after')]).toEqual([429, '3']);
    expect((await post(`${s.url}/v1/responses`, { model: 'm', input: 'x' })).status).toBe(529);
    expect((await post(`${s.url}/v1/messages`, MSG)).status).toBe(200);
    expect((await post(`${s.url}/v1/chat/completions`, MSG)).status).toBe(200);
    // Past the budget (4 model calls) everything answers 503.
    expect((await post(`${s.url}/v1/messages`, MSG)).status).toBe(503);
    expect(s.modelRequests().map((r) => r.mode)).toEqual(['status:429', 'status:529', 'ok', 'ok', 'budget:503']);
  });

  it('setModes restarts from its first entry; a mode function sees each call; echo replies with the last user text and turns', async () => {
    const s = await kit.stub({ modes: ['ok'] });
    s.setModes([{ status: 401 }, 'echo']);
    expect((await post(`${s.url}/v1/messages`, MSG)).status).toBe(401);
    const e = (await (await post(`${s.url}/v1/messages`, MSG)).json()) as { content: { text: string }[] };
    expect(e.content[0]?.text).toBe('echo: two turns=2');

    const seen: string[] = [];
    const s2 = await kit.stub({
      modes: (call) => {
        seen.push(`${call.index}:${call.api}:${call.stream}`);
        return call.index === 0 ? 'badjson' : 'echo';
      },
    });
    const b = await post(`${s2.url}/v1/messages`, MSG);
    expect(b.status).toBe(200);
    await expect(b.json()).rejects.toThrow();
    expect(await (await post(`${s2.url}/v1/responses`, { model: 'm', input: 'x', stream: true })).text()).toContain('echo: x turns=1');
    s2.setText('changed');
    s2.setModes(['ok']);
    expect(await (await post(`${s2.url}/v1/chat/completions`, MSG)).json()).toMatchObject({
      choices: [{ message: { content: 'changed' } }],
    });
    expect(seen).toEqual(['0:anthropic:false', '1:openai-responses:true']);
  });

  it('hang never answers until close() ends the socket; a WebSocket upgrade gets 426', async () => {
    const s = await kit.stub({ modes: ['hang'] });
    const hung = post(`${s.url}/v1/responses`, { model: 'm', input: 'x', stream: true });
    hung.catch(() => undefined);
    while (s.requests.length < 1) await new Promise((r) => setTimeout(r, 10));

    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = request(`${s.url}/v1/responses`, { headers: { connection: 'Upgrade', upgrade: 'websocket' } });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode);
      });
      req.on('upgrade', () => resolve(101));
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(426);
    expect(s.requests.at(-1)?.kind).toBe('websocket');

    await s.close();
    await s.close(); // idempotent
    await expect(hung).rejects.toThrow();
  });
});
