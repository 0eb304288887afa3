/**
 * `safetynet agent` as a user runs it: what goes to stdout and stderr, the `--json` object, exit
 * codes 0 and 1, fallback diagnostics, `--timeout`, `--help` and `--version`.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { waitUntilNoProcessWithEnv } from '../support/processes.js';
import {
  cleanup,
  configWith,
  extraFakeState,
  fakeBackend,
  fakeSandbox,
  flagValue,
  lastCall,
  safetynet,
  sandbox,
  setModes,
  writeConfig,
} from './support.js';

afterEach(cleanup);

describe('safetynet agent', () => {
  it('stdout carries the reply text only and diagnostics go to stderr', async () => {
    const box = await fakeSandbox();
    const result = await safetynet(box, ['agent', '--message', 'hi', '--model', 'fake/default', '--config', box.config]);

    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toBe('echo: hi turns=1 model=default');
    expect(result.stderr).toBe('');
    expect(lastCall(box.fakeState).prompt).toBe('hi');
  });

  it('--json prints one object with the documented fields', async () => {
    const box = await fakeSandbox();
    const result = await safetynet(box, ['agent', '--message', 'hi', '--model', 'fake/default', '--json', '--config', box.config]);

    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout.trim().split('\n')).toHaveLength(1);
    const json = JSON.parse(result.stdout) as Record<string, unknown>;
    const sessionId = flagValue(lastCall(box.fakeState).argv, '--session-id');
    expect(json).toMatchObject({
      text: 'echo: hi turns=1 model=default',
      model: 'fake/default',
      backend: 'cli',
      sessionKey: null,
      cliSessionId: sessionId,
      attempts: [{ model: 'fake/default', ok: true, durationMs: expect.any(Number) }],
      usage: { input: 10, output: 5 },
      durationMs: expect.any(Number),
    });
    expect(sessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(result.stderr).toBe('');
  });

  it('a prompt starting with "-" reaches the CLI as the prompt, not as a flag', async () => {
    const box = await fakeSandbox();
    const result = await safetynet(box, ['agent', '--message', '-x marks the spot', '--model', 'fake/default', '--config', box.config]);

    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toBe('echo: -x marks the spot turns=1 model=default');
  });

  it('exit code 1 when every candidate failed, and stderr lists each attempt with its reason and what to do', async () => {
    const box = await sandbox();
    const second = await extraFakeState(box, 'second-cli');
    const config = writeConfig(
      path.join(box.root, 'config.json5'),
      configWith(
        { fake: fakeBackend(box.fakeState), other: fakeBackend(second) },
        { model: { primary: 'fake/default', fallbacks: ['other/default'] } },
      ),
    );
    setModes(box.fakeState, ['auth']);
    setModes(second, ['auth']);
    const result = await safetynet(box, ['agent', '--message', 'hi', '--config', config]);

    expect(result.exitCode).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('every candidate failed (2 tried of 2)');
    for (const model of ['fake/default', 'other/default']) {
      const line = result.stderr.split('\n').find((candidate) => candidate.startsWith(`- ${model}: auth`));
      expect(line, result.stderr).toBeDefined();
      expect(line).toContain('Invalid API key'); // the CLI's own detail
      expect(line).toContain('→ check the API key, or log the CLI in'); // what to do
    }
    expect(result.stderr).toContain('[SAFETYNET_ALL_CANDIDATES_FAILED]');
  });

  it('--json on failure prints one object with the error code and every attempt, and still exits 1', async () => {
    const box = await fakeSandbox();
    setModes(box.fakeState, ['auth']);
    const result = await safetynet(box, ['agent', '--message', 'hi', '--model', 'fake/default', '--json', '--config', box.config]);

    expect(result.exitCode).toBe(1);
    const json = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(json).toMatchObject({
      error: { code: 'SAFETYNET_ALL_CANDIDATES_FAILED' },
      attempts: [{ model: 'fake/default', ok: false, reason: 'auth', durationMs: expect.any(Number) }],
    });
  });

  it('a failed primary falls back: stdout still carries only the reply, stderr names the failed attempt and who answered', async () => {
    const box = await sandbox();
    const second = await extraFakeState(box, 'second-cli');
    const config = writeConfig(
      path.join(box.root, 'config.json5'),
      configWith(
        { fake: fakeBackend(box.fakeState), other: fakeBackend(second) },
        { model: { primary: 'fake/default', fallbacks: ['other/backup'] } },
      ),
    );
    setModes(box.fakeState, ['auth']);
    const text = await safetynet(box, ['agent', '--message', 'hi', '--config', config]);

    expect(text.exitCode, text.stderr).toBe(0);
    expect(text.stdout).toBe('echo: hi turns=1 model=backup');
    expect(text.stderr).toMatch(/^safetynet: fake\/default failed \(auth\): .*Invalid API key/m);
    expect(text.stderr).toContain('safetynet: answered by other/backup');

    const json = await safetynet(box, ['agent', '--message', 'hi', '--config', config, '--json']);
    expect(json.exitCode, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      model: 'other/backup',
      attempts: [
        { model: 'fake/default', ok: false, reason: 'auth' },
        { model: 'other/backup', ok: true },
      ],
    });
  });

  it('--timeout bounds one attempt: a hanging CLI is killed with its process group and the command exits 1 with reason timeout', async () => {
    const box = await fakeSandbox();
    setModes(box.fakeState, ['hang']);
    const result = await safetynet(box, [
      'agent',
      '--message',
      'hi',
      '--model',
      'fake/default',
      '--timeout',
      '1',
      '--json',
      '--config',
      box.config,
    ]);

    expect(result.exitCode, result.stderr).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ attempts: [{ model: 'fake/default', ok: false, reason: 'timeout' }] });
    expect(result.stderr).toContain('raise --timeout'); // the advice names the flag that set the deadline
    expect(await waitUntilNoProcessWithEnv(box.marker)).toEqual([]);
  });

  it('the model defaults to agents.defaults.model.primary', async () => {
    const box = await fakeSandbox({ model: { primary: 'fake/primary-model' } });
    const result = await safetynet(box, ['agent', '--message', 'hi', '--config', box.config]);

    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toBe('echo: hi turns=1 model=primary-model');
  });

  it('--help and --version exit 0', async () => {
    const box = await sandbox();
    const help = await safetynet(box, ['--help']);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toContain('Usage: safetynet');
    expect(help.stdout).toContain('agent');
    expect(help.stdout).toContain('sessions');

    const agentHelp = await safetynet(box, ['agent', '--help']);
    expect(agentHelp.exitCode).toBe(0);
    for (const flag of ['--message', '--model', '--session', '--system-prompt', '--image', '--cwd', '--timeout', '--json', '--config']) {
      expect(agentHelp.stdout).toContain(flag);
    }

    const version = await safetynet(box, ['--version']);
    expect(version.exitCode).toBe(0);
    expect(version.stdout).toMatch(/^\d+\.\d+\.\d+/);
  });
});
