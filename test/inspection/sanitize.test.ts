/**
 * The one event source: fan-out of xstate inspection events, the safe serializer, and a request
 * with an API provider holding a key and a secret header — nothing that leaves the runtime (JSONL
 * records, traces) carries either.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createActor, createMachine, type InspectionEvent } from 'xstate';
import { configSecrets, createRuntime, createSanitizer, fanOut, toInspectionRecord, type Runtime } from '../../src/index.js';
import { createRedactor, envSecrets, STANDARD_KEY_VARIABLES } from '../../src/inspection/sanitize.js';
import { fakeCliBackend } from '../contract/harnesses.js';

describe('fanOut', () => {
  it('delivers every event to each observer in order; a throwing observer is isolated', () => {
    const seen: string[] = [];
    const observer = fanOut([
      (event) => seen.push(`a:${event.type}`),
      () => {
        throw new Error('boom');
      },
      undefined,
      { next: (event: InspectionEvent) => seen.push(`b:${event.type}`) },
      {},
    ]);
    const actor = createActor(createMachine({ initial: 'x', states: { x: {} } }), { inspect: observer! });
    actor.start();
    actor.stop();
    expect(seen.filter((entry) => entry.startsWith('a:'))).toEqual(
      seen.filter((entry) => entry.startsWith('b:')).map((entry) => entry.replace('b:', 'a:')),
    );
    expect(seen).toContain('a:@xstate.actor');
    expect(seen).toContain('b:@xstate.snapshot');
  });

  it('is undefined without observers, so createActor gets no inspect at all', () => {
    expect(fanOut([])).toBeUndefined();
    expect(fanOut([undefined, {}])).toBeUndefined();
  });
});

describe('createSanitizer', () => {
  it('drops functions and non-enumerable keys, breaks cycles, and keeps errors and actor refs short', () => {
    const provider: Record<string, unknown> = { id: 'p', baseUrl: 'http://x' };
    Object.defineProperty(provider, 'apiKey', { value: 'sk-hidden-123', enumerable: false });
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic['self'] = cyclic;
    const error = Object.assign(new Error('nope'), { reason: 'auth', exitCode: 1, cause: new Error('deep') });
    const sanitize = createSanitizer({ maxDepth: 4 });
    expect(
      sanitize({
        provider,
        fn: () => 1,
        cyclic,
        error,
        ref: { sessionId: 'x:1', send: () => undefined },
        set: new Set([1, 2]),
        map: new Map([['k', 'v']]),
        big: 10n,
        deep: { a: { b: { c: { d: 1 } } } },
        nan: Number.NaN,
      }),
    ).toEqual({
      provider: { id: 'p', baseUrl: 'http://x' },
      cyclic: { name: 'loop', self: '[circular]' },
      error: { name: 'Error', message: 'nope', reason: 'auth', exitCode: 1 },
      ref: { actor: 'x:1' },
      set: [1, 2],
      map: [['k', 'v']],
      big: '10',
      deep: { a: { b: { c: '[depth]' } } },
      nan: 'NaN',
    });
  });

  it('redacts credentials by key, every header, credential-like env values, and known secrets anywhere', () => {
    const sanitize = createSanitizer({ secrets: ['sk-live-0123456789', 'abc'] });
    expect(
      sanitize({
        apiKey: 'sk-live-0123456789',
        api_key: 'x',
        headers: { 'X-Custom': 'tok-1', Accept: 'json' },
        env: { ANTHROPIC_API_KEY: 'sk-a', GITHUB_TOKEN: 'ghp', IS_SANDBOX: '1', PATH: '/bin' },
        message: 'request failed with key sk-live-0123456789 (abc stays: too short to be a secret)',
      }),
    ).toEqual({
      apiKey: '(redacted)',
      api_key: '(redacted)',
      headers: { 'X-Custom': '(redacted)', Accept: '(redacted)' },
      env: { ANTHROPIC_API_KEY: '(redacted)', GITHUB_TOKEN: '(redacted)', IS_SANDBOX: '1', PATH: '/bin' },
      message: 'request failed with key (redacted) (abc stays: too short to be a secret)',
    });
  });
});

describe('a request with an API provider holding a key', () => {
  let dir: string;
  let runtime: Runtime | undefined;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'safetynet-inspection-'));
  });
  afterEach(async () => {
    await runtime?.close();
    runtime = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('inspection events reach runtime- and request-level observers; sanitized records and traces never carry the key or a header', async () => {
    const cli = await fakeCliBackend(join(dir, 'cli'));
    const apiKey = 'sk-test-very-secret-key-0001';
    const header = 'hdr-secret-value-0002';
    const runtimeEvents: InspectionEvent[] = [];
    runtime = await createRuntime({
      config: {
        models: {
          providers: {
            local: { api: 'openai-completions', baseUrl: 'http://127.0.0.1:1/v1', apiKey, headers: { 'X-Auth-Extra': header } },
          },
        },
        agents: {
          defaults: { model: { primary: 'local/some-model', fallbacks: [cli.model] }, cliBackends: { [cli.backendId]: cli.backend } },
        },
      },
      storeLocation: join(dir, 'state'),
      inspect: (event) => runtimeEvents.push(event),
    });
    expect(configSecrets(runtime.config)).toEqual(expect.arrayContaining([apiKey, header]));
    const requestEvents: InspectionEvent[] = [];
    const result = await runtime.run({ message: 'ping the api', inspect: { next: (event) => requestEvents.push(event) } });
    expect(result.model).toBe(cli.model);
    expect(requestEvents.length).toBeGreaterThan(10);
    expect(runtimeEvents.length).toBe(requestEvents.length);
    expect(new Set(requestEvents.map((event) => event.type))).toEqual(
      new Set(['@xstate.actor', '@xstate.event', '@xstate.snapshot', '@xstate.microstep', '@xstate.action']),
    );

    // the raw events do carry the header (the call's input); the key is non-enumerable
    const callInput = requestEvents.find(
      (event) => event.type === '@xstate.snapshot' && (event.actorRef as { id?: string }).id === 'callApi',
    );
    expect(JSON.stringify((callInput as unknown as { snapshot: { input: unknown } }).snapshot.input)).toContain(header);

    const sanitize = createSanitizer({ secrets: configSecrets(runtime.config) });
    const records = requestEvents.map((event) => JSON.stringify(toInspectionRecord(event, sanitize)));
    const jsonl = records.join('\n');
    expect(jsonl).not.toContain(apiKey);
    expect(jsonl).not.toContain(header);
    expect(jsonl).toContain('ping the api'); // prompts may be inspected: it is the user's own machine
    expect(jsonl).toContain('"actorId":"callApi"');

    const trace = await runtime.traces.last();
    const stored = JSON.stringify(trace);
    expect(stored).not.toContain(apiKey);
    expect(stored).not.toContain(header);
    expect(trace!.attempts[0]).toMatchObject({
      backend: 'api',
      provider: 'local',
      ok: false,
      reason: 'transport',
      api: { kind: 'openai-completions', baseUrl: 'http://127.0.0.1:1/v1' },
    });
    expect(trace!.attempts[0]!.argv).toBeUndefined();
    expect(trace!.steps.slice(0, 3).map((step) => step.state)).toEqual(['selecting-model', 'calling-api', 'falling-back']);
  });
});

describe('createRedactor (issue 13: one redaction for every output)', () => {
  it('scrubs known secrets, URL userinfo (Redis URLs too) and credential query values; idempotent', () => {
    const redact = createRedactor(['sk-known-secret-1234']);
    const text =
      'key sk-known-secret-1234 at http://user:pw-9876@api.test/v1?key=q-1&model=m, ' +
      'redis://:redis-pw@127.0.0.1:6379/0, https://tok-123@git.test/x?api_key=a&access_token=b&token=c';
    const once = redact(text);
    expect(once).toBe(
      'key (redacted) at http://(redacted)@api.test/v1?key=(redacted)&model=m, ' +
        'redis://(redacted)@127.0.0.1:6379/0, https://(redacted)@git.test/x?api_key=(redacted)&access_token=(redacted)&token=(redacted)',
    );
    expect(redact(once)).toBe(once);
    expect(redact('an e-mail a@b.test and a=b stay')).toBe('an e-mail a@b.test and a=b stay');
  });

  it('replaces the prompt (and each of its lines of 8+ characters) by (prompt), short prompts stay', () => {
    const redact = createRedactor([], ['first line of it\nsecond line here', 'hi']);
    expect(redact('echo: first line of it\\nsecond line here')).toBe('echo: (prompt)\\n(prompt)');
    expect(redact('hi there')).toBe('hi there');
  });

  it('envSecrets takes the standard key variables, SAFETYNET_API_KEYS one by one, the Redis URL password and *_TOKEN-like names', () => {
    const secrets = envSecrets({
      OPENAI_API_KEY: 'sk-o',
      GEMINI_API_KEY: 'gem-key-1',
      SAFETYNET_API_KEYS: 'k-one, k-two',
      SAFETYNET_REDIS_URL: 'redis://:p%40ss-word@h:1',
      GITHUB_TOKEN: 'ghp-123456789',
      SHORT_TOKEN: 'abc',
      HOME: '/home/someone',
    });
    expect(secrets).toEqual(expect.arrayContaining(['sk-o', 'gem-key-1', 'k-one', 'k-two', 'p%40ss-word', 'p@ss-word', 'ghp-123456789']));
    expect(secrets).not.toContain('/home/someone');
    expect(secrets).not.toContain('abc');
    expect(STANDARD_KEY_VARIABLES).toEqual(
      expect.arrayContaining(['ANTHROPIC_API_KEY', 'OPENAI_API_KEY', 'CODEX_API_KEY', 'GOOGLE_API_KEY']),
    );
  });
});
