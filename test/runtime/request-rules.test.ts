/**
 * The request machine's rules through the real runtime (`createRuntime` → `run`): the fixture CLI
 * (or a small script written into the temp folder) as backends, a loopback API stub, and a real
 * LevelDB store in a temp folder. Each test would fail if the rule it is named after were dropped
 * from the machine.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRuntime, type RequestError, type Runtime } from '../../src/index.js';
import type { SafetynetConfigFile } from '../../src/config/types.js';
import { CooldownStore } from '../../src/store/index.js';
import { fakeCliBackend } from '../contract/harnesses.js';
import { FAKE_CLI } from '../support/fake-cli.js';
import { startStubServer } from '../support/stub-server/index.js';

/** Holds a LevelDB folder's lock (see the fixture); exits 0 only when it could take it. */
const HOLD_LOCK = join(import.meta.dirname, '../fixtures/bin/hold-level-lock.mjs');

type Defaults = NonNullable<NonNullable<SafetynetConfigFile['agents']>['defaults']>;

describe('request rules through the runtime', () => {
  let dir: string;
  let runtime: Runtime | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'safetynet-request-rules-'));
  });
  afterEach(async () => {
    await runtime?.close();
    runtime = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  async function start(defaults: Defaults, extra: Partial<SafetynetConfigFile> = {}): Promise<Runtime> {
    runtime = await createRuntime({ config: { agents: { defaults }, ...extra } as never, storeLocation: join(dir, 'state') });
    return runtime;
  }

  /** Writes an executable Node script into the temp folder and returns its path. */
  function script(name: string, body: string): string {
    const file = join(dir, name);
    writeFileSync(file, `#!/usr/bin/env node\n${body}\n`, { mode: 0o755 });
    return file;
  }

  const lines = (file: string) => readFileSync(file, 'utf8').trim().split('\n');

  it('a stored session rejected as unknown is retried once as a new session, and only when one was stored', async () => {
    const cli = await fakeCliBackend(join(dir, 'cli'));
    // A CLI that always says the session is unknown, and logs each call.
    const unknownLog = join(dir, 'unknown.log');
    const unknown = script(
      'unknown-session.mjs',
      `const { appendFileSync } = await import('node:fs');
appendFileSync(${JSON.stringify(unknownLog)}, 'call\\n');
process.stderr.write('No conversation found with session ID: 7b5f0a1e-0000-4000-8000-000000000000\\n');
process.exitCode = 1;`,
    );
    const rt = await start({
      model: { primary: cli.model },
      cliBackends: { [cli.backendId]: cli.backend, unknown: { command: unknown, output: 'json', sessionMode: 'always' } },
    });

    const first = await rt.run({ message: 'one', sessionKey: 'k' });
    const stored = first.cliSessionId;
    expect(stored).toEqual(expect.any(String));
    // The CLI forgets every session: the stored id is now unknown to it.
    await rm(join(dir, 'cli', 'sessions'), { recursive: true, force: true });
    writeFileSync(join(dir, 'cli', 'calls.log'), '');
    const second = await rt.run({ message: 'two', sessionKey: 'k' });
    // the resume sends the message only; the one retry is a new session, reseeded with the transcript
    const [resumed, retried, ...more] = lines(join(dir, 'cli', 'calls.log')).map((line) => JSON.parse(line) as string);
    expect(more).toEqual([]);
    expect(resumed).toBe('two');
    expect(retried).toMatch(/^This is our conversation so far .*\n<conversation-history kind="reseed" turns="2" omitted="0">\n/);
    expect(retried).toContain('<turn seq="1" role="user">\none\n</turn>');
    expect(retried).toMatch(/<\/conversation-history>\n\ntwo$/);
    expect(second.text).toMatch(/\n\ntwo turns=1/);
    expect(second.attempts).toEqual([expect.objectContaining({ model: cli.model, ok: true, continuation: 'reseed', historyTurns: 2 })]);
    expect(second.cliSessionId).not.toBe(stored);
    expect((await rt.sessions.list('k')).map((binding) => binding.cliSessionId)).toEqual([second.cliSessionId]);

    // Nothing stored for this key and backend: the same answer is a plain failure, never retried.
    const failure = (await rt
      .run({ message: 'three', sessionKey: 'fresh', model: 'unknown/x' })
      .catch((error: unknown) => error)) as RequestError;
    expect(failure.attempts).toEqual([expect.objectContaining({ model: 'unknown/x', ok: false, reason: 'session_expired' })]);
    expect(lines(unknownLog)).toEqual(['call']);
  });

  it('a failed session write keeps the answer and reports a persist warning', async () => {
    const cli = await fakeCliBackend(join(dir, 'cli'));
    const store = join(dir, 'state');
    // Runs the fixture CLI after turning the store folder into a plain file: the session read before
    // the turn worked, the session write after it cannot (not even as root). It first waits until the
    // runtime has closed the database (the fixture can take its lock), so no open handle survives.
    const breaking = script(
      'break-store.mjs',
      `const { rmSync, writeFileSync } = await import('node:fs');
const { spawnSync } = await import('node:child_process');
const node = (args) => spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] }).status;
for (let i = 0; i < 100 && node([${JSON.stringify(HOLD_LOCK)}, ${JSON.stringify(store)}, '0']) !== 0; i++) await new Promise((r) => setTimeout(r, 20));
rmSync(${JSON.stringify(store)}, { recursive: true, force: true });
writeFileSync(${JSON.stringify(store)}, 'not a folder');
process.exitCode = spawnSync(process.execPath, [${JSON.stringify(FAKE_CLI)}, ...process.argv.slice(2)], { stdio: 'inherit' }).status ?? 1;`,
    );
    const rt = await start({ model: { primary: cli.model }, cliBackends: { [cli.backendId]: { ...cli.backend, command: breaking } } });
    const result = await rt.run({ message: 'keep me', sessionKey: 'k' });
    expect(result.text).toMatch(/^echo: keep me turns=1/);
    expect(result.cliSessionId).toEqual(expect.any(String));
    expect(result.attempts).toEqual([expect.objectContaining({ model: cli.model, ok: true })]);
    expect(result.warnings).toEqual([expect.stringMatching(/^the turn could not be stored \(transcript and CLI session id\): \S/)]);
  });

  it('a failed parse never stores a session', async () => {
    const cli = await fakeCliBackend(join(dir, 'cli'));
    const rt = await start({ model: { primary: cli.model }, cliBackends: { [cli.backendId]: cli.backend } });
    const first = await rt.run({ message: 'one', sessionKey: 'k' });
    const before = await rt.sessions.list('k');
    cli.setMode('auth'); // exit 1 and an is_error result that still names the session id
    const failure = (await rt.run({ message: 'two', sessionKey: 'k' }).catch((error: unknown) => error)) as RequestError;
    expect(failure.code).toBe('SAFETYNET_ALL_CANDIDATES_FAILED');
    expect(failure.attempts).toEqual([expect.objectContaining({ model: cli.model, ok: false, reason: 'auth' })]);
    expect(await rt.sessions.list('k')).toEqual(before);
    expect(before.map((binding) => [binding.cliSessionId, binding.turns])).toEqual([[first.cliSessionId, 1]]);
    await rt.close(); // waits for the cooldown write
    runtime = undefined;
    const cooldowns = new CooldownStore({ location: join(dir, 'state') });
    const cooling = [...(await cooldowns.read([cli.model, cli.backendId])).values()]; // auth cools the whole provider
    expect(cooling).toEqual([expect.objectContaining({ reason: 'auth' })]);
    await cooldowns.close();
  });

  it('an exit-0 CLI whose json/jsonl output is truncated or binary falls back to the next candidate (server_error)', async () => {
    const cli = await fakeCliBackend(join(dir, 'cli'));
    const truncated = script('truncated.mjs', `process.stdout.write('{"type":"result","result":"trunc');`);
    const binary = script('binary.mjs', `process.stdout.write(Buffer.from(Array.from({ length: 65536 }, (_, i) => (i * 131 + 7) % 256)));`);
    const rt = await start({
      model: { primary: 'truncated/m', fallbacks: ['binary/m', cli.model] },
      cliBackends: {
        [cli.backendId]: cli.backend,
        truncated: { command: truncated, output: 'jsonl', sessionMode: 'none' },
        binary: { command: binary, output: 'json', sessionMode: 'none' },
      },
    });
    const result = await rt.run({ message: 'hello' });
    expect(result.attempts).toEqual([
      expect.objectContaining({ model: 'truncated/m', ok: false, reason: 'server_error', detail: expect.stringContaining('truncated') }),
      expect.objectContaining({ model: 'binary/m', ok: false, reason: 'server_error', detail: expect.stringContaining('binary') }),
      expect.objectContaining({ model: cli.model, ok: true }),
    ]);
    expect(result.model).toBe(cli.model);
  });

  it('an API timeout falls back to the next candidate', async () => {
    const stub = await startStubServer({ modes: ['hang'] });
    try {
      const cli = await fakeCliBackend(join(dir, 'cli'));
      const rt = await start(
        { model: { primary: 'stub/claude-test', fallbacks: [cli.model] }, cliBackends: { [cli.backendId]: cli.backend } },
        { models: { providers: { stub: { api: 'anthropic-messages', baseUrl: stub.url, apiKey: 'sk-stub-not-a-real-key' } } } } as never,
      );
      // long enough for the fixture CLI to start on a busy machine; the hanging stub still times out
      const result = await rt.run({ message: 'anyone?', timeoutMs: 2_000 });
      expect(result.attempts).toEqual([
        expect.objectContaining({ model: 'stub/claude-test', backend: 'api', ok: false, reason: 'timeout' }),
        expect.objectContaining({ model: cli.model, backend: 'cli', ok: true }),
      ]);
      expect(result).toMatchObject({ model: cli.model, backend: 'cli' });
    } finally {
      await stub.close();
    }
  });
});
