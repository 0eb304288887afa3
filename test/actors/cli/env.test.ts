import { afterEach, describe, expect, it } from 'vitest';
import { buildCliEnv } from '../../../src/actors/cli/env.js';

describe('buildCliEnv', () => {
  afterEach(() => {
    delete process.env.SN_TEST_CLI_ENV;
  });

  it('inherits the base environment', () => {
    expect(buildCliEnv({ clearEnv: [], env: {} }, { PATH: '/bin', HOME: '/root' })).toEqual({ PATH: '/bin', HOME: '/root' });
  });

  it('removes the clearEnv keys from the inherited environment', () => {
    expect(buildCliEnv({ clearEnv: ['ANTHROPIC_API_KEY'], env: {} }, { PATH: '/bin', ANTHROPIC_API_KEY: 'sk' })).toEqual({ PATH: '/bin' });
  });

  it('adds backend.env, overriding inherited values', () => {
    expect(buildCliEnv({ clearEnv: [], env: { PATH: '/opt/bin', IS_SANDBOX: '1' } }, { PATH: '/bin' })).toEqual({
      PATH: '/opt/bin',
      IS_SANDBOX: '1',
    });
  });

  it('an explicit env value wins over clearEnv', () => {
    expect(buildCliEnv({ clearEnv: ['API_KEY'], env: { API_KEY: 'explicit' } }, { API_KEY: 'inherited' })).toEqual({ API_KEY: 'explicit' });
  });

  it('drops undefined values', () => {
    expect(buildCliEnv({ clearEnv: [], env: {} }, { A: undefined, B: 'b' })).toEqual({ B: 'b' });
  });

  it('does not modify the base environment', () => {
    const base = { A: 'a', B: 'b' };
    buildCliEnv({ clearEnv: ['A'], env: { C: 'c' } }, base);
    expect(base).toEqual({ A: 'a', B: 'b' });
  });

  it('defaults the base to process.env', () => {
    process.env.SN_TEST_CLI_ENV = 'inherited';
    expect(buildCliEnv({ clearEnv: [], env: {} }).SN_TEST_CLI_ENV).toBe('inherited');
    expect(buildCliEnv({ clearEnv: ['SN_TEST_CLI_ENV'], env: {} }).SN_TEST_CLI_ENV).toBeUndefined();
  });
});
