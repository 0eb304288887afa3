import { describe, expect, it } from 'vitest';
import {
  BACKEND_DEFAULTS,
  BUILTIN_BACKENDS,
  CLAUDE_CLI_BACKEND,
  CODEX_CLI_BACKEND,
  DEFAULT_WATCHDOG,
  isBuiltinBackend,
  mergeBackend,
} from '../../src/config/index.js';

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
  it('claude-cli matches every key the spec lists', () => {
    expect(CLAUDE_CLI_BACKEND).toMatchObject(SPEC_CLAUDE);
  });

  it('claude-cli adds the spec-era reference keys and the documented safetynet differences', () => {
    expect(CLAUDE_CLI_BACKEND).toMatchObject({
      output: 'json',
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
    expect(CODEX_CLI_BACKEND.resumeArgs).toEqual(['exec', '--json', '--color', 'never', '--sandbox', 'read-only', '--skip-git-repo-check', 'resume', '{sessionId}']);
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
    expect(CLAUDE_CLI_BACKEND.args).toHaveLength(4);
    expect(CLAUDE_CLI_BACKEND.modelAliases?.['x']).toBeUndefined();
  });
});
