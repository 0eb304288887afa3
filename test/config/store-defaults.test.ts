/**
 * `safetynet.store`: LevelDB by default; Redis needs a URL (the file's, or `SAFETYNET_REDIS_URL`);
 * validation names the key path and the received value, and never shows a URL's password.
 */
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/index.js';
import { validateConfigFile } from '../../src/config/schema.js';
import { ConfigError } from '../../src/errors.js';

const FILE = '/home/me/.safetynet/config.json5';
const store = (entry: unknown) => ({ safetynet: { store: entry } });

function rejection(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected the config to be rejected');
}

describe('safetynet.store config', () => {
  it('without the section, the state stays in the LevelDB folder and the host id is the host name', () => {
    expect(resolveConfig(null, null, {}).store).toEqual({
      kind: 'level',
      url: undefined,
      keyPrefix: 'safetynet:',
      commandTimeoutMs: 1000,
      leaseMs: 5000,
      hostId: os.hostname(),
    });
  });

  it('configured values win, and SAFETYNET_REDIS_URL and SAFETYNET_HOST_ID win over the file', () => {
    const file = store({
      kind: 'redis',
      url: 'redis://10.0.0.1:6379/2',
      keyPrefix: 'gw:',
      commandTimeoutMs: 250,
      leaseSeconds: 2,
      hostId: 'a',
    });
    validateConfigFile(file, FILE);
    expect(resolveConfig(file as never, FILE, {}).store).toEqual({
      kind: 'redis',
      url: 'redis://10.0.0.1:6379/2',
      keyPrefix: 'gw:',
      commandTimeoutMs: 250,
      leaseMs: 2000,
      hostId: 'a',
    });
    const env = { SAFETYNET_REDIS_URL: 'redis://127.0.0.1:7000/0', SAFETYNET_HOST_ID: 'replica-2' };
    expect(resolveConfig(file as never, FILE, env).store).toMatchObject({ url: 'redis://127.0.0.1:7000/0', hostId: 'replica-2' });
  });

  it('kind "redis" without any URL is a problem naming safetynet.store.url and the variable that can supply it', () => {
    const error = rejection(() => resolveConfig(store({ kind: 'redis' }) as never, FILE, {}));
    expect(error.code).toBe('SAFETYNET_CONFIG_INVALID');
    expect(error.problems[0]).toMatchObject({ file: FILE, path: 'safetynet.store.url' });
    expect(error.message).toContain('SAFETYNET_REDIS_URL');
  });

  it('a URL that is not redis:// is a problem naming the key path; the env variable is named, its password never shown', () => {
    const error = rejection(() => validateConfigFile(store({ kind: 'redis', url: 'http://x' }), FILE));
    expect(error.problems.map((p) => p.path)).toEqual(['safetynet.store.url']);
    const fromEnv = rejection(() => resolveConfig(null, null, { SAFETYNET_REDIS_URL: 'tcp://user:hunter2@db:6379' }));
    expect(fromEnv.problems[0]?.path).toBe('$SAFETYNET_REDIS_URL');
    expect(fromEnv.message).not.toContain('hunter2');
  });

  it('an unknown key of the section suggests the closest one, and a bad kind lists the two kinds', () => {
    const typo = rejection(() => validateConfigFile(store({ keyprefix: 'x' }), FILE));
    expect(typo.message).toContain('keyPrefix');
    const kind = rejection(() => validateConfigFile(store({ kind: 'postgres' }), FILE));
    expect(kind.problems[0]).toMatchObject({ path: 'safetynet.store.kind' });
    expect(kind.problems[0]?.expected).toContain('redis');
  });
});
