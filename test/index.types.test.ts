/**
 * The public API of `src/index.ts`, pinned as types: `createRuntime` and its options, `run` with its
 * request and result, the attempt shape, and the error classes with their codes. The `expectTypeOf`
 * checks are compile-time (`tsc -p tsconfig.json --noEmit`, which `npm test` runs): changing a
 * public shape fails the type check until this file says the change is meant. The runtime part
 * proves the same shapes on a real run (the fixture CLI as backend, LevelDB in a temp folder).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, expectTypeOf, it } from 'vitest';
import {
  type Attempt,
  AttemptError,
  type CliStats,
  type AttemptFailure,
  ConfigError,
  type ConfigProblem,
  createRuntime,
  createServer,
  FAILURE_REASONS,
  type FailureReason,
  type ImageInput,
  type InspectObserver,
  type RequestAttempt,
  RequestError,
  type RequestTrace,
  type RunRequest,
  type RunResult,
  Runtime,
  type RuntimeOptions,
  type SafetynetServer,
  SafetynetError,
  type SafetynetConfigFile,
  type SafetynetErrorCode,
  type ServeOptions,
  type SessionsApi,
  StoreError,
  type TracesApi,
  type Usage,
  UsageError,
} from '../src/index.js';
import { fakeCliBackend } from './contract/harnesses.js';

describe('createRuntime and its options (types)', () => {
  it('createRuntime takes optional RuntimeOptions and resolves to a Runtime', () => {
    expectTypeOf(createRuntime).parameters.toEqualTypeOf<[options?: RuntimeOptions | undefined]>();
    expectTypeOf(createRuntime).returns.toEqualTypeOf<Promise<Runtime>>();
  });

  it('RuntimeOptions has exactly these keys, every one optional, with these types', () => {
    expectTypeOf<keyof RuntimeOptions>().toEqualTypeOf<
      'config' | 'configFile' | 'env' | 'storeLocation' | 'storeIdleCloseMs' | 'inspect' | 'onWarning' | 'now'
    >();
    expectTypeOf<Record<string, never>>().toExtend<RuntimeOptions>();
    expectTypeOf<RuntimeOptions['config']>().toEqualTypeOf<SafetynetConfigFile | undefined>();
    expectTypeOf<RuntimeOptions['configFile']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<RuntimeOptions['env']>().toEqualTypeOf<NodeJS.ProcessEnv | undefined>();
    expectTypeOf<RuntimeOptions['storeLocation']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<RuntimeOptions['storeIdleCloseMs']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<RuntimeOptions['inspect']>().toEqualTypeOf<InspectObserver | undefined>();
    expectTypeOf<RuntimeOptions['onWarning']>().toEqualTypeOf<((message: string) => void) | undefined>();
    expectTypeOf<RuntimeOptions['now']>().toEqualTypeOf<(() => number) | undefined>();
    // exactOptionalPropertyTypes: an option is left out, never passed as undefined.
    expectTypeOf<{ storeLocation: undefined }>().not.toExtend<RuntimeOptions>();
  });

  it('a Runtime has run, close, traces, sessions, cliStats and its config', () => {
    expectTypeOf<Runtime['run']>().toEqualTypeOf<(request: RunRequest) => Promise<RunResult>>();
    expectTypeOf<Runtime['cliStats']>().toEqualTypeOf<() => CliStats>();
    expectTypeOf<CliStats>().toEqualTypeOf<{
      running: number;
      waiting: number;
      byBackend: Record<string, { running: number; waiting: number }>;
    }>();
    expectTypeOf<Runtime['close']>().toEqualTypeOf<() => Promise<void>>();
    expectTypeOf<Runtime['traces']>().toEqualTypeOf<TracesApi>();
    expectTypeOf<Runtime['sessions']>().toEqualTypeOf<SessionsApi>();
    expectTypeOf<TracesApi['last']>().toEqualTypeOf<() => Promise<RequestTrace | undefined>>();
    expectTypeOf<TracesApi['find']>().toEqualTypeOf<(id: string) => Promise<RequestTrace[]>>();
    expectTypeOf<TracesApi['list']>().toEqualTypeOf<(limit?: number) => Promise<RequestTrace[]>>();
  });
});

describe('run: RunRequest, RunResult and the attempt shape (types)', () => {
  it('RunRequest takes message or messages; the other keys are optional and typed', () => {
    expectTypeOf<keyof RunRequest>().toEqualTypeOf<
      | 'message'
      | 'messages'
      | 'model'
      | 'sessionKey'
      | 'systemPrompt'
      | 'images'
      | 'cwd'
      | 'signal'
      | 'timeoutMs'
      | 'timeoutName'
      | 'onAttempt'
      | 'inspect'
      | 'onText'
      | 'passthrough'
      | 'onEvent'
    >();
    expectTypeOf<{ message: string }>().toExtend<RunRequest>();
    expectTypeOf<{ messages: [{ role: 'user'; content: string }] }>().toExtend<RunRequest>();
    expectTypeOf<{ model: number }>().not.toExtend<RunRequest>();
    expectTypeOf<RunRequest['message']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<RunRequest['model']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<RunRequest['sessionKey']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<RunRequest['systemPrompt']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<RunRequest['images']>().toEqualTypeOf<ImageInput[] | undefined>();
    expectTypeOf<ImageInput>().toEqualTypeOf<{ path: string } | { data: string; mimeType?: string }>();
    expectTypeOf<RunRequest['cwd']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<RunRequest['signal']>().toEqualTypeOf<AbortSignal | undefined>();
    expectTypeOf<RunRequest['timeoutMs']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<RunRequest['onAttempt']>().toEqualTypeOf<((attempt: RequestAttempt) => void) | undefined>();
    expectTypeOf<RunRequest['inspect']>().toEqualTypeOf<InspectObserver | undefined>();
  });

  it('RunResult has exactly these fields and types (usage and passthrough the only optional ones)', () => {
    expectTypeOf<RunResult>().toEqualTypeOf<{
      text: string;
      model: string;
      backend: 'cli' | 'api';
      sessionKey: string | null;
      cliSessionId: string | null;
      attempts: RequestAttempt[];
      usage?: Usage;
      durationMs: number;
      requestId: string;
      warnings: string[];
      passthrough?: { format: 'openai-chat' | 'anthropic-messages'; response: Record<string, unknown> };
    }>();
    expectTypeOf<Usage>().toEqualTypeOf<{
      input?: number;
      output?: number;
      cacheRead?: number;
      cacheWrite?: number;
      total?: number;
      costUsd?: number;
    }>();
  });

  it('an attempt is { model, backend, ok, durationMs } plus the optional failure details; Attempt is the same type', () => {
    expectTypeOf<RequestAttempt>().toEqualTypeOf<{
      model: string;
      backend: 'cli' | 'api';
      ok: boolean;
      reason?: FailureReason;
      detail?: string;
      exitCode?: number;
      status?: number;
      retryAfterMs?: number;
      outputSent?: true;
      probe?: boolean;
      notices?: string[];
      skipped?: boolean;
      continuation?: 'new' | 'resume' | 'catch-up' | 'reseed';
      historyTurns?: number;
      durationMs: number;
    }>();
    expectTypeOf<Attempt>().toEqualTypeOf<RequestAttempt>();
  });
});

describe('the error classes (types)', () => {
  it('every error class extends SafetynetError, which extends Error with a code and a cause', () => {
    expectTypeOf<SafetynetError>().toExtend<Error>();
    expectTypeOf<SafetynetError['code']>().toEqualTypeOf<SafetynetErrorCode>();
    expectTypeOf<SafetynetError['cause']>().toEqualTypeOf<unknown>();
    expectTypeOf<RequestError>().toExtend<SafetynetError>();
    expectTypeOf<AttemptError>().toExtend<SafetynetError>();
    expectTypeOf<ConfigError>().toExtend<SafetynetError>();
    expectTypeOf<UsageError>().toExtend<SafetynetError>();
    expectTypeOf<StoreError>().toExtend<SafetynetError>();
    expectTypeOf(SafetynetError.is).guards.toEqualTypeOf<SafetynetError>();
  });

  it('codes are string literal unions: the whole set, and the subset each class may carry', () => {
    expectTypeOf<SafetynetErrorCode>().toEqualTypeOf<
      | 'SAFETYNET_CONFIG_NOT_FOUND'
      | 'SAFETYNET_CONFIG_SYNTAX'
      | 'SAFETYNET_CONFIG_INVALID'
      | 'SAFETYNET_USAGE'
      | 'SAFETYNET_MODEL_NOT_ALLOWED'
      | 'SAFETYNET_IMAGE_INVALID'
      | 'SAFETYNET_STORE_LOCKED'
      | 'SAFETYNET_STORE_FAILED'
      | 'SAFETYNET_STORE_UNAVAILABLE'
      | 'SAFETYNET_ATTEMPT_FAILED'
      | 'SAFETYNET_ALL_CANDIDATES_FAILED'
      | 'SAFETYNET_ABORTED'
      | 'SAFETYNET_RUNTIME_CLOSED'
      | 'SAFETYNET_SESSION_BUSY'
      | 'SAFETYNET_TRANSCRIPT_CONFLICT'
      | 'SAFETYNET_STREAM_INTERRUPTED'
    >();
    expectTypeOf<ConstructorParameters<typeof RequestError>[0]>().toEqualTypeOf<
      'SAFETYNET_ALL_CANDIDATES_FAILED' | 'SAFETYNET_ABORTED' | 'SAFETYNET_STREAM_INTERRUPTED'
    >();
    expectTypeOf<ConstructorParameters<typeof ConfigError>[0]>().toEqualTypeOf<
      'SAFETYNET_CONFIG_NOT_FOUND' | 'SAFETYNET_CONFIG_SYNTAX' | 'SAFETYNET_CONFIG_INVALID'
    >();
    expectTypeOf<ConstructorParameters<typeof StoreError>[0]>().toEqualTypeOf<
      'SAFETYNET_STORE_LOCKED' | 'SAFETYNET_STORE_FAILED' | 'SAFETYNET_STORE_UNAVAILABLE' | 'SAFETYNET_TRANSCRIPT_CONFLICT'
    >();
    expectTypeOf<NonNullable<NonNullable<ConstructorParameters<typeof UsageError>[1]>['code']>>().toEqualTypeOf<
      'SAFETYNET_USAGE' | 'SAFETYNET_MODEL_NOT_ALLOWED' | 'SAFETYNET_IMAGE_INVALID'
    >();
  });

  it('each class carries its typed fields: attempts, reason and signals, problems, location', () => {
    expectTypeOf<RequestError['attempts']>().toEqualTypeOf<readonly RequestAttempt[]>();
    expectTypeOf<RequestError['requestId']>().toEqualTypeOf<string>();
    expectTypeOf<AttemptError['reason']>().toEqualTypeOf<FailureReason>();
    expectTypeOf<AttemptError['exitCode']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<AttemptError['signal']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<AttemptError['status']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<AttemptError['retryAfterMs']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<AttemptError['toFailure']>().toEqualTypeOf<() => AttemptFailure>();
    expectTypeOf<ConfigError['problems']>().toEqualTypeOf<readonly ConfigProblem[]>();
    expectTypeOf<ConfigError['line']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<StoreError['location']>().toEqualTypeOf<string>();
    expectTypeOf<FailureReason>().toEqualTypeOf<
      | 'auth'
      | 'billing'
      | 'rate_limit'
      | 'overloaded'
      | 'server_error'
      | 'timeout'
      | 'transport'
      | 'model_not_found'
      | 'context_overflow'
      | 'session_expired'
      | 'config'
      | 'queue_full'
      | 'aborted'
      | 'unknown'
    >();
    expectTypeOf(FAILURE_REASONS).toEqualTypeOf<readonly FailureReason[]>();
  });
});

describe('the public shapes hold on a real run', () => {
  let dir: string;
  let runtime: Runtime | undefined;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'safetynet-public-api-'));
  });
  afterEach(async () => {
    await runtime?.close();
    runtime = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('an answered run resolves to a RunResult; a failed one rejects with a RequestError that is a SafetynetError', async () => {
    const cli = await fakeCliBackend(join(dir, 'cli'));
    const warnings: string[] = [];
    runtime = await createRuntime({
      config: { agents: { defaults: { model: { primary: cli.model }, cliBackends: { [cli.backendId]: cli.backend } } } },
      storeLocation: join(dir, 'state'),
      storeIdleCloseMs: 50,
      onWarning: (message) => warnings.push(message),
    });
    expect(runtime).toBeInstanceOf(Runtime);

    const seen: RequestAttempt[] = [];
    const result = await runtime.run({ message: 'hi', sessionKey: 'k', timeoutMs: 20_000, onAttempt: (a) => seen.push(a) });
    expectTypeOf(result).toEqualTypeOf<RunResult>();
    expect(result).toMatchObject({ model: cli.model, backend: 'cli', sessionKey: 'k', warnings: [] });
    expect(typeof result.text).toBe('string');
    expect(typeof result.cliSessionId).toBe('string');
    expect(typeof result.durationMs).toBe('number');
    expect(result.attempts).toEqual(seen);
    expect(Object.keys(result.attempts[0] ?? {}).sort()).toEqual(['backend', 'continuation', 'durationMs', 'historyTurns', 'model', 'ok']);

    cli.setMode('auth');
    const error: unknown = await runtime.run({ message: 'hi again' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestError);
    expect(SafetynetError.is(error)).toBe(true);
    if (!(error instanceof RequestError)) return;
    expect(error.code).toBe('SAFETYNET_ALL_CANDIDATES_FAILED');
    expect(error.attempts.map((a) => [a.model, a.ok, a.reason])).toEqual([[cli.model, false, 'auth']]);
    expect(error.name).toBe('RequestError');
    expect(warnings).toEqual([]);
  });

  it('each error class keeps its code, name and cause', () => {
    const cause = new Error('underneath');
    const errors: SafetynetError[] = [
      new UsageError('bad', { cause }),
      new UsageError('no', { code: 'SAFETYNET_MODEL_NOT_ALLOWED' }),
      new ConfigError('SAFETYNET_CONFIG_SYNTAX', 'bad file', { file: '/x.json5', line: 3, column: 1 }),
      new StoreError('SAFETYNET_STORE_LOCKED', 'locked', { location: '/state' }),
      new AttemptError('aborted', 'stopped'),
      new RequestError('SAFETYNET_ABORTED', 'stopped', { attempts: [], requestId: 'r1' }),
    ];
    expect(errors.map((e) => [e.name, e.code])).toEqual([
      ['UsageError', 'SAFETYNET_USAGE'],
      ['UsageError', 'SAFETYNET_MODEL_NOT_ALLOWED'],
      ['ConfigError', 'SAFETYNET_CONFIG_SYNTAX'],
      ['StoreError', 'SAFETYNET_STORE_LOCKED'],
      ['AttemptError', 'SAFETYNET_ABORTED'],
      ['RequestError', 'SAFETYNET_ABORTED'],
    ]);
    expect(errors.every((e) => e instanceof Error && SafetynetError.is(e))).toBe(true);
    expect(errors[0]?.cause).toBe(cause);
    expect(FAILURE_REASONS).toHaveLength(14);
  });
});

describe('createServer (types)', () => {
  it('createServer takes a Runtime and optional ServeOptions and resolves to a SafetynetServer', () => {
    expectTypeOf(createServer).parameters.toEqualTypeOf<[runtime: Runtime, options?: ServeOptions | undefined]>();
    expectTypeOf(createServer).returns.toEqualTypeOf<Promise<SafetynetServer>>();
    expectTypeOf<SafetynetServer['listen']>().returns.toEqualTypeOf<Promise<string>>();
    expectTypeOf<SafetynetServer['close']>().parameters.toEqualTypeOf<[drainMs?: number | undefined]>();
    expectTypeOf<ServeOptions>().toHaveProperty('apiKeys').toEqualTypeOf<string[] | undefined>();
  });
});
