import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  bindingKey,
  decodeKeyPart,
  defaultStoreLocation,
  encodeKeyPart,
  isLevelLocked,
  KeyedMutex,
  sessionKeyRange,
} from '../../src/store/index.js';
import { backoffDelay, jitter, resolveLockRetry } from '../../src/store/level/lock-retry.js';

describe('lock retry', () => {
  it('delays grow exponentially from 10 ms and are capped at 250 ms by default', () => {
    const retry = resolveLockRetry();
    expect(retry).toEqual({ initialDelayMs: 10, factor: 2, maxDelayMs: 250, budgetMs: 5000 });
    expect([1, 2, 3, 4, 5, 6, 7].map((attempt) => backoffDelay(retry, attempt))).toEqual([10, 20, 40, 80, 160, 250, 250]);
  });

  it('jitter keeps a delay between half and all of it', () => {
    expect(jitter(100, () => 0)).toBe(50);
    expect(jitter(100, () => 0.999)).toBeLessThan(100);
    expect(jitter(100, () => 0.999)).toBeGreaterThan(99);
  });

  it('a locked folder is recognised by cause code and by the native message', () => {
    expect(isLevelLocked({ code: 'LEVEL_DATABASE_NOT_OPEN', cause: { code: 'LEVEL_LOCKED' } })).toBe(true);
    expect(
      isLevelLocked(new Error('Database is not open', { cause: new Error('IO error: lock /x/LOCK: Resource temporarily unavailable') })),
    ).toBe(true);
    expect(isLevelLocked(new Error('IO error: lock /x/LOCK: already held by process'))).toBe(true);
    expect(isLevelLocked(new Error('Database is not open', { cause: new Error('IO error: /x/CURRENT: Permission denied') }))).toBe(false);
    expect(isLevelLocked(undefined)).toBe(false);
  });
});

describe('binding keys', () => {
  it('escaping is reversible and leaves no separator inside a part', () => {
    for (const value of ['a', 'a\u0000b', '%', 'a%0000b', '🙂', '\ud800', 'x y/z']) {
      expect(decodeKeyPart(encodeKeyPart(value))).toBe(value);
      expect(encodeKeyPart(value)).toMatch(/^[\x21-\x7e]+$/);
    }
  });

  it('the range of a session key holds exactly its own bindings', () => {
    const range = sessionKeyRange('a');
    const inside = (key: string) => key >= range.gte && key < range.lt;
    expect(inside(bindingKey('a', 'claude-cli'))).toBe(true);
    expect(inside(bindingKey('a', '\u0000'))).toBe(true);
    for (const other of ['', 'ab', 'a\u0000', 'a b', '`', 'A']) {
      if (other !== '') expect(inside(bindingKey(other, 'claude-cli'))).toBe(false);
    }
  });
});

describe('defaultStoreLocation', () => {
  it('is <SAFETYNET_HOME>/state, with SAFETYNET_HOME defaulting to ~/.safetynet', () => {
    expect(defaultStoreLocation({ HOME: '/home/me' })).toBe('/home/me/.safetynet/state');
    expect(defaultStoreLocation({ HOME: '/home/me', SAFETYNET_HOME: '/srv/sn' })).toBe('/srv/sn/state');
    expect(defaultStoreLocation({ HOME: '/home/me', SAFETYNET_HOME: '~/sn' })).toBe('/home/me/sn/state');
    expect(defaultStoreLocation({ HOME: '/home/me', SAFETYNET_HOME: 'rel' })).toBe(path.resolve('rel', 'state'));
  });
});

describe('KeyedMutex', () => {
  it('runs tasks of one key in call order and forgets idle keys', async () => {
    const mutex = new KeyedMutex();
    const order: string[] = [];
    const task = (name: string, ms: number) => () =>
      new Promise<void>((resolve) =>
        setTimeout(() => {
          order.push(name);
          resolve();
        }, ms),
      );
    await Promise.all([mutex.run('k', task('first', 20)), mutex.run('k', task('second', 0)), mutex.run('other', task('other', 5))]);
    expect(order).toEqual(['other', 'first', 'second']);
    await expect(mutex.run('k', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(mutex.run('k', async () => 'after')).resolves.toBe('after');
    expect(mutex.size).toBe(0);
  });
});
