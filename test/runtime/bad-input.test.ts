/**
 * Bad input gets a clear error at the boundary (issue 13, cases 9, 10, 15): a deadline beyond
 * setTimeout's range, a NUL byte in a prompt, and a huge Retry-After, through the public runtime
 * (the fixture CLI as the fallback, a loopback Anthropic stub as the primary, a real LevelDB).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRuntime, type RequestError, type Runtime, type RunRequest } from '../../src/index.js';
import { RETRY_AFTER_MAX_MS } from '../../src/failover/cooldown-policy.js';
import { allFailedProblem } from '../../src/serve/status.js';
import { fakeCliBackend } from '../contract/harnesses.js';
import { apiFirstConfig } from '../support/api-first-config.js';
import { startStubServer, type StubServer } from '../support/stub-server/index.js';

describe('bad input at the boundary', () => {
  let dir: string;
  let stub: StubServer;
  let runtime: Runtime;
  let fallback: Awaited<ReturnType<typeof fakeCliBackend>>;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'safetynet-bad-input-'));
    stub = await startStubServer({ modes: ['echo'] });
    fallback = await fakeCliBackend(join(dir, 'fallback'));
    runtime = await createRuntime({
      config: apiFirstConfig(stub.url, fallback, {
        providers: { keyless: { api: 'anthropic-messages', baseUrl: stub.url, apiKey: '${SAFETYNET_TEST_UNSET_KEY}' } },
      }),
      env: {},
      storeLocation: join(dir, 'state'),
    });
  });

  afterEach(async () => {
    await runtime.close();
    await stub.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("timeoutMs beyond setTimeout's 2^31 − 1 ms is a usage error naming the option, as the config key's rule says", async () => {
    for (const timeoutMs of [3e9, 2_147_483_648, Number.POSITIVE_INFINITY]) {
      await expect(runtime.run({ message: 'hi', timeoutMs })).rejects.toMatchObject({
        code: 'SAFETYNET_USAGE',
        message: expect.stringMatching(/request\.timeoutMs: expected a positive number of milliseconds \(at most 2147483647\)/),
      });
    }
    expect(stub.modelRequests()).toHaveLength(0);
  });

  it('the longest deadline the rule allows does not fire at once: the request is answered', async () => {
    const result = await runtime.run({ message: 'slow is fine', timeoutMs: 2_147_483_647 });
    expect(result).toMatchObject({ backend: 'api', model: 'stub/claude-test' });
  });

  it('a NUL byte in the message, the system prompt or a message content is a usage error naming the field, never echoing the prompt', async () => {
    const secret = 'my-private-prompt';
    const requests: Array<[RunRequest, string]> = [
      [{ message: `${secret}\u0000tail` }, 'request.message'],
      [{ message: 'fine', systemPrompt: `${secret}\u0000` }, 'request.systemPrompt'],
      [{ messages: [{ role: 'user', content: `${secret}\u0000` }] }, 'request.messages[0].content'],
      [
        {
          messages: [
            { role: 'system', content: `\u0000${secret}` },
            { role: 'user', content: 'fine' },
          ],
        },
        'request.messages[0].content',
      ],
      [{ messages: [{ role: 'user', content: [{ type: 'text', text: `${secret}\u0000` }] }] }, 'request.messages[0].content'],
    ];
    for (const [request, field] of requests) {
      const error = (await runtime.run(request).catch((e: unknown) => e)) as RequestError;
      expect(error).toMatchObject({ code: 'SAFETYNET_USAGE' });
      expect(error.message).toContain(field);
      expect(error.message).toContain('NUL');
      expect(error.message).not.toContain(secret);
    }
    expect(stub.modelRequests()).toHaveLength(0);
  });

  it('a huge Retry-After is reported as the cooldown it applied (capped at 1 h): in the attempt, the trace and serve’s Retry-After', async () => {
    stub.setModes([{ status: 429, retryAfter: 999_999_999 }, 'echo']);
    const result = await runtime.run({ message: 'rate limited' });
    expect(result.attempts[0]).toMatchObject({
      model: 'stub/claude-test',
      ok: false,
      reason: 'rate_limit',
      retryAfterMs: RETRY_AFTER_MAX_MS,
    });
    const trace = await runtime.traces.last();
    expect(trace?.attempts[0]).toMatchObject({ reason: 'rate_limit', retryAfterMs: RETRY_AFTER_MAX_MS });
    expect(allFailedProblem([result.attempts[0]!], 'all failed').retryAfterSeconds).toBe(RETRY_AFTER_MAX_MS / 1000);
  });

  it('an apiKey naming an unset variable fails the attempt with reason config, naming the key path and the variable, and sends nothing', async () => {
    const result = await runtime.run({ message: 'keyless', model: 'keyless/claude-test' }).catch((error: unknown) => error as RequestError);
    const attempt = (result as RequestError).attempts?.[0] ?? (result as { attempts: RequestError['attempts'] }).attempts[0];
    expect(attempt).toMatchObject({ model: 'keyless/claude-test', ok: false, reason: 'config' });
    expect(attempt?.detail).toContain('models.providers.keyless.apiKey');
    expect(attempt?.detail).toContain('SAFETYNET_TEST_UNSET_KEY');
    expect(stub.modelRequests()).toHaveLength(0);
  });
});
