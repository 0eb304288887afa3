import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { CLAUDE_CLI_BACKEND, CODEX_CLI_BACKEND, mergeBackend, mergeBackendConfig } from '../../src/config/index.js';

describe('mergeBackend', () => {
  it('args replace the built-in list whole while env merges per key', () => {
    const base = { command: 'x', args: ['-a', '-b'], env: { A: '1', B: '2' } };
    const resolved = mergeBackend('x', base, { args: ['--only'], env: { B: 'two', C: '3' } });
    expect(resolved.args).toEqual(['--only']);
    expect(resolved.env).toEqual({ A: '1', B: 'two', C: '3' });
  });

  it('resumeArgs, sessionArgs and sessionIdFields replace whole too', () => {
    const resolved = mergeBackend('codex-cli', CODEX_CLI_BACKEND, {
      resumeArgs: ['exec', 'resume', '{sessionId}'],
      sessionArgs: ['--sid', '{sessionId}'],
      sessionIdFields: ['id'],
    });
    expect(resolved.resumeArgs).toEqual(['exec', 'resume', '{sessionId}']);
    expect(resolved.sessionArgs).toEqual(['--sid', '{sessionId}']);
    expect(resolved.sessionIdFields).toEqual(['id']);
  });

  it('an override without a list keeps the base list', () => {
    const resolved = mergeBackend('claude-cli', CLAUDE_CLI_BACKEND, { command: '/opt/homebrew/bin/claude' });
    expect(resolved.args).toEqual(CLAUDE_CLI_BACKEND.args);
    expect(resolved.resumeArgs).toEqual(CLAUDE_CLI_BACKEND.resumeArgs);
    expect(resolved.command).toBe('/opt/homebrew/bin/claude');
  });

  it('modelAliases merge per key over the built-in map', () => {
    const resolved = mergeBackend('claude-cli', CLAUDE_CLI_BACKEND, { modelAliases: { 'opus-4.6': 'claude-opus-4-6', fast: 'haiku' } });
    expect(resolved.modelAliases['opus-4.6']).toBe('claude-opus-4-6');
    expect(resolved.modelAliases['fast']).toBe('haiku');
    expect(resolved.modelAliases['sonnet-4.5']).toBe('sonnet');
  });

  it('clearEnv is the union of the built-in and the user lists', () => {
    const resolved = mergeBackend('claude-cli', CLAUDE_CLI_BACKEND, { clearEnv: ['ANTHROPIC_API_KEY', 'OPENAI_API_KEY'] });
    expect(resolved.clearEnv).toEqual(['ANTHROPIC_API_KEY', 'ANTHROPIC_API_KEY_OLD', 'OPENAI_API_KEY']);
  });

  it('watchdog fresh and resume are deep-merged over the defaults', () => {
    const base = { command: 'x', reliability: { watchdog: { fresh: { minMs: 1000 }, resume: { maxMs: 5000 } } } };
    const resolved = mergeBackend('x', base, { reliability: { watchdog: { fresh: { noOutputTimeoutMs: 42_000 } } } });
    expect(resolved.watchdog.fresh).toEqual({ noOutputTimeoutRatio: 0.8, minMs: 1000, maxMs: 600_000, noOutputTimeoutMs: 42_000 });
    expect(resolved.watchdog.resume).toEqual({ noOutputTimeoutRatio: 0.3, minMs: 60_000, maxMs: 5000 });
  });

  it('other keys are shallow and the override wins', () => {
    const resolved = mergeBackend('codex-cli', CODEX_CLI_BACKEND, { output: 'text', sessionMode: 'none', serialize: true, imageArg: '-i' });
    expect(resolved).toMatchObject({ output: 'text', sessionMode: 'none', serialize: true, imageArg: '-i', modelArg: '--model' });
  });

  it('an undefined value in the override means unset, not "clear the built-in value"', () => {
    const resolved = mergeBackend('claude-cli', CLAUDE_CLI_BACKEND, {
      modelArg: undefined as unknown as string,
      args: undefined as unknown as string[],
    });
    expect(resolved.modelArg).toBe('--model');
    expect(resolved.args).toEqual(CLAUDE_CLI_BACKEND.args);
  });

  it('an empty promptSeparator turns the built-in "--" off instead of sending an empty argument', () => {
    expect(mergeBackend('claude-cli', CLAUDE_CLI_BACKEND, undefined).promptSeparator).toBe('--');
    expect(mergeBackend('claude-cli', CLAUDE_CLI_BACKEND, { promptSeparator: '' }).promptSeparator).toBeUndefined();
  });

  it('command is trimmed and the id lower-cased', () => {
    const resolved = mergeBackend('My-CLI', undefined, { command: '  /usr/bin/my-cli \n' });
    expect(resolved.command).toBe('/usr/bin/my-cli');
    expect(resolved.id).toBe('my-cli');
  });

  it('a custom backend gets every default', () => {
    const resolved = mergeBackend('my-cli', undefined, { command: 'my-cli' });
    expect(resolved).toEqual({
      id: 'my-cli',
      command: 'my-cli',
      args: [],
      resumeArgs: [],
      output: 'json',
      resumeOutput: undefined,
      input: 'arg',
      maxPromptArgChars: undefined,
      env: {},
      clearEnv: [],
      modelArg: undefined,
      modelAliases: {},
      sessionArg: undefined,
      sessionArgs: [],
      sessionMode: 'always',
      sessionIdFields: ['session_id', 'sessionId', 'conversation_id', 'conversationId'],
      systemPromptArg: undefined,
      systemPromptWhen: 'first',
      imageArg: undefined,
      imageMode: 'repeat',
      serialize: false,
      maxConcurrent: undefined,
      maxQueue: 32,
      promptSeparator: undefined,
      watchdog: {
        fresh: { noOutputTimeoutRatio: 0.8, minMs: 180_000, maxMs: 600_000 },
        resume: { noOutputTimeoutRatio: 0.3, minMs: 60_000, maxMs: 180_000 },
      },
    });
  });

  it('a backend without a command is a ConfigError naming the key', () => {
    const attempt = () => mergeBackend('my-cli', undefined, { args: ['x'] }, { file: '/tmp/c.json5' });
    expect(attempt).toThrow(ConfigError);
    try {
      attempt();
    } catch (error) {
      expect(error).toMatchObject({
        code: 'SAFETYNET_CONFIG_INVALID',
        file: '/tmp/c.json5',
        problems: [{ path: 'agents.defaults.cliBackends.my-cli.command', received: '(missing)' }],
      });
      expect((error as ConfigError).problems[0]?.expected).toContain('required for a backend that is not built in');
    }
    expect(() => mergeBackend('claude-cli', CLAUDE_CLI_BACKEND, { command: '   ' })).toThrow(
      /expected a non-empty string, received " {3}"/,
    );
  });

  it('maxConcurrent is unbounded by default, 1 with serialize: true, and the configured value otherwise', () => {
    expect(mergeBackend('my-cli', undefined, { command: 'x' })).toMatchObject({ maxConcurrent: undefined, maxQueue: 32 });
    expect(mergeBackend('my-cli', undefined, { command: 'x', serialize: true })).toMatchObject({ maxConcurrent: 1 });
    expect(mergeBackend('my-cli', undefined, { command: 'x', serialize: true, maxConcurrent: 1 })).toMatchObject({ maxConcurrent: 1 });
    expect(mergeBackend('claude-cli', CLAUDE_CLI_BACKEND, { maxConcurrent: 4, maxQueue: 0 })).toMatchObject({
      maxConcurrent: 4,
      maxQueue: 0,
    });
  });

  it('serialize: true with a maxConcurrent above 1 is a ConfigError naming the key and the value', () => {
    const attempt = () => mergeBackend('my-cli', undefined, { command: 'x', serialize: true, maxConcurrent: 3 }, { file: '/tmp/c.json5' });
    expect(attempt).toThrow(ConfigError);
    expect(() => attempt()).toThrow(
      expect.objectContaining({
        problems: [expect.objectContaining({ path: 'agents.defaults.cliBackends.my-cli.maxConcurrent', received: '3' })],
      }),
    );
  });

  it('mergeBackendConfig leaves both inputs untouched', () => {
    const base = { command: 'x', env: { A: '1' }, clearEnv: ['K'] };
    const override = { env: { B: '2' }, clearEnv: ['L'] };
    const merged = mergeBackendConfig(base, override);
    expect(merged).toEqual({ command: 'x', env: { A: '1', B: '2' }, clearEnv: ['K', 'L'] });
    expect(base).toEqual({ command: 'x', env: { A: '1' }, clearEnv: ['K'] });
    expect(override).toEqual({ env: { B: '2' }, clearEnv: ['L'] });
  });
});
