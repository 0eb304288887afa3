/**
 * `safetynet agent --stream` through pipes: the reply reaches stdout while the CLI still runs, the
 * final stdout is byte-identical to `--no-stream`'s (a streaming CLI, a CLI that prints at exit, an
 * API candidate), no fallback after streamed output, and `--stream` with `--json` is bad usage.
 * What the screen shows on a terminal: `./terminal.test.ts`.
 */
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { startStubServer, type StubServer } from '../support/stub-server/index.js';
import { BIN, cleanup, configWith, fakeBackend, RUN_TIMEOUT_MS, sandbox, trackMarker, writeConfig, type Sandbox } from './support.js';

const JSONL_CLI = path.join(import.meta.dirname, '../fixtures/bin/jsonl-stream.mjs');
const PARTIAL_CLI = path.join(import.meta.dirname, '../fixtures/bin/partial-stream.mjs');
const LONG_TEXT = 'The quick brown fox jumps over the lazy dog, then streams back in many small pieces.';

const stubs: StubServer[] = [];
afterEach(async () => {
  await Promise.all(stubs.splice(0).map((stub) => stub.close()));
  await cleanup();
});

/** Start `safetynet agent <args>` with pipes; stdout is kept byte for byte (final newline included). */
function startAgent(box: Sandbox, args: string[]) {
  const env: Record<string, string | undefined> = { ...process.env, SAFETYNET_HOME: box.home };
  delete env['SAFETYNET_CONFIG'];
  return execa(process.execPath, [BIN, 'agent', ...args], {
    cwd: box.cwd,
    env,
    extendEnv: false,
    stdin: 'ignore',
    reject: false,
    stripFinalNewline: false,
    timeout: RUN_TIMEOUT_MS,
    forceKillAfterDelay: 5_000,
  });
}

/** A sandbox with the streaming JSONL fixture CLI as `jsonl` (STREAM_GATE `<root>/gate` unless `gated` is false) and the fixture CLI as `fake`. */
async function streamSandbox(options: { gated?: boolean; streamMode?: 'fail'; primary?: string; fallbacks?: string[] } = {}) {
  const box = await sandbox();
  const gate = path.join(box.root, 'gate');
  trackMarker(`STREAM_GATE=${options.gated === false ? '' : gate}`);
  const jsonlEnv = {
    STREAM_GATE: options.gated === false ? '' : gate,
    ...(options.streamMode === undefined ? {} : { STREAM_MODE: options.streamMode }),
  };
  const config = writeConfig(
    path.join(box.root, 'config.json5'),
    configWith(
      {
        jsonl: { command: JSONL_CLI, output: 'jsonl', sessionMode: 'none', env: jsonlEnv },
        partial: { command: PARTIAL_CLI, output: 'jsonl', sessionMode: 'none' },
        fake: fakeBackend(box.fakeState),
      },
      { model: { primary: options.primary ?? 'jsonl/default', fallbacks: options.fallbacks ?? [] } },
    ),
  );
  return { box, gate, config };
}

describe('safetynet agent --stream', () => {
  it('--stream prints the reply as it arrives: its first part reaches stdout while the CLI still runs', async () => {
    const { box, gate, config } = await streamSandbox();
    const child = startAgent(box, ['--message', 'hi', '--config', config, '--stream']);
    let seen = '';
    // The CLI waits for the gate after its first message (it gives up after 10 s): opened only once
    // that message reached stdout, so an answer printed at the end could never complete.
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += String(chunk);
      if (seen.includes('first part') && !existsSync(gate)) writeFileSync(gate, '');
    });
    const result = await child;

    expect(result.exitCode, String(result.stderr)).toBe(0);
    expect(result.stdout).toBe('first part\n\nsecond part\n');
  });

  it('the streamed stdout is byte-identical to the non-streamed one: a CLI streaming deltas, a CLI that prints at exit, an API candidate', async () => {
    const stub = await startStubServer({ modes: ['ok'], text: LONG_TEXT });
    stubs.push(stub);
    const { box, config } = await streamSandbox({ gated: false });
    const apiConfig = writeConfig(path.join(box.root, 'api.json5'), {
      agents: { defaults: { model: { primary: 'stub/model-x' } } },
      models: { providers: { stub: { api: 'anthropic-messages', baseUrl: stub.url, apiKey: 'sk-stub-not-a-real-key' } } },
    });
    for (const [model, file] of [
      ['partial/default', config],
      ['fake/default', config],
      ['stub/model-x', apiConfig],
    ] as const) {
      const streamed = await startAgent(box, ['--message', 'hi', '--model', model, '--config', file, '--stream']);
      const whole = await startAgent(box, ['--message', 'hi', '--model', model, '--config', file, '--no-stream']);
      expect(streamed.exitCode, String(streamed.stderr)).toBe(0);
      expect(whole.exitCode, String(whole.stderr)).toBe(0);
      expect(Buffer.from(String(streamed.stdout))).toEqual(Buffer.from(String(whole.stdout)));
      expect(String(whole.stdout)).toMatch(/^The quick brown fox.*\n$|^echo: hi/);
    }
    expect(stub.modelRequests()).toHaveLength(2);
  });

  it('a CLI turn of several messages streams all of them, as the runtime answers a streamed turn; --no-stream prints the last one', async () => {
    const { box, config } = await streamSandbox({ gated: false });

    const streamed = await startAgent(box, ['--message', 'hi', '--config', config, '--stream']);
    const whole = await startAgent(box, ['--message', 'hi', '--config', config, '--no-stream']);

    expect(streamed.stdout).toBe('first part\n\nsecond part\n');
    expect(whole.stdout).toBe('second part\n');
  });

  it('after part of the reply was streamed, a failing CLI ends the request (SAFETYNET_STREAM_INTERRUPTED) without falling back; --no-stream falls back', async () => {
    const { box, config } = await streamSandbox({ gated: false, streamMode: 'fail', fallbacks: ['fake/default'] });

    const streamed = await startAgent(box, ['--message', 'hi', '--config', config, '--stream']);
    expect(streamed.exitCode).toBe(1);
    expect(streamed.stdout).toBe('first part\n');
    expect(String(streamed.stderr)).toContain('SAFETYNET_STREAM_INTERRUPTED');
    expect(existsSync(path.join(box.fakeState, 'last-call.json'))).toBe(false);

    const whole = await startAgent(box, ['--message', 'hi', '--config', config, '--no-stream']);
    expect(whole.exitCode, String(whole.stderr)).toBe(0);
    expect(whole.stdout).toBe('echo: hi turns=1 model=default\n');
    expect(String(whole.stderr)).toContain('safetynet: answered by fake/default');
  });

  it('--stream with --json is bad usage (exit 2); --json with --no-stream prints the object', async () => {
    const { box, config } = await streamSandbox({ gated: false });

    const both = await startAgent(box, ['--message', 'hi', '--config', config, '--json', '--stream']);
    expect(both.exitCode).toBe(2);
    expect(String(both.stderr)).toMatch(/--stream and --json/);

    const json = await startAgent(box, ['--message', 'hi', '--config', config, '--json', '--no-stream']);
    expect(json.exitCode, String(json.stderr)).toBe(0);
    expect(JSON.parse(String(json.stdout))).toMatchObject({ text: 'second part' });
  });
});
