/**
 * Who may talk to the server: loopback detection, the bind refusal without keys, the constant-time
 * key check and the CORS headers.
 */
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { checkBindSafety, corsHeaders, isLoopbackHost, keyChecker, presentedKey } from '../../src/serve/access.js';

describe('serve access', () => {
  it('loopback hosts are localhost, 127.0.0.0/8 and ::1; everything else is not', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1'])
      expect(isLoopbackHost(host), host).toBe(true);
    for (const host of ['0.0.0.0', '::', '192.168.1.5', 'example.com', '10.0.0.1']) expect(isLoopbackHost(host), host).toBe(false);
  });

  it('a non-loopback bind without API keys is refused naming the flag and both ways to set keys', () => {
    expect(() => checkBindSafety('0.0.0.0', [])).toThrow(UsageError);
    expect(() => checkBindSafety('0.0.0.0', [])).toThrow(/--host 0\.0\.0\.0.*safetynet\.serve\.apiKeys.*SAFETYNET_API_KEYS/);
    expect(() => checkBindSafety('0.0.0.0', ['sk-1'])).not.toThrow();
    expect(() => checkBindSafety('127.0.0.1', [])).not.toThrow();
  });

  it('the key check accepts exactly the configured keys, of any length', () => {
    const check = keyChecker(['sk-one', 'a-much-longer-second-key']);
    expect(check('sk-one')).toBe(true);
    expect(check('a-much-longer-second-key')).toBe(true);
    expect(check('sk-on')).toBe(false);
    expect(check('sk-one ')).toBe(false);
    expect(check('')).toBe(false);
    expect(check(undefined)).toBe(false);
  });

  it('a key is read from Authorization: Bearer, else from x-api-key', () => {
    expect(presentedKey({ authorization: 'Bearer sk-1', 'x-api-key': 'sk-2' })).toBe('sk-1');
    expect(presentedKey({ 'x-api-key': 'sk-2' })).toBe('sk-2');
    expect(presentedKey({ authorization: 'Basic abc' })).toBeUndefined();
  });

  it('CORS headers are given to configured origins only', () => {
    expect(corsHeaders('http://a.test', [])).toBeUndefined();
    expect(corsHeaders('http://b.test', ['http://a.test'])).toBeUndefined();
    expect(corsHeaders('http://a.test', ['http://a.test'])?.['access-control-allow-origin']).toBe('http://a.test');
    expect(corsHeaders(undefined, ['http://a.test'])).toBeUndefined();
  });
});
