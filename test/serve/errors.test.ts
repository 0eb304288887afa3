/**
 * Failures in the client's own wire format with a fitting status: bad bodies, unknown models,
 * every candidate failed (by reason), rate limits with Retry-After, API keys, body size, CORS.
 */
import { describe, expect, it } from 'vitest';
import { PRIMARY, useServeRig, type RigOptions, type ServeRig } from './rig.js';

/** An error body of either format (OpenAI has no top-level `type`). */
interface ErrorJson {
  type?: string;
  error: { message: string; type: string; param?: string | null; code?: string | null };
}

/** A raw POST (fetch), so the test sees exactly the status, headers and body the server sent. */
async function post(rig: ServeRig, path: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${rig.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, json: (await response.json()) as ErrorJson };
}

const chat = (content = 'hi', model = PRIMARY) => ({ model, messages: [{ role: 'user', content }] });
const anthropic = (content = 'hi', model = PRIMARY) => ({ model, max_tokens: 50, messages: [{ role: 'user', content }] });
/** Only the primary: no CLI fallback. */
const primaryOnly: RigOptions['config'] = () => ({ agents: { defaults: { model: { primary: PRIMARY, fallbacks: [] } } } });

describe('serve: errors in the wire format of the client', () => {
  const start = useServeRig();

  it('a bad body is a 400 naming the field, in each format', async () => {
    const rig = await start();
    const openai = await post(rig, '/v1/chat/completions', { model: PRIMARY, messages: [{ role: 'bot', content: 'x' }] });
    expect(openai.status).toBe(400);
    expect(openai.json['error']).toMatchObject({ type: 'invalid_request_error', param: 'messages[0].role' });
    expect(openai.json['error'].message).toMatch(/^messages\[0\]\.role: must be one of/);
    const missing = await post(rig, '/v1/messages', { model: PRIMARY, messages: [{ role: 'user', content: 'x' }] });
    expect(missing.status).toBe(400);
    expect(missing.json).toEqual({ type: 'error', error: { type: 'invalid_request_error', message: 'max_tokens: is required' } });
    const notJson = await post(rig, '/v1/messages', '{"model":');
    expect(notJson.status).toBe(400);
    expect(notJson.json['type']).toBe('error');
  });

  it('a NUL byte in a prompt is a 400 naming the field without quoting the prompt, in each format', async () => {
    const rig = await start();
    for (const [path, body] of [
      ['/v1/chat/completions', chat('private-words\u0000')],
      ['/v1/messages', anthropic('private-words\u0000')],
    ] as const) {
      const response = await post(rig, path, body);
      expect(response.status).toBe(400);
      expect(response.json.error.type).toBe('invalid_request_error');
      expect(response.json.error.message).toContain('NUL');
      expect(response.json.error.message).not.toContain('private-words');
    }
  });

  it('tools are never ignored: a tools request that no candidate speaks is a 502 listing the skipped candidates, nothing is sent', async () => {
    const rig = await start();
    // The primary speaks Anthropic Messages and the fallback is a CLI: nothing can take a Chat Completions body.
    const openai = await post(rig, '/v1/chat/completions', { ...chat(), tools: [{ type: 'function', function: { name: 'f' } }] });
    expect(openai.status).toBe(502);
    expect(openai.headers.get('x-safetynet-attempts')).toBe(`${PRIMARY}=skipped:config, ${rig.fallback}=skipped:config`);
    expect(openai.json['error'].message).toContain('speaks anthropic-messages');
    const format = await post(rig, '/v1/chat/completions', { ...chat(), response_format: { type: 'json_object' } });
    expect(format.status).toBe(502);
    expect(rig.stub.modelRequests()).toHaveLength(0);
  });

  it('an unknown or not-allowed model is a 404 model_not_found / not_found_error', async () => {
    const rig = await start({ config: (fallback) => ({ agents: { defaults: { models: { [PRIMARY]: {}, [fallback]: {} } } } }) });
    const unknown = await post(rig, '/v1/chat/completions', chat('hi', 'nobody/none'));
    expect(unknown.status).toBe(404);
    expect(unknown.json['error']).toMatchObject({ code: 'model_not_found', param: 'model', type: 'invalid_request_error' });
    const notAllowed = await post(rig, '/v1/messages', anthropic('hi', 'stub/other-model'));
    expect(notAllowed.status).toBe(404);
    expect(notAllowed.json['error'].type).toBe('not_found_error');
    expect(notAllowed.json['error'].message).toMatch(/not allowed/);
  });

  it('every candidate failing for different reasons is a 502 listing the attempts', async () => {
    const rig = await start({ modes: [{ status: 500 }] });
    rig.setCliMode('auth');
    const failed = await post(rig, '/v1/chat/completions', chat());
    expect(failed.status).toBe(502);
    expect(failed.json['error'].type).toBe('server_error');
    expect(failed.headers.get('x-safetynet-attempts')).toBe(`${PRIMARY}=server_error, ${rig.fallback}=auth`);
  });

  it('every candidate overloaded is a 503 overloaded_error', async () => {
    const rig = await start({ modes: [{ status: 529 }], config: primaryOnly });
    const failed = await post(rig, '/v1/messages', anthropic());
    expect(failed.status).toBe(503);
    expect(failed.json['error'].type).toBe('overloaded_error');
  });

  it('every candidate timing out is a 504', async () => {
    const rig = await start({ modes: ['hang'], config: () => ({ agents: { defaults: { timeoutSeconds: 1 } } }) });
    rig.setCliMode('hang');
    const failed = await post(rig, '/v1/chat/completions', chat());
    expect(failed.status).toBe(504);
    expect(failed.headers.get('x-safetynet-attempts')).toBe(`${PRIMARY}=timeout, ${rig.fallback}=timeout`);
  });

  it('every candidate rate-limited is a 429 with the Retry-After the provider gave', async () => {
    const rig = await start({ modes: [{ status: 429, retryAfter: 7 }], config: primaryOnly });
    const limited = await post(rig, '/v1/chat/completions', chat());
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('7');
    expect(limited.json['error']).toMatchObject({ type: 'rate_limit_error', code: 'rate_limit_exceeded' });
  });

  it('with API keys, a wrong or missing key is a 401 in the wire format; the right one in either header is served; /healthz is open', async () => {
    const rig = await start({ serve: { apiKeys: ['sk-right'] }, clientKey: 'sk-right' });
    const wrong = await post(rig, '/v1/chat/completions', chat(), { authorization: 'Bearer sk-wrong' });
    expect(wrong.status).toBe(401);
    expect(wrong.json['error'].code).toBe('invalid_api_key');
    const none = await post(rig, '/v1/messages', anthropic());
    expect(none.status).toBe(401);
    expect(none.json).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
    expect((await post(rig, '/v1/messages', anthropic(), { 'x-api-key': 'sk-right' })).status).toBe(200);
    expect((await rig.openai.chat.completions.create(chat() as never)).object).toBe('chat.completion');
    expect((await fetch(`${rig.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${rig.url}/metrics`)).status).toBe(401);
  });

  it('a 40 MB body is a 413 in the wire format (the default limit is 32 MiB)', async () => {
    const rig = await start();
    const big = await post(rig, '/v1/messages', anthropic('x'.repeat(40 * 1024 * 1024)));
    expect(big.status).toBe(413);
    expect(big.json['error'].type).toBe('request_too_large');
    expect(rig.stub.modelRequests()).toHaveLength(0);
  });

  it('CORS headers go to configured origins only', async () => {
    const rig = await start({ serve: { corsOrigins: ['http://app.test'] } });
    const allowed = await fetch(`${rig.url}/v1/models`, { headers: { origin: 'http://app.test' } });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('http://app.test');
    const other = await fetch(`${rig.url}/v1/models`, { headers: { origin: 'http://evil.test' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await fetch(`${rig.url}/v1/chat/completions`, { method: 'OPTIONS', headers: { origin: 'http://app.test' } });
    expect(preflight.status).toBe(204);
  });
});
