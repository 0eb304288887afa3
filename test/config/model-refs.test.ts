import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { parseModelRef, resolveCandidates, resolveConfig, type ResolvedConfig, type SafetynetConfigFile } from '../../src/config/index.js';

const SOURCE = '/home/me/.safetynet/config.json5';

function config(defaults: NonNullable<NonNullable<SafetynetConfigFile['agents']>['defaults']>): ResolvedConfig {
  return resolveConfig({ agents: { defaults } }, SOURCE);
}

function usageError(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return error as UsageError;
  }
  throw new Error('expected a UsageError');
}

/** The spec's "Using it as a fallback" example. */
const specFallback = config({
  model: { primary: 'anthropic/claude-opus-4-6', fallbacks: ['claude-cli/opus-4.6', 'claude-cli/opus-4.5'] },
  models: { 'anthropic/claude-opus-4-6': { alias: 'Opus' }, 'claude-cli/opus-4.6': {}, 'claude-cli/opus-4.5': {} },
});

describe('parseModelRef', () => {
  it('splits on the first "/" and lower-cases the provider', () => {
    expect(parseModelRef('Claude-CLI/opus-4.6', specFallback)).toEqual({
      ref: 'claude-cli/opus-4.6',
      provider: 'claude-cli',
      model: 'opus-4.6',
    });
    expect(parseModelRef(' openrouter/deepseek/deepseek-r1 ', specFallback)).toEqual({
      ref: 'openrouter/deepseek/deepseek-r1',
      provider: 'openrouter',
      model: 'deepseek/deepseek-r1',
    });
  });

  it('a ref without "/" is resolved as an alias, case-insensitively', () => {
    expect(parseModelRef('opus', specFallback)).toEqual({
      ref: 'anthropic/claude-opus-4-6',
      provider: 'anthropic',
      model: 'claude-opus-4-6',
    });
  });

  it('a ref without "/" that is no alias is a usage error naming the ref and the fix', () => {
    const error = usageError(() => parseModelRef('sonnet', specFallback));
    expect(error.code).toBe('SAFETYNET_USAGE');
    expect(error.message).toContain('"sonnet"');
    expect(error.message).toContain('<provider>/<model>');
    expect(error.message).toContain(SOURCE);
  });

  it('empty refs and empty parts are usage errors', () => {
    for (const ref of ['', '  ', '/opus', 'claude-cli/', 'claude-cli/  '])
      expect(() => parseModelRef(ref, specFallback)).toThrow(UsageError);
  });
});

describe('resolveCandidates', () => {
  it('without a requested model the primary comes first, then the fallbacks in order', () => {
    expect(resolveCandidates(specFallback)).toEqual({
      candidates: [
        { ref: 'anthropic/claude-opus-4-6', provider: 'anthropic', model: 'claude-opus-4-6' },
        { ref: 'claude-cli/opus-4.6', provider: 'claude-cli', model: 'opus-4.6' },
        { ref: 'claude-cli/opus-4.5', provider: 'claude-cli', model: 'opus-4.5' },
      ],
      skipped: [],
    });
  });

  it('a requested model replaces the primary and is followed by the fallbacks', () => {
    const { candidates } = resolveCandidates(specFallback, 'claude-cli/opus-4.5');
    expect(candidates.map((c) => c.ref)).toEqual(['claude-cli/opus-4.5', 'claude-cli/opus-4.6']);
  });

  it('candidates are deduplicated by provider/model and the first occurrence wins', () => {
    const c = config({
      model: { primary: 'claude-cli/opus', fallbacks: ['CLAUDE-CLI/opus', 'codex-cli/gpt-5', 'codex-cli/gpt-5', 'claude-cli/Opus'] },
    });
    expect(resolveCandidates(c).candidates.map((x) => x.ref)).toEqual(['claude-cli/opus', 'codex-cli/gpt-5', 'claude-cli/Opus']);
  });

  it('no requested model and no primary is a usage error saying what to do', () => {
    const error = usageError(() => resolveCandidates(resolveConfig(null, null)));
    expect(error.code).toBe('SAFETYNET_USAGE');
    expect(error.message).toContain('--model <provider>/<model>');
    expect(error.message).toContain('agents.defaults.model.primary');
    expect(usageError(() => resolveCandidates(config({}))).message).toContain(SOURCE);
  });

  it('without an allowlist any requested ref is accepted', () => {
    expect(resolveCandidates(resolveConfig(null, null), 'codex-cli/gpt-5.3-codex').candidates).toEqual([
      { ref: 'codex-cli/gpt-5.3-codex', provider: 'codex-cli', model: 'gpt-5.3-codex' },
    ]);
  });

  it('a requested ref outside the allowlist is refused with SAFETYNET_MODEL_NOT_ALLOWED', () => {
    const error = usageError(() => resolveCandidates(specFallback, 'codex-cli/gpt-5.3-codex'));
    expect(error.code).toBe('SAFETYNET_MODEL_NOT_ALLOWED');
    expect(error.message).toContain('codex-cli/gpt-5.3-codex');
    expect(error.message).toContain(SOURCE);
  });

  it('the allowlist compares providers case-insensitively and accepts aliases', () => {
    expect(resolveCandidates(specFallback, 'CLAUDE-CLI/opus-4.6').candidates[0]?.ref).toBe('claude-cli/opus-4.6');
    expect(resolveCandidates(specFallback, 'OPUS').candidates[0]?.ref).toBe('anthropic/claude-opus-4-6');
  });

  it('the configured primary may be requested even when it is not in the allowlist', () => {
    const c = config({ model: { primary: 'anthropic/claude-opus-4-6' }, models: { 'claude-cli/opus-4.6': {} } });
    expect(resolveCandidates(c, 'anthropic/claude-opus-4-6').candidates).toHaveLength(1);
  });

  it('fallbacks outside the allowlist are not tried but reported as skipped, with their place in the order', () => {
    const c = config({
      model: { primary: 'anthropic/claude-opus-4-6', fallbacks: ['claude-cli/opus-4.6', 'codex-cli/gpt-5.3-codex'] },
      models: { 'anthropic/claude-opus-4-6': {}, 'claude-cli/opus-4.6': {} },
    });
    expect(resolveCandidates(c)).toEqual({
      candidates: [
        { ref: 'anthropic/claude-opus-4-6', provider: 'anthropic', model: 'claude-opus-4-6' },
        { ref: 'claude-cli/opus-4.6', provider: 'claude-cli', model: 'opus-4.6' },
      ],
      skipped: [{ ref: 'codex-cli/gpt-5.3-codex', why: 'not in agents.defaults.models allowlist', before: 2 }],
    });
  });

  it('a fallback alias resolves through agents.defaults.models; an unknown one is reported as skipped', () => {
    const c = config({
      model: { primary: 'claude-cli/opus-4.6', fallbacks: ['Codex', 'nope'] },
      models: { 'claude-cli/opus-4.6': {}, 'codex-cli/gpt-5.3-codex': { alias: 'codex' } },
    });
    const { candidates, skipped } = resolveCandidates(c);
    expect(candidates.map((x) => x.ref)).toEqual(['claude-cli/opus-4.6', 'codex-cli/gpt-5.3-codex']);
    expect(skipped).toHaveLength(1);
    expect(skipped[0]?.ref).toBe('nope');
    expect(skipped[0]?.why).toContain('"nope"');
  });
});
