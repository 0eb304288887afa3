/**
 * Fast failover through CLIs, end to end: the REAL `claude`, `codex` and `gemini` binaries run by the
 * runtime (`createRuntime` → `run`) against a loopback stub that fails, with the fixture CLI
 * (`test/fixtures/bin/fake-cli.mjs`) as the working fallback.
 *
 * No wall-clock assertions. What proves the runtime moved on before the CLI's own retry schedule
 * could finish: the number of model requests the stub received (Claude's default is 1 + 10
 * retries, Codex's 5 rounds of up to 5 requests, Gemini's 4 requests in 60 s for a 429; `real-clis.md` §1.5, §7), the "gave up while … was
 * retrying" detail of a watched abandonment, and, for failures a CLI never gives up on (Codex
 * waiting for network), the fact that the request ends at all. Each test logs the measured time
 * from the stub's first failed request to the fallback's request (`fake-cli` writes
 * `last-call.json` when it starts), for the benchmark to compare later.
 */
import { statSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRuntime, type Runtime } from '../../src/index.js';
import type { CliBackendConfig } from '../../src/config/types.js';
import type { RequestAttempt } from '../../src/errors.js';
import { fakeCliBackend } from '../contract/harnesses.js';
import { waitUntilNoProcessWithEnv } from '../support/processes.js';
import {
  claudeBin,
  claudeStubEnv,
  codexBin,
  codexStubEnv,
  CODEX_STUB_MODEL,
  geminiBin,
  geminiStubEnv,
  GEMINI_STUB_MODEL,
  type StubLike,
} from '../support/real-cli.js';
import { startStubServer, type StubMode, type StubServer } from '../support/stub-server/index.js';

/** A loopback port nothing listens on (bound, then closed). */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

let dir: string;
let cwd: string;
let runtime: Runtime | undefined;
let stub: StubServer | undefined;
let fallback: Awaited<ReturnType<typeof fakeCliBackend>>;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'safetynet-fast-failover-'));
  cwd = await mkdtemp(join(dir, 'cwd-'));
  fallback = await fakeCliBackend(join(dir, 'fallback'));
});

afterEach(async () => {
  await runtime?.close();
  runtime = undefined;
  await stub?.close();
  stub = undefined;
  await rm(dir, { recursive: true, force: true });
});

/** Runs one request: `primary` (a real CLI backend) first, the fixture CLI as the only fallback. */
async function runWithFallback(backendId: string, model: string, backend: CliBackendConfig) {
  runtime = await createRuntime({
    config: {
      agents: {
        defaults: {
          model: { primary: model, fallbacks: [fallback.model] },
          cliBackends: { [backendId]: backend, [fallback.backendId]: fallback.backend },
        },
      },
    },
    storeLocation: join(dir, 'state'),
  });
  const result = await runtime.run({ message: 'anyone there?', cwd });
  expect(result.model).toBe(fallback.model);
  expect(result.text).toMatch(/^echo: anyone there\?/);
  expect(result.attempts).toHaveLength(2);
  expect(result.attempts[1]).toMatchObject({ model: fallback.model, ok: true });
  return result.attempts[0] as RequestAttempt;
}

/** Logs the failover time: stub's first model request → the fallback CLI's start. */
function logFailover(name: string, first: RequestAttempt): void {
  const firstRequest = stub?.modelRequests()[0]?.at;
  const fallbackStarted = statSync(join(dir, 'fallback', 'last-call.json')).mtimeMs;
  const gap = firstRequest === undefined ? 'n/a (no request reached the stub)' : `${Math.round(fallbackStarted - firstRequest)} ms`;
  console.log(
    `[fast-failover] ${name}: first failed request → fallback request ${gap}; failed attempt took ${first.durationMs} ms (${first.reason})`,
  );
}

describe('claude behind a failing provider falls back within seconds', () => {
  /** The built-in claude-cli pointed at the stub, with the built-in retry bounds left in effect. */
  async function claude(url: string, home = join(dir, 'claude-home')): Promise<CliBackendConfig> {
    await mkdir(home, { recursive: true });
    const { CLAUDE_CODE_MAX_RETRIES: _useBuiltinBound, ...env } = claudeStubEnv({ url }, home);
    return { command: claudeBin, env };
  }

  async function failingClaude(mode: StubMode): Promise<RequestAttempt> {
    stub = await startStubServer({ modes: [mode] });
    const home = join(dir, 'claude-home');
    const first = await runWithFallback('claude-cli', 'claude-cli/opus-4.6', await claude(stub.url, home));
    expect(await waitUntilNoProcessWithEnv(`HOME=${home}`)).toEqual([]);
    return first;
  }

  it('401: abandoned on the first api_retry notice, before Claude retries (fatal auth)', async () => {
    const first = await failingClaude({ status: 401 });
    logFailover('claude 401', first);
    expect(first).toMatchObject({ model: 'claude-cli/opus-4.6', ok: false, reason: 'auth' });
    expect(first.detail).toMatch(/HTTP 401, authentication_failed.*gave up while claude was retrying/);
    // Claude's own schedule sends 1 + CLAUDE_CODE_MAX_RETRIES requests (3 with the built-in bound,
    // 11 by default); the watch stops it after the first (the next would follow ~0.5 s later).
    expect(stub!.modelRequests().length).toBeLessThanOrEqual(2);
  });

  it('429 asking for a 30 s wait: abandoned at once instead of sleeping (retry-delay)', async () => {
    const first = await failingClaude({ status: 429, retryAfter: 30 });
    logFailover('claude 429 retry-after 30', first);
    expect(first).toMatchObject({ ok: false, reason: 'rate_limit' });
    expect(first.detail).toMatch(/would wait 30\d{3} ms before retrying/);
    expect(stub!.modelRequests()).toHaveLength(1);
  });

  it.each([
    [{ status: 429 }, 'rate_limit'],
    [{ status: 529 }, 'overloaded'],
    [{ status: 500 }, 'server_error'],
  ] as const)('%o: Claude ends after its bounded retries (1 + CLAUDE_CODE_MAX_RETRIES=2 requests) → %s', async (mode, reason) => {
    const first = await failingClaude(mode);
    logFailover(`claude ${mode.status}`, first);
    expect(first).toMatchObject({ ok: false, reason });
    // exactly the built-in bound: Claude's default would still be retrying after 60 s (11 requests)
    expect(stub!.modelRequests()).toHaveLength(3);
  });

  it('connection refused: Claude ends after its bounded retries with "Unable to connect" → transport', async () => {
    const home = join(dir, 'claude-home');
    const first = await runWithFallback('claude-cli', 'claude-cli/opus-4.6', await claude(`http://127.0.0.1:${await deadPort()}`, home));
    logFailover('claude connection refused', first);
    // with Claude's default 10 retries this message comes only after ~60 s of backoff
    expect(first).toMatchObject({ ok: false, reason: 'transport' });
    expect(first.detail).toMatch(/Unable to connect to API/);
    expect(await waitUntilNoProcessWithEnv(`HOME=${home}`)).toEqual([]);
  });

  it('output "json" set explicitly keeps the spec argv (no stream watch) and still falls back with the right reason', async () => {
    stub = await startStubServer({ modes: [{ status: 401 }] });
    const first = await runWithFallback('claude-cli', 'claude-cli/opus-4.6', { ...(await claude(stub.url)), output: 'json' });
    expect(first).toMatchObject({ ok: false, reason: 'auth' });
    expect(first.detail).not.toMatch(/gave up while/);
    // no watch: Claude's own bounded retries run to the end (1 + 2 requests)
    expect(stub.modelRequests()).toHaveLength(3);
  });
});

describe('codex behind a failing provider falls back within seconds', () => {
  /** The built-in codex-cli with a custom stub provider using Codex's DEFAULT retry settings. */
  function codex(target: StubLike): CliBackendConfig {
    const env = codexStubEnv(target, join(dir, 'codex-home'), { requestMaxRetries: 4, streamMaxRetries: 5, streamIdleTimeoutMs: 300_000 });
    return { command: codexBin, env };
  }
  const model = `codex-cli/${CODEX_STUB_MODEL}`;

  it('401: abandoned on the first Reconnecting notice (Codex alone: 6 requests over ~6.6 s)', async () => {
    stub = await startStubServer({ modes: [{ status: 401 }] });
    const first = await runWithFallback('codex-cli', model, codex(stub));
    logFailover('codex 401', first);
    expect(first).toMatchObject({ model, ok: false, reason: 'auth' });
    expect(first.detail).toMatch(/401 Unauthorized.*gave up while codex was retrying/);
    // Codex's next round starts ~0.2 s after the notice; allow one more under load (it alone sends 6)
    expect(stub.modelRequests().length).toBeLessThanOrEqual(3);
    expect(await waitUntilNoProcessWithEnv(`CODEX_HOME=${join(dir, 'codex-home', '.codex')}`)).toEqual([]);
  });

  it('500: abandoned after one failed round (Codex alone: 30 requests over ~25 s)', async () => {
    stub = await startStubServer({ modes: [{ status: 500 }] });
    const first = await runWithFallback('codex-cli', model, codex(stub));
    logFailover('codex 500', first);
    expect(first).toMatchObject({ ok: false, reason: 'overloaded' });
    expect(first.detail).toMatch(/high demand.*gave up while codex was retrying/);
    // one round is 1 + request_max_retries (4) requests; the next round would start right away
    expect(stub.modelRequests().length).toBeLessThanOrEqual(10);
  });

  it('connection refused: Codex waits for the network forever; the watch gives up on the first notice → transport', async () => {
    const first = await runWithFallback('codex-cli', model, codex({ url: `http://127.0.0.1:${await deadPort()}` }));
    logFailover('codex connection refused', first);
    expect(first).toMatchObject({ ok: false, reason: 'transport' });
    expect(first.detail).toMatch(/waiting for network.*would retry forever/);
    expect(await waitUntilNoProcessWithEnv(`CODEX_HOME=${join(dir, 'codex-home', '.codex')}`)).toEqual([]);
  });
});

describe('gemini behind a failing provider falls back within seconds', () => {
  const model = `gemini-cli/${GEMINI_STUB_MODEL}`;

  /** The built-in gemini-cli against a stub answering `mode`, with Gemini's default retries. */
  async function failingGemini(mode: StubMode): Promise<RequestAttempt> {
    stub = await startStubServer({ modes: [mode] });
    const home = join(dir, 'gemini-home');
    const first = await runWithFallback('gemini-cli', model, { command: geminiBin, env: geminiStubEnv(stub, home) });
    expect(await waitUntilNoProcessWithEnv(`HOME=${home}`)).toEqual([]);
    return first;
  }

  it.each([
    [429, 'rate_limit'],
    [503, 'overloaded'],
  ] as const)(
    '%i: abandoned on the first "Attempt 1 failed" notice on stderr (gemini alone: next request 4-6 s later)',
    async (status, reason) => {
      const first = await failingGemini({ status });
      logFailover(`gemini ${status}`, first);
      expect(first).toMatchObject({ model, ok: false, reason, status });
      expect(first.detail).toMatch(/gave up while gemini was retrying/);
      expect(stub?.modelRequests().length).toBe(1);
    },
  );

  it('401: gemini does not retry it; its JSON error on stderr gives auth', async () => {
    const first = await failingGemini({ status: 401 });
    expect(first).toMatchObject({ model, ok: false, reason: 'auth', status: 401 });
    expect(stub?.modelRequests().length).toBe(1);
  });
});
