/**
 * The contract every CLI backend passes, run through the public runtime (`createRuntime` → `run`)
 * with real processes: the real `claude`, `codex` and `gemini` binaries against loopback stubs, and a fixture
 * CLI configured as a custom backend. Tests a backend cannot support are gated by its `supports`
 * manifest (after abstract-level's compliance suite).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRuntime, RequestError, type Runtime } from '../../src/index.js';
import type { CliBackendConfig, SafetynetConfigFile } from '../../src/config/types.js';
import { SessionStore } from '../../src/store/index.js';
import { waitForProcessWithEnv, waitUntilNoProcessWithEnv } from '../support/processes.js';
import { HANG_TEST_TIMEOUT_MS } from '../support/real-cli.js';
import { fakeCliBackend } from './harnesses.js';

/** What a backend supports; tests of unsupported features are skipped. */
export interface BackendSupports {
  /** Stored sessions are resumed (`resumeArgs`, or `sessionArg` with `sessionMode` always/existing). */
  resume: boolean;
  /** `input: "stdin"` works. */
  stdin: boolean;
  /** The backend has a `systemPromptArg`. */
  systemPrompt: boolean;
  /**
   * How images reach the model: `attached` (an `imageArg` flag; the model receives image parts) or
   * `prompt-path` (no `imageArg`: the staged paths are appended to the prompt, for CLIs that load
   * local files from plain paths, such as Claude Code).
   */
  images: 'attached' | 'prompt-path' | false;
}

/** A backend under test, wired to whatever it talks to. */
export interface ContractHarness {
  /** The backend id under `agents.defaults.cliBackends`. */
  backendId: string;
  /** The backend entry (merged over the built-in, if any). */
  backend: CliBackendConfig;
  /** A model ref served by it. */
  model: string;
  /** A `KEY=value` found in the environment of every process the backend spawns. */
  envMarker: string;
  /** What the next turns do: answer (echoing the prompt and the user turns seen), fail auth, or hang. */
  setMode(mode: 'ok' | 'auth' | 'hang'): void;
  /** How many images the model (or CLI) received in the last turn. */
  lastImageCount(): number;
  /** The user prompt the model (or CLI) received in the last turn. */
  lastPrompt(): string;
  /** The system prompt text the model (or CLI) received in the last turn, if any. */
  lastSystemPrompt(): string;
  close(): Promise<void>;
}

const pixel = join(import.meta.dirname, '../fixtures/pixel.png');

/** Options of {@link cliBackendContract}. */
export interface ContractOptions {
  /**
   * Per-test timeout in ms (real binaries: `REAL_CLI_TEST_TIMEOUT_MS`). The hang and abort tests keep
   * `HANG_TEST_TIMEOUT_MS`: their runs must end by the backend's own deadline. @default vitest's (60 s)
   */
  timeoutMs?: number;
}

export function cliBackendContract(
  name: string,
  supports: BackendSupports,
  makeHarness: (dir: string) => Promise<ContractHarness>,
  options: ContractOptions = {},
): void {
  describe(`CLI backend contract: ${name}`, options.timeoutMs === undefined ? {} : { timeout: options.timeoutMs }, () => {
    let dir: string;
    let harness: ContractHarness;
    let runtime: Runtime;
    let cwd: string;

    async function start(extra: CliBackendConfig = {}, fallbacks: string[] = [], more: Record<string, CliBackendConfig> = {}) {
      const config: SafetynetConfigFile = {
        agents: {
          defaults: {
            model: { primary: harness.model, fallbacks },
            cliBackends: { [harness.backendId]: { ...harness.backend, ...extra }, ...more },
          },
        },
      };
      runtime = await createRuntime({ config, storeLocation: join(dir, 'state') });
      return runtime;
    }

    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'safetynet-contract-'));
      cwd = await mkdtemp(join(dir, 'cwd-'));
      harness = await makeHarness(dir);
    });

    afterEach(async () => {
      await runtime?.close();
      await harness.close();
      await rm(dir, { recursive: true, force: true });
    });

    it('answers through the backend and reports one successful attempt', async () => {
      await start();
      const result = await runtime.run({ message: 'hello there', cwd });
      expect(result.text).toMatch(/^echo: hello there turns=1/);
      expect(result).toMatchObject({ model: harness.model, backend: 'cli', sessionKey: null });
      expect(result.attempts).toEqual([expect.objectContaining({ model: harness.model, ok: true })]);
    });

    it('a prompt that starts with "-" arrives intact', async () => {
      await start();
      const result = await runtime.run({ message: '-x marks the spot', cwd });
      expect(result.text).toMatch(/^echo: -x marks the spot/);
    });

    it.runIf(supports.resume)('two turns with one session key run in one CLI session', async () => {
      await start();
      const first = await runtime.run({ message: 'remember kiwi', sessionKey: 'demo', cwd });
      const second = await runtime.run({ message: 'what fruit?', sessionKey: 'demo', cwd });
      expect(first.cliSessionId).toBeTruthy();
      expect(second.cliSessionId).toBe(first.cliSessionId);
      expect(second.text).toMatch(/^echo: what fruit\? turns=2/);
      const [binding] = await runtime.sessions.list('demo');
      expect(binding).toMatchObject({ sessionKey: 'demo', backendId: harness.backendId, cliSessionId: first.cliSessionId, turns: 2, cwd });
    });

    it.runIf(supports.resume)('a failed turn never overwrites the stored session id', async () => {
      await start();
      const first = await runtime.run({ message: 'remember kiwi', sessionKey: 'demo', cwd });
      harness.setMode('auth');
      const failure = await runtime.run({ message: 'this turn fails', sessionKey: 'demo', cwd }).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(RequestError);
      expect((failure as RequestError).code).toBe('SAFETYNET_ALL_CANDIDATES_FAILED');
      expect((failure as RequestError).attempts[0]).toMatchObject({ model: harness.model, ok: false, reason: 'auth' });
      expect(await runtime.sessions.list('demo')).toEqual([expect.objectContaining({ cliSessionId: first.cliSessionId, turns: 1 })]);
      harness.setMode('ok');
      const third = await runtime.run({ message: 'what fruit?', sessionKey: 'demo', cwd });
      expect(third.cliSessionId).toBe(first.cliSessionId);
    });

    it.runIf(supports.resume)('a stored session id the CLI does not know is replaced by a new session', async () => {
      const stale = randomUUID();
      const store = new SessionStore({ location: join(dir, 'state') });
      await store.recordSuccess({ sessionKey: 'demo', backendId: harness.backendId, cliSessionId: stale, cwd });
      await store.close();
      await start();
      const result = await runtime.run({ message: 'hello again', sessionKey: 'demo', cwd });
      expect(result.text).toMatch(/^echo: hello again turns=1/);
      expect(result.cliSessionId).not.toBe(stale);
      expect(await runtime.sessions.list('demo')).toEqual([expect.objectContaining({ cliSessionId: result.cliSessionId, turns: 1 })]);
    });

    it.runIf(supports.stdin)('input "stdin" delivers the prompt over stdin', async () => {
      await start({ input: 'stdin' });
      const result = await runtime.run({ message: 'over stdin', cwd });
      expect(result.text).toMatch(/^echo: over stdin/);
    });

    it.runIf(supports.images === 'attached')('an image reaches the model as an image part', async () => {
      await start();
      const result = await runtime.run({ message: 'describe the image', images: [{ path: pixel }], cwd });
      expect(result.text).toMatch(/^echo: describe the image/);
      expect(harness.lastImageCount()).toBeGreaterThanOrEqual(1);
    });

    it.runIf(supports.images === 'prompt-path')(
      'without imageArg the image path is appended to the prompt, and the temp copy is gone afterwards',
      async () => {
        await start();
        await runtime.run({ message: 'describe the image', images: [{ path: pixel }], cwd });
        const staged = /\/\S*safetynet-images-\S*\.png/.exec(harness.lastPrompt())?.[0];
        expect(staged).toBeDefined();
        expect(existsSync(staged!)).toBe(false);
      },
    );

    it.runIf(supports.systemPrompt && supports.resume)(
      'the system prompt goes out on the first turn of a session only (systemPromptWhen first)',
      async () => {
        await start();
        await runtime.run({ message: 'first', sessionKey: 'sp', systemPrompt: 'You are terse.', cwd });
        expect(harness.lastSystemPrompt()).toContain('You are terse.');
        await runtime.run({ message: 'second', sessionKey: 'sp', systemPrompt: 'NOT SENT ON RESUME', cwd });
        expect(harness.lastSystemPrompt()).not.toContain('NOT SENT ON RESUME');
      },
    );

    it('a hanging CLI is stopped at the attempt deadline and its whole process group is gone', {
      timeout: HANG_TEST_TIMEOUT_MS,
    }, async () => {
      await start();
      harness.setMode('hang');
      const failure = await runtime.run({ message: 'hang please', cwd, timeoutMs: 1_500 }).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(RequestError);
      expect((failure as RequestError).attempts[0]).toMatchObject({ ok: false, reason: 'timeout' });
      expect(await waitUntilNoProcessWithEnv(harness.envMarker)).toEqual([]);
    });

    it('aborting the request kills the CLI and rejects with SAFETYNET_ABORTED', { timeout: HANG_TEST_TIMEOUT_MS }, async () => {
      await start();
      harness.setMode('hang');
      const controller = new AbortController();
      const running = runtime.run({ message: 'hang please', cwd, signal: controller.signal }).catch((error: unknown) => error);
      expect(await waitForProcessWithEnv(harness.envMarker)).toBe(true);
      controller.abort();
      const failure = await running;
      expect(failure).toBeInstanceOf(RequestError);
      expect((failure as RequestError).code).toBe('SAFETYNET_ABORTED');
      expect(await waitUntilNoProcessWithEnv(harness.envMarker)).toEqual([]);
    });

    it('a failing candidate falls back to the next one', async () => {
      const fallback = await fakeCliBackend(join(dir, 'fallback'));
      await start({}, [fallback.model], { [fallback.backendId]: fallback.backend });
      harness.setMode('auth');
      const result = await runtime.run({ message: 'anyone there?', cwd });
      expect(result.model).toBe(fallback.model);
      expect(result.text).toMatch(/^echo: anyone there\?/);
      expect(result.attempts).toEqual([
        expect.objectContaining({ model: harness.model, ok: false, reason: 'auth' }),
        expect.objectContaining({ model: fallback.model, ok: true }),
      ]);
      await fallback.close();
    });
  });
}
