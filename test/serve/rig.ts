/**
 * The serve test rig: a runtime whose primary is an API candidate on a loopback stub (`stub/…`) and
 * whose fallback is the fixture CLI, served by `createServer` on 127.0.0.1 port 0; plus the official
 * SDK clients pointed at it (no retries: a status is seen as the server gave it).
 */
import { writeFileSync } from 'node:fs';
import { afterEach, expect } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { createRuntime, createServer, type Runtime, type SafetynetServer, type ServeOptions } from '../../src/index.js';
import type { SafetynetConfigFile } from '../../src/config/types.js';
import { fakeCliBackend } from '../contract/harnesses.js';
import { waitUntilNoProcessWithEnv } from '../support/processes.js';
import { startStubServer, type StubMode, type StubServer } from '../support/stub-server/index.js';

/** The primary's ref (an Anthropic Messages API on the stub). */
export const PRIMARY = 'stub/claude-test';

/** One rig: stub, runtime, server and clients. */
export interface ServeRig {
  dir: string;
  stub: StubServer;
  runtime: Runtime;
  server: SafetynetServer;
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** The fixture CLI fallback's model ref. */
  fallback: string;
  /** `FAKE_CLI_STATE=<dir>`: in the environment of every fixture CLI process of this rig. */
  marker: string;
  /** Set the fixture CLI's mode for its next calls (`ok`, `hang`, `slow`, `auth`, …). */
  setCliMode(mode: string): void;
  openai: OpenAI;
  anthropic: Anthropic;
  /** Close server, runtime and stub, remove the folder; resolves with fixture CLI pids still alive. */
  close(): Promise<number[]>;
}

/** Options of {@link startServeRig}. */
export interface RigOptions {
  modes?: StubMode[];
  serve?: ServeOptions;
  /** Extra config merged at the top (e.g. `safetynet.serve`, an allowlist). */
  config?: (fallback: string) => Partial<SafetynetConfigFile>;
  /** The primary model ref. @default PRIMARY */
  primary?: string;
  /** Extra API providers (a function gets the stub's URL, e.g. for a second provider on the stub). */
  providers?: Record<string, unknown> | ((stubUrl: string) => Record<string, unknown>);
  /** API key the clients send. */
  clientKey?: string;
}

/** Start a rig; close it in afterEach/afterAll. */
export async function startServeRig(options: RigOptions = {}): Promise<ServeRig> {
  const dir = await mkdtemp(join(tmpdir(), 'safetynet-serve-'));
  const stub = await startStubServer({ modes: options.modes ?? ['echo'] });
  const cli = await fakeCliBackend(join(dir, 'fallback'));
  const extra = options.config?.(cli.model) ?? {};
  const runtime = await createRuntime({
    config: {
      ...extra,
      agents: {
        defaults: {
          model: { primary: options.primary ?? PRIMARY, fallbacks: [cli.model] },
          cliBackends: { [cli.backendId]: cli.backend },
          ...(extra.agents?.defaults ?? {}),
        },
      },
      models: {
        providers: {
          stub: { api: 'anthropic-messages', baseUrl: stub.url, apiKey: 'sk-stub-not-a-real-key' },
          ...(typeof options.providers === 'function' ? options.providers(stub.url) : options.providers),
        },
      },
    } as never,
    storeLocation: join(dir, 'state'),
  });
  const server = await createServer(runtime, { host: '127.0.0.1', port: 0, ...options.serve });
  const url = await server.listen();
  const apiKey = options.clientKey ?? 'unused';
  return {
    dir,
    stub,
    runtime,
    server,
    url,
    fallback: cli.model,
    marker: cli.envMarker,
    setCliMode: (mode) => writeFileSync(join(dir, 'fallback', 'modes.json'), JSON.stringify([mode])),
    openai: new OpenAI({ baseURL: `${url}/v1`, apiKey, maxRetries: 0 }),
    anthropic: new Anthropic({ baseURL: url, apiKey, maxRetries: 0 }),
    async close() {
      await server.close(0);
      await runtime.close();
      await stub.close();
      const left = await waitUntilNoProcessWithEnv(cli.envMarker, 20, 50);
      await rm(dir, { recursive: true, force: true });
      return left;
    },
  };
}

/**
 * A rig per test of the calling file: call the returned `start` inside a test; the rig is closed
 * after the test (`afterEach`), which fails when a fixture CLI process outlived it.
 */
export function useServeRig(): (options?: RigOptions) => Promise<ServeRig> {
  let rig: ServeRig | undefined;
  afterEach(async () => {
    const closing = rig?.close();
    rig = undefined;
    if (closing !== undefined) expect(await closing).toEqual([]);
  });
  return async (options) => {
    rig = await startServeRig(options);
    return rig;
  };
}
