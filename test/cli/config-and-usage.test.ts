/**
 * Bad input and bad config: exit code 2 with a message naming the file, the flag or the key, and
 * what to do. Also the config lookup order (`--config`, `SAFETYNET_CONFIG`,
 * `$SAFETYNET_HOME/config.json5`).
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, configWith, fakeBackend, fakeSandbox, safetynet, sandbox, type Sandbox, writeConfig } from './support.js';

afterEach(cleanup);

describe('config errors', () => {
  it('exit code 2 for a config syntax error, naming file:line:column', async () => {
    const box = await sandbox();
    const file = writeConfig(path.join(box.root, 'broken.json5'), '{\n  agents: {\n    defaults: { timeoutSeconds: 10,, },\n  },\n}\n');
    const result = await safetynet(box, ['agent', '--message', 'hi', '--config', file]);

    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`${file}:3:36`);
    expect(result.stderr).toContain('fix the syntax');
    expect(result.stderr).toContain('SAFETYNET_CONFIG_SYNTAX');
  });

  it('exit code 2 for a syntax error in $SAFETYNET_HOME/config.json5, naming that file', async () => {
    const box = await sandbox();
    const file = writeConfig(path.join(box.home, 'config.json5'), '{ agents: ');
    const result = await safetynet(box, ['agent', '--message', 'hi', '--model', 'fake/default']);

    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:1:\\d+`));
  });

  it('exit code 2 for an unknown backend key, suggesting the closest one', async () => {
    const box = await sandbox();
    const file = writeConfig(
      path.join(box.root, 'config.json5'),
      configWith({ fake: fakeBackend(box.fakeState, { sesionArg: '--session-id' }) }),
    );
    const result = await safetynet(box, ['agent', '--message', 'hi', '--model', 'fake/default', '--config', file]);

    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(file);
    expect(result.stderr).toContain('agents.defaults.cliBackends.fake.sesionArg');
    expect(result.stderr).toContain('did you mean "sessionArg"?');
    expect(result.stderr).toContain('SAFETYNET_CONFIG_INVALID');
  });

  it('exit code 2 for a schema error, naming the key path, the expected shape and the received value', async () => {
    const box = await sandbox();
    const file = writeConfig(
      path.join(box.root, 'config.json5'),
      configWith({ fake: fakeBackend(box.fakeState, { sessionMode: 'sometimes' }) }),
    );
    const result = await safetynet(box, ['agent', '--message', 'hi', '--model', 'fake/default', '--config', file]);

    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(file);
    const line = result.stderr.split('\n').find((candidate) => candidate.includes('agents.defaults.cliBackends.fake.sessionMode'));
    expect(line, result.stderr).toBeDefined();
    expect(line).toMatch(/expected .*always/);
    expect(line).toContain('"sometimes"');
  });

  it('a missing --config file is reported with the flag that named it', async () => {
    const box = await sandbox();
    const missing = path.join(box.root, 'nope.json5');
    const result = await safetynet(box, ['agent', '--message', 'hi', '--config', missing]);

    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(missing);
    expect(result.stderr).toContain('--config');
    expect(result.stderr).toContain('SAFETYNET_CONFIG_NOT_FOUND');
  });

  it('a missing SAFETYNET_CONFIG file is reported with the variable that named it', async () => {
    const box = await sandbox();
    const missing = path.join(box.root, 'nope.json5');
    const result = await safetynet(box, ['agent', '--message', 'hi'], { env: { SAFETYNET_CONFIG: missing } });

    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(missing);
    expect(result.stderr).toContain('SAFETYNET_CONFIG');
    expect(result.stderr).toMatch(/unset SAFETYNET_CONFIG/);
  });

  it('the sessions commands report config errors the same way (exit 2)', async () => {
    const box = await sandbox();
    const missing = path.join(box.root, 'nope.json5');
    const result = await safetynet(box, ['sessions', 'list', '--config', missing]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(missing);
    expect(result.stderr).toContain('--config');
  });
});

describe('config lookup order', () => {
  it('--config wins over SAFETYNET_CONFIG, which wins over $SAFETYNET_HOME/config.json5', async () => {
    const box = await sandbox();
    const write = (file: string, model: string) =>
      writeConfig(file, configWith({ fake: fakeBackend(box.fakeState) }, { model: { primary: `fake/${model}` } }));
    write(path.join(box.home, 'config.json5'), 'from-home');
    const fromEnv = write(path.join(box.root, 'env.json5'), 'from-env');
    const fromFlag = write(path.join(box.root, 'flag.json5'), 'from-flag');

    const home = await safetynet(box, ['agent', '--message', 'hi']);
    expect(home.exitCode, home.stderr).toBe(0);
    expect(home.stdout).toBe('echo: hi turns=1 model=from-home');

    const env = await safetynet(box, ['agent', '--message', 'hi'], { env: { SAFETYNET_CONFIG: fromEnv } });
    expect(env.exitCode, env.stderr).toBe(0);
    expect(env.stdout).toBe('echo: hi turns=1 model=from-env');

    const flag = await safetynet(box, ['agent', '--message', 'hi', '--config', fromFlag], { env: { SAFETYNET_CONFIG: fromEnv } });
    expect(flag.exitCode, flag.stderr).toBe(0);
    expect(flag.stdout).toBe('echo: hi turns=1 model=from-flag');
  });

  it('a relative --config path resolves against the current directory', async () => {
    const box = await fakeSandbox({ model: { primary: 'fake/relative' } });
    const result = await safetynet(box, ['agent', '--message', 'hi', '--config', path.relative(box.cwd, box.config)]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toBe('echo: hi turns=1 model=relative');
  });
});

describe('usage errors', () => {
  it('exit code 2 when --message is missing', async () => {
    const box = await fakeSandbox();
    const result = await safetynet(box, ['agent', '--model', 'fake/default', '--config', box.config]);
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('--message');
    expect(result.stderr).toContain('--help');
  });

  it('exit code 2 when --message is empty, naming the flag', async () => {
    const box = await fakeSandbox();
    for (const message of ['', '   ']) {
      const result = await safetynet(box, ['agent', '--message', message, '--model', 'fake/default', '--config', box.config]);
      expect(result.exitCode).toBe(2);
      expect(result.stderr).toContain('--message');
      expect(existsSync(path.join(box.fakeState, 'last-call.json'))).toBe(false);
    }
  });

  it('exit code 2 when --session is empty, naming the flag', async () => {
    const box = await fakeSandbox();
    const result = await safetynet(box, ['agent', '--message', 'hi', '--session', '', '--model', 'fake/default', '--config', box.config]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('--session');
  });

  it('exit code 2 when --cwd is not a directory, naming the flag and the path', async () => {
    const box = await fakeSandbox();
    const missing = path.join(box.root, 'no-such-dir');
    const result = await safetynet(box, ['agent', '--message', 'hi', '--cwd', missing, '--model', 'fake/default', '--config', box.config]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('--cwd');
    expect(result.stderr).toContain(missing);
    expect(existsSync(path.join(box.fakeState, 'last-call.json'))).toBe(false);
  });

  it('--cwd (also relative) runs a new CLI session in that directory, stored as an absolute path so a later turn from elsewhere resumes it', async () => {
    const box = await fakeSandbox();
    const sub = path.join(box.cwd, 'sub');
    await mkdir(sub);
    const first = await safetynet(box, [
      'agent',
      '--message',
      'one',
      '--cwd',
      'sub',
      '--session',
      'here',
      '--model',
      'fake/default',
      '--config',
      box.config,
    ]);
    expect(first.exitCode, first.stderr).toBe(0);
    const show = await safetynet(box, ['sessions', 'show', 'here', '--json', '--config', box.config]);
    expect(JSON.parse(show.stdout)).toMatchObject({ backends: [{ cwd: sub }] });

    const second = await safetynet(
      box,
      ['agent', '--message', 'two', '--session', 'here', '--model', 'fake/default', '--config', box.config],
      { cwd: box.root },
    );
    expect(second.exitCode, second.stderr).toBe(0);
    expect(second.stdout).toBe('echo: two turns=2 model=default');
  });

  /** `safetynet agent --timeout=<value>` on the fixture CLI. */
  const agentWithTimeout = (box: Sandbox & { config: string }, value: string) =>
    safetynet(box, ['agent', '--message', 'hi', `--timeout=${value}`, '--model', 'fake/default', '--config', box.config]);

  it('exit code 2 for a bad --timeout, naming the flag and the value', async () => {
    const box = await fakeSandbox();
    for (const value of ['abc', '0', '-5']) {
      const result = await agentWithTimeout(box, value);
      expect(result.exitCode).toBe(2);
      expect(result.stderr).toContain('--timeout');
      expect(result.stderr).toContain(`"${value}"`);
    }
  });

  it("--timeout follows the config key's rule: beyond setTimeout's 2^31 − 1 ms it is a usage error naming the flag, never a timeout after 17 ms", async () => {
    const box = await fakeSandbox();
    for (const value of ['3000000', '2147484', 'Infinity']) {
      const result = await agentWithTimeout(box, value);
      expect(result.exitCode).toBe(2);
      expect(result.stderr).toContain('--timeout');
      expect(result.stderr).toContain('at most 2147483');
      expect(result.stderr).toContain(`"${value}"`);
    }
  });

  it('exit code 2 for an unknown option or command', async () => {
    const box = await sandbox();
    const option = await safetynet(box, ['agent', '--message', 'hi', '--bogus']);
    expect(option.exitCode).toBe(2);
    expect(option.stderr).toContain("unknown option '--bogus'");
    const command = await safetynet(box, ['bogus']);
    expect(command.exitCode).toBe(2);
    expect(command.stderr).toContain("unknown command 'bogus'");
    const none = await safetynet(box, []);
    expect(none.exitCode).toBe(2);
    expect(none.stderr).toContain('Usage: safetynet');
  });

  it('exit code 2 for a model ref without provider and no matching alias, saying how to write one', async () => {
    const box = await fakeSandbox();
    const result = await safetynet(box, ['agent', '--message', 'hi', '--model', 'opus', '--config', box.config]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('"opus"');
    expect(result.stderr).toContain('<provider>/<model>');
  });

  it('exit code 2 for a model ref whose provider nothing serves, listing the known providers', async () => {
    const box = await fakeSandbox();
    const result = await safetynet(box, ['agent', '--message', 'hi', '--model', 'nosuch/x', '--config', box.config]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('unknown provider "nosuch"');
    expect(result.stderr).toContain('claude-cli');
  });

  it('exit code 2 with no --model and no configured primary, naming both ways out', async () => {
    const box = await fakeSandbox();
    const result = await safetynet(box, ['agent', '--message', 'hi', '--config', box.config]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('--model');
    expect(result.stderr).toContain('agents.defaults.model.primary');
  });

  it('exit code 2 for a model outside the agents.defaults.models allowlist', async () => {
    const box = await fakeSandbox({ models: { 'fake/allowed': {} } });
    const result = await safetynet(box, ['agent', '--message', 'hi', '--model', 'fake/other', '--config', box.config]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('fake/other');
    expect(result.stderr).toContain('agents.defaults.models');
    expect(existsSync(path.join(box.fakeState, 'last-call.json'))).toBe(false);
  });

  it('exit code 2 for a missing --image, naming the flag and the path', async () => {
    const box = await fakeSandbox();
    const missing = path.join(box.root, 'missing.png');
    const result = await safetynet(box, [
      'agent',
      '--message',
      'hi',
      '--image',
      missing,
      '--model',
      'fake/default',
      '--config',
      box.config,
    ]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('--image');
    expect(result.stderr).toContain(missing);
    expect(existsSync(path.join(box.fakeState, 'last-call.json'))).toBe(false);
  });
});
