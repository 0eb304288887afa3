import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import {
  CLAUDE_CLI_BACKEND,
  CODEX_CLI_BACKEND,
  loadConfig,
  resolveConfig,
  resolveConfigPath,
  safetynetHome,
} from '../../src/config/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixture = (name: string) => join(here, 'fixtures', name);

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'safetynet-config-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function write(path: string, text: string): Promise<string> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, text);
  return path;
}

async function rejection(promise: Promise<unknown>): Promise<ConfigError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

describe('config file lookup', () => {
  it('SAFETYNET_HOME overrides ~/.safetynet', () => {
    expect(safetynetHome({ SAFETYNET_HOME: '/srv/sn', HOME: '/home/me' })).toBe('/srv/sn');
    expect(safetynetHome({ HOME: '/home/me' })).toBe('/home/me/.safetynet');
    expect(safetynetHome({ SAFETYNET_HOME: '', HOME: '/home/me' })).toBe('/home/me/.safetynet');
  });

  it('--config wins over SAFETYNET_CONFIG, which wins over SAFETYNET_HOME', () => {
    const env = { SAFETYNET_CONFIG: '/etc/sn.json5', SAFETYNET_HOME: '/srv/sn' };
    expect(resolveConfigPath({ file: '/tmp/flag.json5', env })).toEqual({ path: '/tmp/flag.json5', explicit: true, origin: '--config' });
    expect(resolveConfigPath({ env })).toEqual({ path: '/etc/sn.json5', explicit: true, origin: 'SAFETYNET_CONFIG' });
    expect(resolveConfigPath({ env: { SAFETYNET_HOME: '/srv/sn' } })).toEqual({
      path: '/srv/sn/config.json5',
      explicit: false,
      origin: 'default',
    });
  });

  it('relative and ~/ paths become absolute', () => {
    expect(resolveConfigPath({ file: 'conf/x.json5', env: {} }).path).toBe(join(process.cwd(), 'conf/x.json5'));
    expect(resolveConfigPath({ env: { SAFETYNET_CONFIG: '~/sn.json5', HOME: '/home/me' } }).path).toBe('/home/me/sn.json5');
  });

  it('loads the --config file even when SAFETYNET_CONFIG and SAFETYNET_HOME name other files', async () => {
    const flag = await write(join(dir, 'flag.json5'), '{ agents: { defaults: { timeoutSeconds: 1 } } }');
    const viaEnv = await write(join(dir, 'env.json5'), '{ agents: { defaults: { timeoutSeconds: 2 } } }');
    await write(join(dir, 'home', 'config.json5'), '{ agents: { defaults: { timeoutSeconds: 3 } } }');
    const env = { SAFETYNET_CONFIG: viaEnv, SAFETYNET_HOME: join(dir, 'home') };
    expect(await loadConfig({ file: flag, env })).toMatchObject({ source: flag, attemptTimeoutMs: 1000 });
    expect(await loadConfig({ env })).toMatchObject({ source: viaEnv, attemptTimeoutMs: 2000 });
    expect(await loadConfig({ env: { SAFETYNET_HOME: join(dir, 'home') } })).toMatchObject({
      source: join(dir, 'home', 'config.json5'),
      attemptTimeoutMs: 3000,
    });
  });

  it('no config file anywhere means the built-in backends alone', async () => {
    const config = await loadConfig({ env: { SAFETYNET_HOME: join(dir, 'empty-home') } });
    expect(config).toEqual(resolveConfig(null, null));
    expect(config.source).toBeNull();
    expect(Object.keys(config.backends)).toEqual(['claude-cli', 'codex-cli', 'gemini-cli']);
    expect(config.attemptTimeoutMs).toBe(600_000);
  });

  it('a missing --config file is an error naming the path and the flag', async () => {
    const missing = join(dir, 'nope.json5');
    const error = await rejection(loadConfig({ file: missing, env: {} }));
    expect(error.code).toBe('SAFETYNET_CONFIG_NOT_FOUND');
    expect(error.file).toBe(missing);
    expect(error.message).toContain(missing);
    expect(error.message).toContain('--config');
    expect(error.cause).toMatchObject({ code: 'ENOENT' });
  });

  it('a missing SAFETYNET_CONFIG file is an error naming the variable', async () => {
    const missing = join(dir, 'nope.json5');
    const error = await rejection(loadConfig({ env: { SAFETYNET_CONFIG: missing } }));
    expect(error).toMatchObject({ code: 'SAFETYNET_CONFIG_NOT_FOUND', file: missing });
    expect(error.message).toContain('SAFETYNET_CONFIG');
  });

  it('a folder given as the config file is an error, not an empty config', async () => {
    const error = await rejection(loadConfig({ file: dir, env: {} }));
    expect(error.code).toBe('SAFETYNET_CONFIG_NOT_FOUND');
    expect(error.message).toContain('is a folder');
  });
});

describe('config file parsing', () => {
  it('a JSON5 syntax error gives file:line:column', async () => {
    const file = await write(join(dir, 'bad.json5'), '{\n  agents: {\n    defaults: ]\n  }\n}\n');
    const error = await rejection(loadConfig({ file, env: {} }));
    expect(error).toMatchObject({ code: 'SAFETYNET_CONFIG_SYNTAX', file, line: 3, column: 15 });
    expect(error.message).toBe(`${file}:3:15: invalid character ']' — fix the syntax`);
    expect(error.cause).toBeInstanceOf(SyntaxError);
  });

  it('an empty file is a syntax error at 1:1', async () => {
    const file = await write(join(dir, 'empty.json5'), '');
    expect(await rejection(loadConfig({ file, env: {} }))).toMatchObject({ code: 'SAFETYNET_CONFIG_SYNTAX', line: 1, column: 1 });
  });

  it('a UTF-8 byte order mark is accepted', async () => {
    const file = await write(join(dir, 'bom.json5'), '\uFEFF{ agents: { defaults: { timeoutSeconds: 5 } } }');
    expect((await loadConfig({ file, env: {} })).attemptTimeoutMs).toBe(5000);
  });

  it('schema problems name the file they came from', async () => {
    const file = await write(
      join(dir, 'c.json5'),
      '{ agents: { defaults: { cliBackends: { "codex-cli": { sessionMode: "sometimes" } } } } }',
    );
    const error = await rejection(loadConfig({ file, env: {} }));
    expect(error.code).toBe('SAFETYNET_CONFIG_INVALID');
    expect(error.problems).toEqual([
      {
        file,
        path: 'agents.defaults.cliBackends.codex-cli.sessionMode',
        expected: 'one of "always" | "existing" | "none"',
        received: '"sometimes"',
      },
    ]);
  });

  it('an inline config skips the file lookup and reports problems as <inline>', async () => {
    const env = { SAFETYNET_CONFIG: join(dir, 'does-not-exist.json5') };
    const config = await loadConfig({ env, inline: { agents: { defaults: { model: 'claude-cli/opus-4.6' } } } });
    expect(config).toMatchObject({ source: '<inline>', primary: 'claude-cli/opus-4.6' });
    const error = await rejection(loadConfig({ env, inline: { agents: { defaults: { cliBackends: { x: {} } } } } }));
    expect(error.problems[0]).toMatchObject({ file: '<inline>', path: 'agents.defaults.cliBackends.x.command' });
  });
});

describe('the spec example configs load unchanged', () => {
  it('quick start: an absolute command path keeps every other built-in key', async () => {
    const config = await loadConfig({ file: fixture('spec-quick-start.json5'), env: {} });
    expect(config.backends['claude-cli']).toMatchObject({
      command: '/opt/homebrew/bin/claude',
      args: CLAUDE_CLI_BACKEND.args,
      resumeArgs: CLAUDE_CLI_BACKEND.resumeArgs,
      modelArg: '--model',
    });
    expect(config.backends['codex-cli']?.command).toBe('codex');
  });

  it('fallback example: primary, fallbacks and the allowlist', async () => {
    const config = await loadConfig({ file: fixture('spec-fallback.json5'), env: {} });
    expect(config).toMatchObject({
      primary: 'anthropic/claude-opus-4-6',
      fallbacks: ['claude-cli/opus-4.6', 'claude-cli/opus-4.5'],
      allowlist: { 'anthropic/claude-opus-4-6': { alias: 'Opus' }, 'claude-cli/opus-4.6': {}, 'claude-cli/opus-4.5': {} },
    });
  });

  it('example configuration: a custom my-cli backend with every key', async () => {
    const config = await loadConfig({ file: fixture('spec-example.json5'), env: {} });
    expect(config.backends['my-cli']).toMatchObject({
      id: 'my-cli',
      command: 'my-cli',
      args: ['--json'],
      resumeArgs: [],
      output: 'json',
      input: 'arg',
      modelArg: '--model',
      modelAliases: { 'claude-opus-4-6': 'opus', 'claude-opus-4-5': 'opus', 'claude-sonnet-4-5': 'sonnet' },
      sessionArg: '--session',
      sessionMode: 'existing',
      sessionIdFields: ['session_id', 'conversation_id'],
      systemPromptArg: '--system',
      systemPromptWhen: 'first',
      imageArg: '--image',
      imageMode: 'repeat',
      serialize: true,
      promptSeparator: undefined,
    });
  });

  it('unused sections of a whole gateway config are ignored', async () => {
    const config = await loadConfig({ file: fixture('gateway-full.json5'), env: {} });
    expect(config.attemptTimeoutMs).toBe(300_000);
    expect(config.fallbacks).toHaveLength(3);
    expect(config.backends['codex-cli']).toMatchObject({ command: '/usr/local/bin/codex', args: CODEX_CLI_BACKEND.args });
  });
});

describe('resolveConfig', () => {
  it('built-ins alone resolve without a file and without the schema', () => {
    const config = resolveConfig(null, null);
    expect(config).toMatchObject({ source: null, primary: undefined, fallbacks: [], allowlist: undefined, attemptTimeoutMs: 600_000 });
    expect(config.backends['claude-cli']?.command).toBe('claude');
    expect(config.backends['codex-cli']?.output).toBe('jsonl');
  });

  it('half-open probes default to one per 5 000 ms and the same-candidate retry to off; the file sets them', () => {
    expect(resolveConfig(null, null)).toMatchObject({ cooldowns: { probeIntervalMs: 5_000 }, retry: { sameCandidateMaxMs: 0 } });
    const file = { safetynet: { cooldowns: { probeIntervalSeconds: 2.5 }, retry: { sameCandidateMaxMs: 1500 } } };
    expect(resolveConfig(file, '<inline>')).toMatchObject({ cooldowns: { probeIntervalMs: 2_500 }, retry: { sameCandidateMaxMs: 1500 } });
  });

  it('backend ids in the file are matched case-insensitively', () => {
    const config = resolveConfig(
      { agents: { defaults: { cliBackends: { 'Claude-CLI': { command: '/x/claude' }, 'My-CLI': { command: 'mine' } } } } },
      '<inline>',
    );
    expect(config.backends['claude-cli']?.command).toBe('/x/claude');
    expect(config.backends['my-cli']).toMatchObject({ id: 'my-cli', command: 'mine' });
  });

  it('a string model is the primary; timeoutSeconds becomes attemptTimeoutMs', () => {
    expect(resolveConfig({ agents: { defaults: { model: ' codex-cli/gpt-5 ', timeoutSeconds: 1.5 } } }, '<inline>')).toMatchObject({
      primary: 'codex-cli/gpt-5',
      fallbacks: [],
      attemptTimeoutMs: 1500,
    });
  });

  it('the config modules load zod and json5 only through a dynamic import', async () => {
    // Start-up speed: `safetynet agent` without a config file must not load zod. Every module the
    // index imports statically must be free of static zod/json5/schema imports.
    for (const name of ['index.ts', 'builtins.ts', 'merge.ts', 'load.ts', 'model-refs.ts', 'problems.ts', 'types.ts']) {
      const source = await readFile(join(here, '../../src/config', name), 'utf8');
      const staticImports = [...source.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+'([^']+)'/gm)].map((m) => m[1]);
      expect(
        staticImports.filter((spec) => spec === 'zod' || spec === 'json5' || spec === './schema.js'),
        name,
      ).toEqual([]);
    }
    const load = await readFile(join(here, '../../src/config/load.ts'), 'utf8');
    expect(load).toContain("await import('./schema.js')");
    expect(load).toContain("await import('json5')");
  });
});
