/**
 * Shared pieces of the API actor tests: providers resolved the real way (so `apiKey` is the
 * non-enumerable property the runtime sees), a port nothing listens on, and rejection helpers.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, beforeAll, beforeEach, expect } from 'vitest';
import { callApi } from '../../../src/actors/api/call-api.js';
import type { ApiCallInput, ApiRequest, HistoryTurn } from '../../../src/actors/api/types.js';
import { type RecordedRequest, startStubServer, type StubMode, type StubServer } from '../../support/stub-server/index.js';
import { resolveApiProviders } from '../../../src/config/providers.js';
import type { ApiKind, ResolvedApiProvider } from '../../../src/config/types.js';
import { AttemptError } from '../../../src/errors.js';

/** A recognisable fake key: it must never show up in messages, fields or inspected errors. */
export const KEY = 'sk-test-SECRET-0123456789abcdef';

/** A custom provider `stub` of `api` at `baseUrl`, resolved through the config code. */
export function stubProvider(
  api: ApiKind,
  baseUrl: string,
  extra: { apiKey?: string | null; timeoutMs?: number; headers?: Record<string, string> } = {},
): ResolvedApiProvider {
  const apiKey = extra.apiKey === null ? {} : { apiKey: extra.apiKey ?? KEY };
  const entry = {
    api,
    baseUrl,
    ...apiKey,
    ...(extra.timeoutMs === undefined ? {} : { timeoutMs: extra.timeoutMs }),
    ...(extra.headers === undefined ? {} : { headers: extra.headers }),
  };
  const provider = resolveApiProviders({ stub: entry }, {}, '<inline>')['stub'];
  if (provider === undefined) throw new Error('stub provider not resolved');
  return provider;
}

/**
 * Two earlier turns: the user's (with an image, kept as a placeholder) and the answer. Each
 * protocol's tests send it before the new message `what fruit?`.
 */
export const TWO_TURNS: readonly HistoryTurn[] = Object.freeze([
  { role: 'user', text: 'remember kiwi', images: [{ name: 'fruit.png', mimeType: 'image/png' }] },
  { role: 'assistant', text: 'Noted: kiwi.' },
]);

/** The text the first turn of {@link TWO_TURNS} is sent as: its image became a placeholder line. */
export const FIRST_TURN_SENT = 'remember kiwi\n[image: fruit.png (image/png)]';

/** How every protocol sends {@link TWO_TURNS}: one `{ role, content }` text message per turn. */
export const TWO_TURNS_SENT = Object.freeze([
  { role: 'user', content: FIRST_TURN_SENT },
  { role: 'assistant', content: 'Noted: kiwi.' },
]);

/** The stub's summary (`body.messages`) of a {@link sendTwoTurns} call: the earlier turns, then the new message. */
export const TWO_TURNS_RECEIVED = Object.freeze([
  { role: 'user', text: FIRST_TURN_SENT },
  { role: 'assistant', text: 'Noted: kiwi.' },
  { role: 'user', text: 'what fruit?' },
]);

/** Two runs of one role each: `u1`, `u2` (user), then `a1`, `a2` (assistant). */
export const SAME_ROLE_RUNS: readonly HistoryTurn[] = Object.freeze([
  { role: 'user', text: 'u1' },
  { role: 'user', text: 'u2' },
  { role: 'assistant', text: 'a1' },
  { role: 'assistant', text: 'a2' },
]);

/** {@link SAME_ROLE_RUNS} sent unmerged, one message per turn (the OpenAI APIs). */
export const SAME_ROLE_RUNS_SENT = Object.freeze(SAME_ROLE_RUNS.map(({ role, text }) => ({ role, content: text })));

/** A body builder's request: `hi` to `model`, no history, no system prompt, no images, with overrides. */
export function apiRequest(model: string, overrides: Partial<ApiRequest> = {}): ApiRequest {
  return { model, history: [], prompt: 'hi', systemPrompt: undefined, images: [], ...overrides };
}

/** A loopback port nothing listens on: bound to port 0, read, closed. */
export async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Awaits a rejection and returns it as an AttemptError (fails the test otherwise). */
export async function attemptError(promise: Promise<unknown>): Promise<AttemptError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(AttemptError);
    return error as AttemptError;
  }
  throw new Error('expected the call to reject');
}

/** The key appears nowhere: not in the message, not in the plain failure, not in the inspected error. */
export function expectNoKey(error: AttemptError): void {
  expect(error.message).not.toContain(KEY);
  expect(JSON.stringify(error.toFailure())).not.toContain(KEY);
  expect(JSON.stringify({ ...error, message: error.message })).not.toContain(KEY);
  expect(inspect(error, { depth: 6 })).not.toContain(KEY);
}

/** Resolves when `check()` is true, polling every 5 ms for at most `limitMs`. */
export async function until(check: () => boolean, limitMs = 5000): Promise<void> {
  for (let waited = 0; !check(); waited += 5) {
    if (waited >= limitMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** One API's test fixture: a loopback stub (reset to `ok` before each test) and a temp folder. */
export interface ApiFixture {
  readonly stub: StubServer;
  readonly dir: string;
  /** A call of `model` on the stub provider, with overrides. */
  input(overrides?: Partial<ApiCallInput>): ApiCallInput;
  /** One real call with {@link TWO_TURNS}, the new message `what fruit?` and the system prompt `be brief`; returns what the stub received. */
  sendTwoTurns(): Promise<RecordedRequest>;
  /** Runs one call in `mode` and returns the rejection plus how many model calls the stub saw. */
  failWith(mode: StubMode, overrides?: Partial<ApiCallInput>): Promise<{ error: AttemptError; requests: number }>;
}

/**
 * Registers the suite hooks (stub and temp folder per file, stub reset before each test) and
 * returns the fixture. `basePath` is appended to the stub URL (`/v1` for the OpenAI APIs).
 */
export function useApiFixture(api: ApiKind, model: string, basePath = ''): ApiFixture {
  let stub: StubServer | undefined;
  let dir: string | undefined;
  beforeAll(async () => {
    stub = await startStubServer({ maxHangMs: 10_000 });
    dir = await mkdtemp(join(tmpdir(), `sn-api-${api}-`));
  });
  afterAll(async () => {
    await stub?.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    stub?.setModes(['ok']);
    stub?.setText('Hello from the stub.');
  });
  const fixture: ApiFixture = {
    get stub() {
      if (stub === undefined) throw new Error('the API fixture is used outside a test');
      return stub;
    },
    get dir() {
      if (dir === undefined) throw new Error('the API fixture is used outside a test');
      return dir;
    },
    input: (overrides = {}) => ({
      provider: stubProvider(api, `${fixture.stub.url}${basePath}`),
      model,
      history: [],
      prompt: 'hi',
      systemPrompt: undefined,
      images: [],
      timeoutMs: 10_000,
      ...overrides,
    }),
    sendTwoTurns: async () => {
      const overrides = { history: TWO_TURNS, prompt: 'what fruit?', systemPrompt: 'be brief' };
      await callApi(fixture.input(overrides), new AbortController().signal);
      const request = fixture.stub.modelRequests().at(-1);
      if (request === undefined) throw new Error('the stub received no model call');
      return request;
    },
    failWith: async (mode, overrides = {}) => {
      fixture.stub.setModes([mode]);
      const before = fixture.stub.modelRequests().length;
      const error = await attemptError(callApi(fixture.input(overrides), new AbortController().signal));
      return { error, requests: fixture.stub.modelRequests().length - before };
    },
  };
  return fixture;
}
