import { describe, expect, it } from 'vitest';
import {
  BACKEND_DEFAULTS,
  BUILTIN_BACKENDS,
  CLAUDE_CLI_BACKEND,
  CODEX_CLI_BACKEND,
  DEFAULT_WATCHDOG,
  GEMINI_CLI_BACKEND,
  isBuiltinBackend,
  mergeBackend,
} from '../../src/config/index.js';
import { builtinArgsForOutput, CLAUDE_BOUNDS_ENV, CLAUDE_SPEC_JSON_ARGS, CLAUDE_STREAM_JSON_ARGS } from '../../src/config/builtins.js';

/** The spec page's "Defaults (built-in)" lists, verbatim. */
const SPEC_CLAUDE = {
  command: 'claude',
  args: ['-p', '--output-format', 'json', '--dangerously-skip-permissions'],
  resumeArgs: ['-p', '--output-format', 'json', '--dangerously-skip-permissions', '--resume', '{sessionId}'],
  modelArg: '--model',
  systemPromptArg: '--append-system-prompt',
  sessionArg: '--session-id',
  systemPromptWhen: 'first',
  sessionMode: 'always',
};
const SPEC_CODEX = {
  command: 'codex',
  args: ['exec', '--json', '--color', 'never', '--sandbox', 'read-only', '--skip-git-repo-check'],
  resumeArgs: ['exec', 'resume', '{sessionId}', '--color', 'never', '--sandbox', 'read-only', '--skip-git-repo-check'],
  output: 'jsonl',
  resumeOutput: 'text',
  modelArg: '--model',
  imageArg: '--image',
  sessionMode: 'existing',
};

describe('built-in backends', () => {
  it('claude-cli matches the spec except args and resumeArgs, which are a documented difference', () => {
    const { args: _specArgs, resumeArgs: _specResume, ...rest } = SPEC_CLAUDE;
    expect(CLAUDE_CLI_BACKEND).toMatchObject(rest);
    // the spec's argv survives as the `output: "json"` variant
    expect(CLAUDE_SPEC_JSON_ARGS).toEqual(SPEC_CLAUDE.args);
  });

  it('claude-cli streams JSONL: the spec argv with --output-format stream-json --verbose, parsed as jsonl', () => {
    const streamed = SPEC_CLAUDE.args.map((arg) => (arg === 'json' ? 'stream-json' : arg));
    streamed.splice(streamed.indexOf('stream-json') + 1, 0, '--verbose');
    expect(CLAUDE_CLI_BACKEND.args).toEqual(streamed);
    expect(CLAUDE_STREAM_JSON_ARGS).toEqual(streamed);
    expect(CLAUDE_CLI_BACKEND.resumeArgs).toEqual([...streamed, '--resume', '{sessionId}']);
    expect(CLAUDE_CLI_BACKEND.output).toBe('jsonl');
    expect(CLAUDE_CLI_BACKEND.resumeOutput).toBeUndefined();
    // no per-delta lines (stdout volume); retry notices come without them
    expect(CLAUDE_CLI_BACKEND.args).not.toContain('--include-partial-messages');
  });

  it('claude-cli bounds its internal retries and request timeout through env', () => {
    expect(CLAUDE_CLI_BACKEND.env).toEqual({ CLAUDE_CODE_MAX_RETRIES: '2', API_TIMEOUT_MS: '120000' });
    expect(CLAUDE_BOUNDS_ENV).toEqual(CLAUDE_CLI_BACKEND.env);
    // three requests of at most API_TIMEOUT_MS each stay below the default 600 s attempt deadline
    expect(3 * Number(CLAUDE_BOUNDS_ENV.API_TIMEOUT_MS) + 5_000).toBeLessThan(600_000);
    // a user's env value wins per key
    const resolved = mergeBackend('claude-cli', CLAUDE_CLI_BACKEND, { env: { CLAUDE_CODE_MAX_RETRIES: '5' } });
    expect(resolved.env).toEqual({ CLAUDE_CODE_MAX_RETRIES: '5', API_TIMEOUT_MS: '120000' });
  });

  it('claude-cli adds the spec-era reference keys and the documented safetynet differences', () => {
    expect(CLAUDE_CLI_BACKEND).toMatchObject({
      input: 'arg',
      sessionIdFields: ['session_id', 'sessionId', 'conversation_id', 'conversationId'],
      clearEnv: ['ANTHROPIC_API_KEY', 'ANTHROPIC_API_KEY_OLD'],
      // differences: separator before the prompt, stdin above 32768 chars (MAX_ARG_STRLEN), no queue
      promptSeparator: '--',
      maxPromptArgChars: 32768,
      serialize: false,
    });
    // 32768 characters of 4-byte UTF-8 stay under Linux's 128 KiB per-argument limit
    expect(32768 * 4).toBeLessThanOrEqual(128 * 1024);
  });

  it('codex-cli matches the spec except resumeArgs and resumeOutput, which are documented differences', () => {
    const { resumeArgs: _specResume, resumeOutput: _specResumeOutput, ...rest } = SPEC_CODEX;
    expect(CODEX_CLI_BACKEND).toMatchObject(rest);
    // exec-level flags before `resume` (codex 0.169 rejects --color/--sandbox after it), JSONL on resume
    expect(CODEX_CLI_BACKEND.resumeArgs).toEqual([
      'exec',
      '--json',
      '--color',
      'never',
      '--sandbox',
      'read-only',
      '--skip-git-repo-check',
      'resume',
      '{sessionId}',
    ]);
    expect(CODEX_CLI_BACKEND.resumeOutput).toBe('jsonl');
    expect(CODEX_CLI_BACKEND).toMatchObject({
      input: 'arg',
      maxPromptArgChars: 32768,
      imageMode: 'repeat',
      sessionIdFields: ['thread_id'],
      promptSeparator: '--',
      serialize: false,
    });
  });

  it('codex-cli passes no retry overrides: -c model_providers.openai.* is a fatal config error in codex 0.169', () => {
    expect([...(CODEX_CLI_BACKEND.args ?? []), ...(CODEX_CLI_BACKEND.resumeArgs ?? [])]).not.toContain('-c');
    expect(CODEX_CLI_BACKEND.env).toBeUndefined();
  });

  it('gemini-cli: JSON output, --skip-trust, the prompt attached as --prompt=, --session-id then --resume, no relaunch', () => {
    expect(isBuiltinBackend('Gemini-CLI')).toBe(true);
    const resolved = mergeBackend('gemini-cli', GEMINI_CLI_BACKEND, undefined);
    expect(resolved).toMatchObject({
      command: 'gemini',
      args: ['--output-format', 'json', '--skip-trust', '--prompt={prompt}'],
      resumeArgs: ['--output-format', 'json', '--skip-trust', '--resume', '{sessionId}', '--prompt={prompt}'],
      output: 'json',
      input: 'arg',
      maxPromptArgChars: 32768,
      modelArg: '--model',
      sessionArg: '--session-id',
      sessionMode: 'always',
      sessionIdFields: ['session_id', 'sessionId'],
      systemPromptArg: undefined,
      imageArg: undefined,
      promptSeparator: undefined,
      env: { GEMINI_CLI_NO_RELAUNCH: 'true' },
    });
    // a user's entry merges over it like over the other built-ins
    const mine = mergeBackend('gemini-cli', GEMINI_CLI_BACKEND, { command: '/opt/gemini', env: { GEMINI_API_KEY: 'k' } });
    expect(mine).toMatchObject({ command: '/opt/gemini', env: { GEMINI_CLI_NO_RELAUNCH: 'true', GEMINI_API_KEY: 'k' } });
  });

  it('the resume args keep the read-only sandbox and the session placeholder', () => {
    expect(CODEX_CLI_BACKEND.resumeArgs?.join(' ')).toContain('--sandbox read-only');
    expect(CODEX_CLI_BACKEND.resumeArgs?.at(-1)).toBe('{sessionId}');
    expect(CLAUDE_CLI_BACKEND.resumeArgs?.slice(-2)).toEqual(['--resume', '{sessionId}']);
  });

  it.each([
    ['opus', 'opus'],
    ['opus-4', 'opus'],
    ['opus-4.1', 'opus'],
    ['opus-4.5', 'opus'],
    ['opus-4.6', 'opus'],
    ['opus-4-5', 'opus'],
    ['opus-4-6', 'opus'],
    ['claude-opus-4', 'opus'],
    ['claude-opus-4-1', 'opus'],
    ['claude-opus-4-5', 'opus'],
    ['claude-opus-4-6', 'opus'],
    ['claude-opus-4.5', 'opus'],
    ['claude-opus-4.6', 'opus'],
    ['sonnet', 'sonnet'],
    ['sonnet-4', 'sonnet'],
    ['sonnet-4.5', 'sonnet'],
    ['sonnet-4.6', 'sonnet'],
    ['claude-sonnet-4', 'sonnet'],
    ['claude-sonnet-4-5', 'sonnet'],
    ['claude-sonnet-4-6', 'sonnet'],
    ['haiku', 'haiku'],
    ['haiku-3.5', 'haiku'],
    ['haiku-4.5', 'haiku'],
    ['claude-haiku-3-5', 'haiku'],
    ['claude-haiku-4-5', 'haiku'],
  ])('claude-cli alias family maps %s to --model %s', (model, cliModel) => {
    expect(CLAUDE_CLI_BACKEND.modelAliases?.[model]).toBe(cliModel);
  });

  it('the built-in records and defaults are frozen so no caller can change them for everyone', () => {
    expect(Object.isFrozen(CLAUDE_CLI_BACKEND)).toBe(true);
    expect(Object.isFrozen(CLAUDE_CLI_BACKEND.args)).toBe(true);
    expect(Object.isFrozen(DEFAULT_WATCHDOG.fresh)).toBe(true);
    expect(Object.isFrozen(BUILTIN_BACKENDS)).toBe(true);
  });

  it('defaults for any backend are the spec and reference values', () => {
    expect(BACKEND_DEFAULTS).toMatchObject({
      output: 'json',
      input: 'arg',
      sessionMode: 'always',
      systemPromptWhen: 'first',
      imageMode: 'repeat',
      sessionIdFields: ['session_id', 'sessionId', 'conversation_id', 'conversationId'],
      serialize: false,
      maxQueue: 32,
      resumeArgs: [],
      env: {},
      clearEnv: [],
      modelAliases: {},
      sessionArgs: [],
    });
    expect(DEFAULT_WATCHDOG).toEqual({
      fresh: { noOutputTimeoutRatio: 0.8, minMs: 180_000, maxMs: 600_000 },
      resume: { noOutputTimeoutRatio: 0.3, minMs: 60_000, maxMs: 180_000 },
    });
  });

  it('built-in ids are recognised case-insensitively', () => {
    expect(isBuiltinBackend('claude-cli')).toBe(true);
    expect(isBuiltinBackend('Codex-CLI')).toBe(true);
    expect(isBuiltinBackend('my-cli')).toBe(false);
    expect(isBuiltinBackend('toString')).toBe(false);
  });

  it('a resolved built-in carries the default watchdogs and every list as a private copy', () => {
    const resolved = mergeBackend('claude-cli', CLAUDE_CLI_BACKEND, undefined);
    expect(resolved.watchdog).toEqual(DEFAULT_WATCHDOG);
    resolved.args.push('--x');
    resolved.modelAliases['x'] = 'y';
    expect(CLAUDE_CLI_BACKEND.args).toHaveLength(5);
    expect(CLAUDE_CLI_BACKEND.modelAliases?.['x']).toBeUndefined();
  });
});

describe('an explicit output mode keeps output and argv consistent', () => {
  it('claude-cli with output "json" and no args gets exactly the spec argv and json parsing', () => {
    const resolved = mergeBackend('claude-cli', CLAUDE_CLI_BACKEND, { output: 'json' });
    expect(resolved.output).toBe('json');
    expect(resolved.args).toEqual(SPEC_CLAUDE.args);
    expect(resolved.resumeArgs).toEqual(SPEC_CLAUDE.resumeArgs);
    // the retry bounds stay: they do not depend on the output format
    expect(resolved.env).toMatchObject(CLAUDE_BOUNDS_ENV);
  });

  it('claude-cli with output "text" gets --output-format text', () => {
    const resolved = mergeBackend('claude-cli', CLAUDE_CLI_BACKEND, { output: 'text' });
    expect(resolved.args).toEqual(['-p', '--output-format', 'text', '--dangerously-skip-permissions']);
    expect(resolved.resumeArgs.slice(0, 3)).toEqual(['-p', '--output-format', 'text']);
  });

  it("the user's own args still replace whole, whatever the output mode", () => {
    const resolved = mergeBackend('claude-cli', CLAUDE_CLI_BACKEND, { output: 'json', args: ['-p', '--my-flag'] });
    expect(resolved.args).toEqual(['-p', '--my-flag']);
    expect(resolved.resumeArgs).toEqual(SPEC_CLAUDE.resumeArgs);
    const both = mergeBackend('claude-cli', CLAUDE_CLI_BACKEND, { output: 'json', args: ['-a'], resumeArgs: ['-r', '{sessionId}'] });
    expect(both.args).toEqual(['-a']);
    expect(both.resumeArgs).toEqual(['-r', '{sessionId}']);
  });

  it('resumeOutput alone switches only the resume argv', () => {
    const resolved = mergeBackend('claude-cli', CLAUDE_CLI_BACKEND, { resumeOutput: 'json' });
    expect(resolved.args).toEqual(CLAUDE_STREAM_JSON_ARGS);
    expect(resolved.resumeArgs).toEqual(SPEC_CLAUDE.resumeArgs);
    expect(resolved.resumeOutput).toBe('json');
  });

  it('output "jsonl" (the built-in mode) keeps the stream-json argv', () => {
    const resolved = mergeBackend('claude-cli', CLAUDE_CLI_BACKEND, { output: 'jsonl' });
    expect(resolved.args).toEqual(CLAUDE_STREAM_JSON_ARGS);
  });

  it("codex-cli has no variants (its argv is the spec's), and custom bases never get any", () => {
    const codex = mergeBackend('codex-cli', CODEX_CLI_BACKEND, { output: 'json' });
    expect(codex.args).toEqual(SPEC_CODEX.args);
    expect(builtinArgsForOutput(CODEX_CLI_BACKEND, 'json')).toBeUndefined();
    const copy = { ...CLAUDE_CLI_BACKEND };
    expect(builtinArgsForOutput(copy, 'json')).toBeUndefined();
    expect(mergeBackend('claude-cli', copy, { output: 'json' }).args).toEqual(CLAUDE_STREAM_JSON_ARGS);
  });
});
