import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, resolveApiProviders, resolveConfig, substituteEnv } from '../../src/config/index.js';
import { validateConfigFile } from '../../src/config/schema.js';
import { ConfigError, type ConfigProblem } from '../../src/errors.js';

const here = dirname(fileURLToPath(import.meta.url));
const FILE = '/home/me/.safetynet/config.json5';
let home: string;

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'sn-providers-'));
});
afterAll(async () => {
  await rm(home, { recursive: true, force: true });
});

const withProviders = (providers: Record<string, unknown>, rest: Record<string, unknown> = {}) => ({ models: { providers }, ...rest });

function problems(raw: unknown): ConfigProblem[] {
  try {
    validateConfigFile(raw, FILE);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe('SAFETYNET_CONFIG_INVALID');
    return [...(error as ConfigError).problems];
  }
  throw new Error('expected the config to be rejected');
}

function onlyProblem(raw: unknown): ConfigProblem {
  const found = problems(raw);
  expect(found).toHaveLength(1);
  return found[0] as ConfigProblem;
}

describe('built-in API providers', () => {
  it('anthropic and openai exist without any config, keyless and at the SDK default URL', async () => {
    const config = await loadConfig({ env: { SAFETYNET_HOME: home } });
    expect(config.providers['anthropic']).toEqual({
      id: 'anthropic',
      api: 'anthropic-messages',
      baseUrl: undefined,
      headers: {},
      timeoutMs: undefined,
      models: undefined,
    });
    expect(config.providers['anthropic']?.apiKey).toBeUndefined();
    expect(config.providers['openai']).toMatchObject({ id: 'openai', api: 'openai-responses', baseUrl: undefined });
  });

  it('they read ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL, OPENAI_API_KEY and OPENAI_BASE_URL from the given environment', async () => {
    const env = {
      SAFETYNET_HOME: home,
      ANTHROPIC_API_KEY: 'sk-ant-1',
      ANTHROPIC_BASE_URL: 'http://127.0.0.1:4000/',
      OPENAI_API_KEY: 'sk-oai-1',
      OPENAI_BASE_URL: 'http://127.0.0.1:5000/v1',
    };
    const { providers } = await loadConfig({ env });
    expect(providers['anthropic']).toMatchObject({ baseUrl: 'http://127.0.0.1:4000', apiKey: 'sk-ant-1' });
    expect(providers['openai']).toMatchObject({ baseUrl: 'http://127.0.0.1:5000/v1', apiKey: 'sk-oai-1' });
  });

  it('a models.providers entry overrides a built-in per key; the other keys keep the environment', async () => {
    const env = { ANTHROPIC_API_KEY: 'sk-env', ANTHROPIC_BASE_URL: 'http://127.0.0.1:4000', OPENAI_API_KEY: 'sk-oai' };
    const config = await loadConfig({
      env,
      inline: withProviders({
        anthropic: { baseUrl: 'http://127.0.0.1:4100', timeoutMs: 5000 },
        OpenAI: { apiKey: 'sk-file', api: 'openai-completions' },
      }),
    });
    expect(config.providers['anthropic']).toMatchObject({
      api: 'anthropic-messages',
      baseUrl: 'http://127.0.0.1:4100',
      apiKey: 'sk-env',
      timeoutMs: 5000,
    });
    expect(config.providers['openai']).toMatchObject({ api: 'openai-completions', apiKey: 'sk-file' });
  });
});

describe('custom API providers', () => {
  it('an entry of the reference shape resolves with its ids lower-cased and its model ids kept', async () => {
    const config = await loadConfig({
      env: {},
      inline: withProviders({
        'Local-Llama': {
          api: 'openai-completions',
          baseUrl: 'http://127.0.0.1:8080/v1',
          apiKey: 'ollama-local',
          headers: { 'X-Tenant': 'acme' },
          injectNumCtxForOpenAICompat: true,
          contextWindow: 32768,
          models: ['qwen3', { id: 'llama3.3', name: 'Llama 3.3', reasoning: false, contextWindow: 131072, maxTokens: 8192 }, 'qwen3'],
        },
      }),
    });
    expect(config.providers['local-llama']).toEqual({
      id: 'local-llama',
      api: 'openai-completions',
      baseUrl: 'http://127.0.0.1:8080/v1',
      headers: { 'X-Tenant': 'acme' },
      timeoutMs: undefined,
      models: ['qwen3', 'llama3.3'],
    });
    expect(config.providers['local-llama']?.apiKey).toBe('ollama-local');
  });

  it('timeoutSeconds (the reference key) becomes timeoutMs', () => {
    const providers = resolveApiProviders(
      { x: { api: 'anthropic-messages', baseUrl: 'http://127.0.0.1:1', timeoutSeconds: 2.5 } },
      {},
      FILE,
    );
    expect(providers['x']?.timeoutMs).toBe(2500);
  });

  it('the API key is not enumerable: JSON, spreads and Object.keys of the config never carry it', async () => {
    const config = await loadConfig({
      env: { OPENAI_API_KEY: 'sk-very-secret-1' },
      inline: withProviders({ mine: { api: 'openai-responses', baseUrl: 'http://127.0.0.1:1/v1', apiKey: 'sk-very-secret-2' } }),
    });
    expect(JSON.stringify(config)).not.toMatch(/sk-very-secret/);
    expect(Object.keys(config.providers['mine'] ?? {})).not.toContain('apiKey');
    expect(config.providers['openai']?.apiKey).toBe('sk-very-secret-1');
    expect(config.providers['mine']?.apiKey).toBe('sk-very-secret-2');
  });
});

describe('environment references', () => {
  it('${VAR} is substituted in apiKey, baseUrl and headers; $${VAR} stays literal', () => {
    const env = { KEY: 'sk-sub', HOST: '127.0.0.1:7000', TENANT: 't9' };
    const providers = resolveApiProviders(
      {
        x: {
          api: 'openai-completions',
          baseUrl: 'http://${HOST}/v1',
          apiKey: '${KEY}',
          headers: { 'X-Tenant': '${TENANT}', 'X-Literal': '$${TENANT}' },
        },
      },
      env,
      FILE,
    );
    expect(providers['x']).toMatchObject({
      baseUrl: 'http://127.0.0.1:7000/v1',
      apiKey: 'sk-sub',
      headers: { 'X-Tenant': 't9', 'X-Literal': '${TENANT}' },
    });
  });

  it('a { source: "env", id } secret ref reads the variable', () => {
    const providers = resolveApiProviders(
      { openai: { apiKey: { source: 'env', provider: 'default', id: 'MY_OPENAI' } } },
      { MY_OPENAI: 'sk-ref' },
      FILE,
    );
    expect(providers['openai']?.apiKey).toBe('sk-ref');
  });

  it('a header whose variable is missing is dropped (never half-substituted)', () => {
    const providers = resolveApiProviders(
      { x: { api: 'openai-completions', baseUrl: 'http://127.0.0.1:1/v1', headers: { 'X-A': '${NOPE}' } } },
      {},
      FILE,
    );
    expect(providers['x']?.headers).toEqual({});
    expect(substituteEnv('a ${NOPE} b', {})).toEqual({ value: undefined, missing: ['NOPE'] });
  });

  it('a baseUrl whose variable is missing is a config error naming the key path and the variable', () => {
    let error: unknown;
    try {
      resolveConfig({ models: { providers: { x: { api: 'openai-completions', baseUrl: '${LLAMA_URL}' } } } }, FILE, {});
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      {
        file: FILE,
        path: 'models.providers.x.baseUrl',
        expected: 'a base URL (environment variable LLAMA_URL is not set)',
        received: '"${LLAMA_URL}"',
      },
    ]);
  });

  it('an apiKey whose variable is missing is never sent without it: the provider carries what is missing (key path and variable), the config still loads', () => {
    const providers = resolveApiProviders(
      {
        x: { api: 'openai-completions', baseUrl: 'http://127.0.0.1:1/v1', apiKey: 'Bearer ${NOPE}' },
        openai: { apiKey: { source: 'env', provider: 'default', id: 'MY_OPENAI' } },
      },
      {},
      FILE,
    );
    expect(providers['x']?.apiKey).toBeUndefined();
    expect(providers['x']?.apiKeyMissing).toBe('models.providers.x.apiKey names the environment variable NOPE, which is not set');
    expect(providers['openai']?.apiKeyMissing).toBe(
      'models.providers.openai.apiKey names the environment variable MY_OPENAI, which is not set',
    );
    const set = resolveApiProviders(
      { x: { api: 'openai-completions', baseUrl: 'http://127.0.0.1:1/v1', apiKey: '${KEY}' } },
      { KEY: 'k' },
      FILE,
    );
    expect(set['x']).not.toHaveProperty('apiKeyMissing');
  });
});

describe('models.providers validation', () => {
  it('an unknown provider key is an error suggesting the closest valid key', () => {
    expect(onlyProblem(withProviders({ local: { api: 'openai-completions', baseURL: 'http://127.0.0.1:1/v1' } }))).toMatchObject({
      path: 'models.providers.local.baseURL',
      expected: 'no unknown keys in a provider entry',
      received: '"http://127.0.0.1:1/v1"',
      hint: 'did you mean "baseUrl"?',
    });
  });

  it('a credential under a wrong or misspelt key is never echoed in the problem', () => {
    const found = problems(withProviders({ openai: { api_key: 'sk-live-secret-123', apiKey: 42, headers: { Authorization: 7 } } }));
    expect(found.map((problem) => [problem.path, problem.received])).toEqual([
      ['models.providers.openai.apiKey', '(redacted)'],
      ['models.providers.openai.headers.Authorization', '(redacted)'],
      ['models.providers.openai.api_key', '(redacted)'],
    ]);
    expect(found.find((problem) => problem.path.endsWith('api_key'))?.hint).toBe('did you mean "apiKey"?');
  });

  it('a provider whose api safetynet does not speak is left out, not an error, so reference configs still load', () => {
    const raw = withProviders({ g: { api: 'google-generative-ai', baseUrl: 'http://127.0.0.1:1' } });
    const config = resolveConfig(validateConfigFile(raw, FILE), FILE, {});
    expect(config.providers['g']).toBeUndefined();
    expect(config.unsupportedProviders).toEqual({ g: 'google-generative-ai' });
  });

  it('a provider that is not built in needs api and baseUrl', () => {
    expect(problems(withProviders({ local: {} })).map((problem) => problem.path)).toEqual([
      'models.providers.local.api',
      'models.providers.local.baseUrl',
    ]);
  });

  it('a baseUrl that is not an http(s) URL is an error', () => {
    expect(onlyProblem(withProviders({ local: { api: 'openai-completions', baseUrl: '127.0.0.1:8080/v1' } }))).toMatchObject({
      path: 'models.providers.local.baseUrl',
      received: '"127.0.0.1:8080/v1"',
    });
  });

  it('a provider id that is a CLI backend id is an error naming both', () => {
    expect(onlyProblem(withProviders({ 'claude-cli': { api: 'anthropic-messages', baseUrl: 'http://127.0.0.1:1' } }))).toMatchObject({
      path: 'models.providers.claude-cli',
      hint: 'API provider "claude-cli" collides with built-in CLI backend "claude-cli"; rename one of them',
    });
    const configured = { agents: { defaults: { cliBackends: { 'My-Cli': { command: 'my-cli' } } } } };
    expect(onlyProblem(withProviders({ 'my-cli': { api: 'openai-completions', baseUrl: 'http://127.0.0.1:1/v1' } }, configured)).hint).toBe(
      'API provider "my-cli" collides with CLI backend agents.defaults.cliBackends.My-Cli; rename one of them',
    );
  });

  it('provider ids are case-insensitive: two spellings of one id are an error', () => {
    expect(onlyProblem(withProviders({ openai: {}, OpenAI: {} }))).toMatchObject({
      path: 'models.providers.OpenAI',
      hint: 'also defined as "openai"',
    });
  });

  it('apiKey, headers, timeouts and models are type-checked with their key paths', () => {
    const found = problems(
      withProviders({
        x: {
          api: 'openai-completions',
          baseUrl: 'http://127.0.0.1:1/v1',
          apiKey: { source: 'file', id: 'K' },
          headers: { A: 1 },
          timeoutMs: 0,
          models: [{ name: 'no id' }],
        },
        anthropic: { timeoutMs: 1000, timeoutSeconds: 1 },
      }),
    );
    expect(found.find((problem) => problem.path.endsWith('apiKey.source'))?.expected).toBe(
      '"env" (only environment secret refs are supported)',
    );
    expect(found.map((problem) => problem.path).sort()).toEqual(
      [
        'models.providers.anthropic.timeoutSeconds',
        'models.providers.x.apiKey.source',
        'models.providers.x.headers.A',
        'models.providers.x.models[0].id',
        'models.providers.x.timeoutMs',
      ].sort(),
    );
  });

  it('the reference keys safetynet does not read are accepted, and other sections of models are ignored', () => {
    const raw = {
      models: {
        mode: 'merge',
        bedrockDiscovery: { enabled: false },
        providers: {
          anthropic: { auth: 'api-key', authHeader: true, contextWindow: 200000, maxTokens: 8192, params: {}, request: { headers: {} } },
        },
      },
    };
    expect(() => validateConfigFile(raw, FILE)).not.toThrow();
    expect(resolveConfig(validateConfigFile(raw, FILE), FILE, {}).providers['anthropic']?.authHeader).toBe(true);
  });
});

it('the providers module is free of static zod imports (start-up speed)', async () => {
  const source = await readFile(join(here, '../../src/config/providers.ts'), 'utf8');
  const staticImports = [...source.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+'([^']+)'/gm)].map((m) => m[1]);
  expect(staticImports.filter((spec) => spec === 'zod' || spec === 'json5' || spec === './schema.js')).toEqual([]);
});
