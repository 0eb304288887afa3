/**
 * Streaming through the public runtime (`RunRequest.onText`): API candidates on the loopback stub
 * (three protocols), a JSONL fixture CLI, the stream clocks, and the rule that failover is invisible
 * until the first streamed text and impossible after it.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRuntime, type RequestError, type Runtime, type SafetynetConfigFile, type TextDelta } from '../../src/index.js';
import { startStubServer, type StubServer } from '../support/stub-server/index.js';

const LONG_TEXT = 'The quick brown fox jumps over the lazy dog, then streams back in many small pieces.';
const JSONL_CLI = join(import.meta.dirname, '..', 'fixtures', 'bin', 'jsonl-stream.mjs');
const API_KINDS = ['anthropic-messages', 'openai-completions', 'openai-responses'] as const;

describe('streaming the answer (onText)', () => {
  let dir: string;
  let stub: StubServer;
  const runtimes: Runtime[] = [];

  /** A runtime whose candidates are `primary` then `fallbacks`, with providers `a` (Anthropic) and `c` (Chat) on the stub. */
  async function runtimeWith(primary: string, fallbacks: string[], extra: Partial<SafetynetConfigFile> = {}): Promise<Runtime> {
    const key = 'sk-stub-not-a-real-key';
    const providers = Object.fromEntries(API_KINDS.map((api) => [api.split('-')[1], { api, baseUrl: stub.url, apiKey: key }]));
    const runtime = await createRuntime({
      config: {
        ...extra,
        agents: {
          defaults: {
            model: { primary, fallbacks },
            cliBackends: {
              'jsonl-cli': { command: JSONL_CLI, output: 'jsonl', sessionMode: 'none', env: { STREAM_GATE: join(dir, 'gate') } },
            },
          },
        },
        models: { providers },
      } as SafetynetConfigFile,
      storeLocation: join(dir, 'state'),
    });
    runtimes.push(runtime);
    return runtime;
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'safetynet-streaming-'));
    stub = await startStubServer({ modes: ['ok'], text: LONG_TEXT, maxHangMs: 20_000 });
  });

  afterEach(async () => {
    await Promise.all(runtimes.splice(0).map((runtime) => runtime.close()));
    await stub.close();
    await rm(dir, { recursive: true, force: true });
  });

  for (const api of API_KINDS) {
    const provider = api.split('-')[1];
    it(`the streamed pieces of an ${api} answer add up to the answer, each named with the answering model`, async () => {
      const runtime = await runtimeWith(`${provider}/model-x`, []);
      const deltas: TextDelta[] = [];
      const result = await runtime.run({ message: 'stream please', onText: (delta) => deltas.push(delta) });
      expect(deltas.length).toBeGreaterThan(1);
      expect(deltas.map((delta) => delta.text).join('')).toBe(result.text);
      expect(new Set(deltas.map((delta) => delta.model))).toEqual(new Set([`${provider}/model-x`]));
    });
  }

  it('a failover before the first streamed text is invisible: only the answering model streams', async () => {
    stub.setModes([{ status: 529 }, 'ok']);
    const runtime = await runtimeWith('messages/model-a', ['completions/model-b']);
    const deltas: TextDelta[] = [];
    const result = await runtime.run({ message: 'stream please', onText: (delta) => deltas.push(delta) });
    expect(result.attempts.map((attempt) => [attempt.model, attempt.ok])).toEqual([
      ['messages/model-a', false],
      ['completions/model-b', true],
    ]);
    expect(deltas.every((delta) => delta.model === 'completions/model-b')).toBe(true);
    expect(deltas.map((delta) => delta.text).join('')).toBe(result.text);
  });

  for (const api of ['anthropic-messages', 'openai-completions'] as const) {
    it(`an ${api} stream that fails after its first text ends the request (SAFETYNET_STREAM_INTERRUPTED), no fallback`, async () => {
      stub.setModes([api === 'anthropic-messages' ? 'midstream:overloaded_error' : 'midstream:server_error', 'ok']);
      const runtime = await runtimeWith(`${api.split('-')[1]}/model-a`, ['completions/model-b']);
      const deltas: TextDelta[] = [];
      const error = (await runtime
        .run({ message: 'stream please', onText: (delta) => deltas.push(delta) })
        .catch((e) => e)) as RequestError;
      expect(error.code).toBe('SAFETYNET_STREAM_INTERRUPTED');
      expect(error.attempts).toHaveLength(1);
      expect(error.attempts[0]).toMatchObject({ model: `${api.split('-')[1]}/model-a`, ok: false });
      expect(deltas.length).toBeGreaterThan(0);
      expect(stub.modelRequests()).toHaveLength(1);
    });
  }

  it('the same mid-stream failure without a streaming caller falls back as usual', async () => {
    stub.setModes(['midstream:overloaded_error', 'ok']);
    const runtime = await runtimeWith('messages/model-a', ['completions/model-b']);
    const result = await runtime.run({ message: 'no stream' });
    expect(result.model).toBe('completions/model-b');
    expect(result.attempts[0]).toMatchObject({ ok: false, reason: 'overloaded' });
  });

  it('a provider that stays silent past the first-token clock fails over with timeout, long before the attempt deadline', async () => {
    stub.setModes(['hang', 'ok']);
    const runtime = await runtimeWith('messages/model-a', ['completions/model-b'], {
      safetynet: { streaming: { firstTokenSeconds: 0.3 } },
    });
    const result = await runtime.run({ message: 'anyone?', timeoutMs: 60_000 });
    expect(result.model).toBe('completions/model-b');
    expect(result.attempts[0]).toMatchObject({ ok: false, reason: 'timeout' });
    expect(result.attempts[0]?.detail).toContain('firstTokenSeconds');
  });

  it('a stream that stalls after its first event fails over with timeout by the idle clock', async () => {
    stub.setModes(['stall', 'ok']);
    const runtime = await runtimeWith('messages/model-a', ['completions/model-b'], { safetynet: { streaming: { idleSeconds: 0.3 } } });
    const result = await runtime.run({ message: 'anyone?', timeoutMs: 60_000 });
    expect(result.model).toBe('completions/model-b');
    expect(result.attempts[0]).toMatchObject({ ok: false, reason: 'timeout' });
    expect(result.attempts[0]?.detail).toContain('idleSeconds');
  });

  it("a JSONL CLI's messages reach the caller while the CLI still runs, and the answer is what the caller saw", async () => {
    const runtime = await runtimeWith('jsonl-cli/default', []);
    const deltas: TextDelta[] = [];
    const result = await runtime.run({
      message: 'stream please',
      // The CLI prints its second message only once the first one reached us.
      onText: (delta) => {
        deltas.push(delta);
        if (deltas.length === 1) void writeFile(join(dir, 'gate'), '');
      },
    });
    expect(deltas.map((delta) => delta.text)).toEqual(['first part', '\n\n', 'second part']);
    expect(result.text).toBe('first part\n\nsecond part');
    expect(deltas.every((delta) => delta.model === 'jsonl-cli/default')).toBe(true);
  });

  it('a CLI that fails after streaming text ends the request without falling back', async () => {
    const runtime = await runtimeWith('jsonl-cli/default', ['completions/model-b']);
    // biome-ignore lint/suspicious/noExplicitAny: the test reaches into the resolved backend's env
    (runtime.config.backends['jsonl-cli'] as any).env.STREAM_MODE = 'fail';
    const deltas: TextDelta[] = [];
    const error = (await runtime.run({ message: 'stream please', onText: (delta) => deltas.push(delta) }).catch((e) => e)) as RequestError;
    expect(error.code).toBe('SAFETYNET_STREAM_INTERRUPTED');
    expect(deltas.map((delta) => delta.text)).toEqual(['first part']);
    expect(stub.modelRequests()).toHaveLength(0);
  });
});
