/**
 * `safetynet.serve`: validation names the key path and the received value; resolution fills the
 * defaults and joins `SAFETYNET_API_KEYS` to the configured keys.
 */
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/index.js';
import { validateConfigFile } from '../../src/config/schema.js';
import { DEFAULT_SERVE_SETTINGS } from '../../src/config/serve-defaults.js';
import { ConfigError } from '../../src/errors.js';

const FILE = '/home/me/.safetynet/config.json5';
const serve = (entry: unknown) => ({ safetynet: { serve: entry } });

function problems(raw: unknown) {
  try {
    validateConfigFile(raw, FILE);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected the config to be rejected');
}

describe('safetynet.serve config', () => {
  it('without the section, serve binds 127.0.0.1:8787 with no keys, 32 MiB bodies, no CORS and a 30 s drain', () => {
    expect(resolveConfig(null, null, {}).serve).toEqual({
      host: '127.0.0.1',
      port: 8787,
      apiKeys: [],
      bodyLimitBytes: 33_554_432,
      corsOrigins: [],
      drainSeconds: 30,
    });
    expect(DEFAULT_SERVE_SETTINGS.bodyLimitBytes).toBe(32 * 1024 * 1024);
  });

  it('configured values win, and SAFETYNET_API_KEYS adds its comma-separated keys (blanks dropped, each once)', () => {
    const file = serve({ host: '0.0.0.0', port: 9000, apiKeys: ['sk-a'], drainSeconds: 5, corsOrigins: ['http://app.test'] });
    validateConfigFile(file, FILE);
    const resolved = resolveConfig(file as never, FILE, { SAFETYNET_API_KEYS: ' sk-b, ,sk-a ' }).serve;
    expect(resolved).toMatchObject({
      host: '0.0.0.0',
      port: 9000,
      apiKeys: ['sk-a', 'sk-b'],
      drainSeconds: 5,
      corsOrigins: ['http://app.test'],
    });
  });

  it('a bad value is a problem naming the key path, what was expected and what was received', () => {
    expect(problems(serve({ port: 70000 }))).toEqual([
      expect.objectContaining({ path: 'safetynet.serve.port', expected: expect.stringMatching(/port from 0/), received: '70000' }),
    ]);
    expect(problems(serve({ apiKeys: 'sk-one' }))).toEqual([
      expect.objectContaining({ path: 'safetynet.serve.apiKeys', received: '"sk-one"' }),
    ]);
    expect(problems(serve({ bodyLimitBytes: 10 }))).toEqual([expect.objectContaining({ path: 'safetynet.serve.bodyLimitBytes' })]);
  });

  it('an unknown key of safetynet.serve suggests the closest valid one', () => {
    expect(problems(serve({ drainSecond: 3 }))).toEqual([
      expect.objectContaining({ path: 'safetynet.serve.drainSecond', hint: expect.stringContaining('drainSeconds') }),
    ]);
  });
});
