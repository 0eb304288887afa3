/**
 * Passthrough requests through the public runtime (`RunRequest.passthrough`): the final message
 * object in `RunResult.passthrough`, raw events to `onEvent`, skipped candidates that say why, no
 * transcript and no CLI session stored, and the boundary checks.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRuntime, type PassthroughEvent, type RequestError, type Runtime } from '../../src/index.js';
import { fakeCliBackend } from '../contract/harnesses.js';
import { STUB_TOOL_INPUT } from '../support/stub-server/tool-use.js';
import { apiFirstConfig } from '../support/api-first-config.js';
import { startStubServer, type StubServer } from '../support/stub-server/index.js';

const BODY = {
  model: 'stub/claude-test',
  max_tokens: 100,
  tools: [{ name: 'get_weather', input_schema: { type: 'object' } }],
  messages: [{ role: 'user', content: 'weather?' }],
};

describe('runtime: passthrough requests', () => {
  let dir: string;
  let stub: StubServer;
  let runtime: Runtime;
  let fallback: Awaited<ReturnType<typeof fakeCliBackend>>;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'safetynet-passthrough-'));
    stub = await startStubServer({ modes: ['tooluse'] });
    fallback = await fakeCliBackend(join(dir, 'fallback'));
    runtime = await createRuntime({
      config: apiFirstConfig(stub.url, fallback),
      storeLocation: join(dir, 'state'),
    });
  });

  afterEach(async () => {
    await runtime.close();
    await stub.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('the answer carries the provider final message; raw events go to onEvent with the answering ref', async () => {
    const events: PassthroughEvent[] = [];
    const result = await runtime.run({
      passthrough: { format: 'anthropic-messages', body: BODY },
      onEvent: (event) => events.push(event),
    });
    expect(result).toMatchObject({ backend: 'api', model: 'stub/claude-test', text: '' });
    expect(result.passthrough?.format).toBe('anthropic-messages');
    expect(result.passthrough?.response['content']).toEqual([
      { type: 'tool_use', id: expect.any(String), name: 'get_weather', input: STUB_TOOL_INPUT },
    ]);
    expect(events[0]).toMatchObject({ model: 'stub/claude-test', event: { type: 'message_start' } });
    expect(events.at(-1)?.event['type']).toBe('message_stop');
  });

  it('a passthrough request with a session key stores no transcript and no CLI session', async () => {
    await runtime.run({ passthrough: { format: 'anthropic-messages', body: BODY }, sessionKey: 'tools-chat' });
    expect((await runtime.sessions.transcript('tools-chat')).turns).toEqual([]);
    expect(await runtime.sessions.list('tools-chat')).toEqual([]);
  });

  it('the text-only CLI fallback is a skipped attempt (config) whose detail says why', async () => {
    stub.setModes([{ status: 529 }]);
    const error = (await runtime.run({ passthrough: { format: 'anthropic-messages', body: BODY } }).catch((e) => e)) as RequestError;
    expect(error.code).toBe('SAFETYNET_ALL_CANDIDATES_FAILED');
    expect(error.attempts[1]).toMatchObject({ model: fallback.model, skipped: true, reason: 'config' });
    expect(error.attempts[1]?.detail).toMatch(/^text-only CLI backend: .*anthropic-messages/);
  });

  it('when the only candidate that can serve it cools down, it is still tried (the skipped CLI does not count as a way out)', async () => {
    stub.setModes([{ status: 529 }, 'tooluse']);
    const request = { passthrough: { format: 'anthropic-messages' as const, body: BODY } };
    await expect(runtime.run(request)).rejects.toMatchObject({ code: 'SAFETYNET_ALL_CANDIDATES_FAILED' });
    const result = await runtime.run(request);
    expect(result.attempts.map((attempt) => [attempt.model, attempt.skipped === true ? `skipped:${attempt.reason}` : attempt.ok])).toEqual([
      ['stub/claude-test', true],
    ]);
    expect(result.passthrough?.response['stop_reason']).toBe('tool_use');
  });

  it('a passthrough of an unknown format or without a body object is refused at the boundary', async () => {
    const bad = [
      { format: 'gemini', body: {} },
      { format: 'openai-chat', body: [] },
    ];
    for (const passthrough of bad) {
      const error = (await runtime.run({ passthrough: passthrough as never }).catch((e) => e)) as RequestError;
      expect(error.code).toBe('SAFETYNET_USAGE');
      expect(error.message).toMatch(/^request\.passthrough\./);
    }
    expect(stub.modelRequests()).toHaveLength(0);
  });
});
