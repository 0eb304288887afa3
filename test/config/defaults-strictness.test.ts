import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import JSON5 from 'json5';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { IGNORED_DEFAULTS_KEYS } from '../../src/config/reference-keys.js';
import { DEFAULTS_KEYS } from '../../src/config/schema-shapes.js';
import { validateConfigFile } from '../../src/config/schema.js';
import { ConfigError, type ConfigProblem } from '../../src/errors.js';

const FILE = '/home/me/.safetynet/config.json5';
const here = dirname(fileURLToPath(import.meta.url));
const fullReference = join(here, 'fixtures', 'reference-defaults-full.json5');

function problemsOf(raw: unknown): readonly ConfigProblem[] {
  try {
    validateConfigFile(raw, FILE);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe('SAFETYNET_CONFIG_INVALID');
    return (error as ConfigError).problems;
  }
  throw new Error('expected the config to be rejected');
}

const defaults = (entries: Record<string, unknown>) => ({ agents: { defaults: entries } });

describe('agents.defaults strictness', () => {
  it('an unknown agents.defaults key is an error suggesting the closest valid key', () => {
    expect(problemsOf(defaults({ timeoutSecond: 30 }))).toEqual([
      {
        file: FILE,
        path: 'agents.defaults.timeoutSecond',
        expected: 'no unknown keys in agents.defaults',
        received: '30',
        hint: 'did you mean "timeoutSeconds"?',
      },
    ]);
    expect(problemsOf(defaults({ cliBackend: {} }))[0]?.hint).toBe('did you mean "cliBackends"?');
  });

  it('an unknown key of the agents.defaults.model object is an error: a misspelt fallback list is never dropped silently', () => {
    const problems = problemsOf(defaults({ model: { primray: 'claude-cli/opus-4.6', fallback: ['codex-cli/gpt-5.3-codex'] } }));
    expect(problems.map(({ path, expected, hint }) => ({ path, expected, hint }))).toEqual([
      { path: 'agents.defaults.model.primray', expected: 'no unknown keys in agents.defaults.model', hint: 'did you mean "primary"?' },
      { path: 'agents.defaults.model.fallback', expected: 'no unknown keys in agents.defaults.model', hint: 'did you mean "fallbacks"?' },
    ]);
  });

  it('agents.default and other near-misses of the sections safetynet reads get a suggestion', () => {
    const problems = problemsOf({
      agent: { defaults: {} },
      safetynett: { traces: {} },
      agents: { default: { model: 'claude-cli/opus-4.6' } },
    });
    expect(problems.map(({ path, hint, received }) => ({ path, hint, received }))).toEqual([
      { path: 'agent', hint: 'did you mean "agents"?', received: 'an object with keys defaults' },
      { path: 'safetynett', hint: 'did you mean "safetynet"?', received: 'an object with keys traces' },
      { path: 'agents.default', hint: 'did you mean "defaults"?', received: 'an object with keys model' },
    ]);
  });

  it('a near-miss never shows the text of its value (a misplaced section may hold a credential)', () => {
    const [problem] = problemsOf({ model: 'sk-secret-value' });
    expect(problem).toMatchObject({ path: 'model', hint: 'did you mean "models"?', received: 'a string of 15 characters' });
    expect(JSON.stringify(problem)).not.toContain('sk-secret');
  });

  it('every agents.defaults key of the reference gateway is accepted: a full reference-shaped config loads', async () => {
    const raw = JSON5.parse(readFileSync(fullReference, 'utf8')) as { agents: { defaults: Record<string, unknown> } };
    expect(Object.keys(raw.agents.defaults).sort()).toEqual([...DEFAULTS_KEYS].sort());
    expect(validateConfigFile(raw, fullReference)).toBe(raw);
    const config = await loadConfig({ file: fullReference, env: {} });
    expect(config.primary).toBe('anthropic/claude-opus-4-6');
    expect(config.attemptTimeoutMs).toBe(600_000);
  });

  it('the reference sections safetynet ignores and the keys it reads are not near-misses', () => {
    expect(IGNORED_DEFAULTS_KEYS).not.toContain('model');
    const raw = { models: {}, memory: {}, tools: {}, session: {}, agents: { list: [], defaults: {} }, safetynet: {} };
    expect(validateConfigFile(raw, FILE)).toBe(raw);
  });
});
