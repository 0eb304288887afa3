import { describe, expect, it } from 'vitest';
import { ConfigError, type ConfigProblem } from '../../src/errors.js';
import { closestKey, formatPath, levenshtein, renderReceived } from '../../src/config/problems.js';
import { validateConfigFile } from '../../src/config/schema.js';

const FILE = '/home/me/.safetynet/config.json5';

function invalid(raw: unknown): ConfigError {
  try {
    validateConfigFile(raw, FILE);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe('SAFETYNET_CONFIG_INVALID');
    expect((error as ConfigError).file).toBe(FILE);
    return error as ConfigError;
  }
  throw new Error('expected the config to be rejected');
}

function onlyProblem(raw: unknown): ConfigProblem {
  const { problems } = invalid(raw);
  expect(problems).toHaveLength(1);
  return problems[0] as ConfigProblem;
}

const backends = (entries: Record<string, unknown>) => ({ agents: { defaults: { cliBackends: entries } } });

describe('config schema', () => {
  it('an unknown backend key is an error suggesting the closest valid key', () => {
    expect(onlyProblem(backends({ 'claude-cli': { sesionArg: '--sid' } }))).toEqual({
      file: FILE,
      path: 'agents.defaults.cliBackends.claude-cli.sesionArg',
      expected: 'no unknown keys in a backend entry',
      received: '"--sid"',
      hint: 'did you mean "sessionArg"?',
    });
  });

  it('an unknown key far from every valid key lists the valid keys instead', () => {
    const problem = onlyProblem(backends({ 'claude-cli': { zzzzzz: 1 } }));
    expect(problem.hint).toMatch(/^valid keys: command, args, resumeArgs, /);
  });

  it('unknown keys inside reliability.watchdog are errors with suggestions too', () => {
    const problem = onlyProblem(backends({ 'codex-cli': { reliability: { watchdog: { fresh: { maxMS: 5 } } } } }));
    expect(problem).toMatchObject({
      path: 'agents.defaults.cliBackends.codex-cli.reliability.watchdog.fresh.maxMS',
      received: '5',
      hint: 'did you mean "maxMs"?',
    });
  });

  it('a key of a newer gateway version is named as unsupported', () => {
    const problem = onlyProblem(backends({ 'claude-cli': { jsonlDialect: 'claude-stream-json' } }));
    expect(problem.hint).toContain('not supported by safetynet');
  });

  it('a bad enum value names the allowed values', () => {
    expect(onlyProblem(backends({ 'codex-cli': { sessionMode: 'sometimes' } }))).toEqual({
      file: FILE,
      path: 'agents.defaults.cliBackends.codex-cli.sessionMode',
      expected: 'one of "always" | "existing" | "none"',
      received: '"sometimes"',
    });
    expect(onlyProblem(backends({ 'codex-cli': { output: 'xml' } }))).toMatchObject({
      expected: 'one of "json" | "jsonl" | "text"',
      received: '"xml"',
    });
  });

  it('wrong types name the expected shape and the received JSON', () => {
    const { problems } = invalid(
      backends({
        'my-cli': { command: 'my-cli', args: '--json', env: { A: 1 }, serialize: 'yes', resumeArgs: ['exec', 7] },
      }),
    );
    expect(problems.map(({ path, expected, received }) => ({ path, expected, received }))).toEqual([
      { path: 'agents.defaults.cliBackends.my-cli.args', expected: 'an array of strings', received: '"--json"' },
      { path: 'agents.defaults.cliBackends.my-cli.resumeArgs[1]', expected: 'a string', received: '7' },
      { path: 'agents.defaults.cliBackends.my-cli.env.A', expected: 'a string', received: '1' },
      { path: 'agents.defaults.cliBackends.my-cli.serialize', expected: 'true or false', received: '"yes"' },
    ]);
  });

  it('maxPromptArgChars and maxConcurrent must be positive integers, maxQueue a non-negative one; problems name the key path and the value', () => {
    const cases = [
      ['maxPromptArgChars', [0, -5, 1.5, '100'], 'a positive integer'],
      ['maxConcurrent', [0, -1, 1.5, '2'], 'a positive integer'],
      ['maxQueue', [-1, 0.5, '32', null], 'a non-negative integer'],
    ] as const;
    for (const [key, values, expected] of cases) {
      for (const value of values) {
        expect(onlyProblem(backends({ 'claude-cli': { [key]: value } }))).toMatchObject({
          path: `agents.defaults.cliBackends.claude-cli.${key}`,
          expected,
          received: JSON.stringify(value),
        });
      }
    }
  });

  it('a backend that is not built in needs a non-empty command', () => {
    expect(onlyProblem(backends({ 'my-cli': { args: ['--json'] } }))).toMatchObject({
      path: 'agents.defaults.cliBackends.my-cli.command',
      expected: 'a non-empty string (required for a backend that is not built in)',
      received: '(missing)',
    });
    expect(onlyProblem(backends({ 'my-cli': { command: '  ' } }))).toMatchObject({
      path: 'agents.defaults.cliBackends.my-cli.command',
      expected: 'a non-empty string',
      received: '"  "',
    });
  });

  it('a built-in backend entry may omit command', () => {
    expect(() => validateConfigFile(backends({ 'Claude-CLI': { modelArg: '--model' }, 'codex-cli': {} }), FILE)).not.toThrow();
  });

  it('backend ids are case-insensitive, so two spellings of one id are an error', () => {
    const problem = onlyProblem(backends({ 'claude-cli': {}, 'Claude-CLI': {} }));
    expect(problem).toMatchObject({ path: 'agents.defaults.cliBackends.Claude-CLI', hint: 'also defined as "claude-cli"' });
  });

  it('a backend entry that is not an object is an error', () => {
    expect(onlyProblem(backends({ 'claude-cli': null }))).toMatchObject({
      path: 'agents.defaults.cliBackends.claude-cli',
      expected: 'an object',
      received: 'null',
    });
  });

  it('safetynet.cooldowns.probeIntervalSeconds and safetynet.retry.sameCandidateMaxMs are bounded; errors name the key and the value', () => {
    for (const value of [-1, 3601, '5']) {
      expect(onlyProblem({ safetynet: { cooldowns: { probeIntervalSeconds: value } } })).toMatchObject({
        path: 'safetynet.cooldowns.probeIntervalSeconds',
        expected: 'a number of seconds from 0 (no probes) to 3600',
        received: JSON.stringify(value),
      });
    }
    for (const value of [-1, 60_001, 1.5]) {
      expect(onlyProblem({ safetynet: { retry: { sameCandidateMaxMs: value } } })).toMatchObject({
        path: 'safetynet.retry.sameCandidateMaxMs',
        received: JSON.stringify(value),
      });
    }
    expect(onlyProblem({ safetynet: { cooldowns: { probeIntervalSecond: 5 } } })).toMatchObject({
      path: 'safetynet.cooldowns.probeIntervalSecond',
      hint: 'did you mean "probeIntervalSeconds"?',
    });
    expect(() =>
      validateConfigFile({ safetynet: { cooldowns: { probeIntervalSeconds: 0 }, retry: { sameCandidateMaxMs: 0 } } }, FILE),
    ).not.toThrow();
  });

  it('timeoutSeconds must be a positive number of seconds', () => {
    for (const value of [0, -1, '600', 1e12]) {
      expect(onlyProblem({ agents: { defaults: { timeoutSeconds: value } } })).toMatchObject({
        path: 'agents.defaults.timeoutSeconds',
        expected: 'a positive number of seconds (at most 2147483)',
        received: JSON.stringify(value),
      });
    }
    expect(() => validateConfigFile({ agents: { defaults: { timeoutSeconds: 2.5 } } }, FILE)).not.toThrow();
  });

  it('watchdog values are bounded and minMs may not exceed maxMs', () => {
    const { problems } = invalid(
      backends({
        'claude-cli': { reliability: { watchdog: { fresh: { noOutputTimeoutRatio: 1.5 }, resume: { minMs: 9000, maxMs: 100 } } } },
      }),
    );
    expect(problems.map((p) => [p.path, p.expected, p.received])).toEqual([
      ['agents.defaults.cliBackends.claude-cli.reliability.watchdog.fresh.noOutputTimeoutRatio', 'a number from 0.05 to 0.95', '1.5'],
      ['agents.defaults.cliBackends.claude-cli.reliability.watchdog.resume.minMs', 'at most maxMs (100)', '9000'],
    ]);
  });

  it('model refs must be strings, in either model form', () => {
    expect(onlyProblem({ agents: { defaults: { model: 42 } } })).toMatchObject({ path: 'agents.defaults.model', received: '42' });
    expect(
      onlyProblem({ agents: { defaults: { model: { primary: 'claude-cli/opus', fallbacks: ['codex-cli/gpt-5', 3] } } } }),
    ).toMatchObject({
      path: 'agents.defaults.model.fallbacks[1]',
      expected: 'a non-empty string',
      received: '3',
    });
    expect(onlyProblem({ agents: { defaults: { model: { primary: ['x'] } } } })).toMatchObject({
      path: 'agents.defaults.model.primary',
      received: '["x"]',
    });
  });

  it('a ref without "/" is allowed only when it is an alias', () => {
    const ok = {
      agents: {
        defaults: {
          model: { primary: 'opus', fallbacks: ['GPT'] },
          models: { 'anthropic/claude-opus-4-6': { alias: 'Opus' }, 'openai/gpt-5.2': { alias: 'gpt' } },
        },
      },
    };
    expect(() => validateConfigFile(ok, FILE)).not.toThrow();
    const problem = onlyProblem({ agents: { defaults: { model: 'sonnet', models: { 'anthropic/claude-opus-4-6': { alias: 'Opus' } } } } });
    expect(problem).toMatchObject({ path: 'agents.defaults.model', received: '"sonnet"', hint: 'known aliases: "Opus"' });
    expect(problem.expected).toContain('<provider>/<model>');
  });

  it('a ref with an empty provider or model part is an error', () => {
    expect(onlyProblem({ agents: { defaults: { model: { fallbacks: ['claude-cli/'] } } } })).toMatchObject({
      path: 'agents.defaults.model.fallbacks[0]',
      expected: '"<provider>/<model>" with both parts non-empty',
    });
  });

  it('aliases must be strings and unique', () => {
    const { problems } = invalid({
      agents: { defaults: { models: { 'a/x': { alias: 7 }, 'b/y': { alias: 'Fast' }, 'c/z-4.5': { alias: 'fast' } } } },
    });
    expect(problems.map((p) => p.path)).toEqual(['agents.defaults.models.a/x.alias', 'agents.defaults.models["c/z-4.5"].alias']);
  });

  it('every problem is collected and listed in one multi-line message', () => {
    const error = invalid({
      agents: { defaults: { timeoutSeconds: -1, cliBackends: { 'codex-cli': { sessionMode: 'x', sesionArg: 'y' }, 'my-cli': {} } } },
    });
    expect(error.problems).toHaveLength(4);
    const lines = error.message.split('\n');
    expect(lines[0]).toBe(`Invalid config ${FILE} (4 problems):`);
    expect(lines.slice(1)).toHaveLength(4);
    expect(error.message).toContain(
      '  - agents.defaults.cliBackends.codex-cli.sessionMode: expected one of "always" | "existing" | "none", received "x"',
    );
    expect(error.message).toContain(
      'agents.defaults.cliBackends.codex-cli.sesionArg: expected no unknown keys in a backend entry, received "y" (did you mean "sessionArg"?)',
    );
    expect(error.cause).toBeDefined();
  });

  it('the received value is JSON truncated to 80 characters', () => {
    const problem = onlyProblem(backends({ 'codex-cli': { sessionMode: 'x'.repeat(200) } }));
    expect(problem.received).toHaveLength(80);
    expect(problem.received.endsWith('…')).toBe(true);
    expect(renderReceived(undefined)).toBe('(missing)');
  });

  it('the root and the sections safetynet reads must be objects', () => {
    expect(onlyProblem([])).toMatchObject({ path: '(top level)', received: '[]' });
    expect(onlyProblem({ agents: 'x' })).toMatchObject({ path: 'agents', expected: 'an object' });
    expect(onlyProblem({ agents: { defaults: { cliBackends: [] } } })).toMatchObject({
      path: 'agents.defaults.cliBackends',
      received: '[]',
    });
  });

  it('sections and keys safetynet does not read are ignored', () => {
    const raw = {
      gateway: { port: 'not-a-number' },
      agents: { list: 5, defaults: { workspace: 1, models: { 'a/b': { alias: 'B', params: { anything: true } } } } },
    };
    expect(validateConfigFile(raw, FILE)).toBe(raw);
  });

  it('helpers: levenshtein, closest key and dotted paths', () => {
    expect(levenshtein('kitten', 'sitting')).toBe(3);
    expect(closestKey('Comand', ['command', 'args'])).toBe('command');
    expect(closestKey('model', ['command', 'modelArg', 'modelAliases'])).toBe('modelArg');
    expect(closestKey('xyz', ['command'])).toBeUndefined();
    expect(formatPath(['agents', 'defaults', 'models', 'claude-cli/opus-4.6', 'alias'])).toBe(
      'agents.defaults.models["claude-cli/opus-4.6"].alias',
    );
  });
});
