import { describe, expect, it } from 'vitest';
import { RedisConnection, redactRedisUrl } from '../../src/store/redis/connection.js';
import { useRedis } from '../support/redis-rig.js';

const { redis } = useRedis('connection');

describe('RedisConnection', () => {
  it('names keys under its prefix', () => {
    const connection = new RedisConnection({ url: redis().url, keyPrefix: 'p:' });
    expect(connection.key('a', 'b')).toBe('p:a:b');
  });

  it('never shows the password of the URL', () => {
    expect(redactRedisUrl('redis://user:secret@127.0.0.1:6379/0')).toBe('redis://***:***@127.0.0.1:6379/0');
    expect(redactRedisUrl('redis://:secret@127.0.0.1:6379/0')).not.toContain('secret');
    expect(() => new RedisConnection({ url: 'http://:secret@x' })).toThrow(/redis:\/\//);
  });

  it('reports health with the server version and a latency', async () => {
    const connection = new RedisConnection({ url: redis().url });
    const health = await connection.health();
    expect(health).toMatchObject({ kind: 'redis', ok: true });
    expect(health.version).toMatch(/^\d+\.\d+/);
    await connection.close();
  });

  it('an outage fails commands with SAFETYNET_STORE_UNAVAILABLE within the command timeout, and the connection recovers without a restart', async () => {
    const warnings: string[] = [];
    const connection = new RedisConnection({ url: redis().url, commandTimeoutMs: 300, onWarning: (m) => warnings.push(m) });
    await connection.run('set', (c) => c.set(connection.key('k'), '1'));
    await redis().pause();
    await expect(connection.run('read k', (c) => c.get(connection.key('k')))).rejects.toMatchObject({
      code: 'SAFETYNET_STORE_UNAVAILABLE',
    });
    await redis().resume();
    let value: string | null | undefined;
    for (let i = 0; i < 100 && value === undefined; i++) {
      value = await connection.run('read k', (c) => c.get(connection.key('k'))).catch(() => undefined);
      if (value === undefined) await new Promise((r) => setTimeout(r, 50));
    }
    expect(value).toBeNull(); // the restarted server is empty, but it answers
    expect(warnings.some((w) => w.includes('unreachable'))).toBe(true);
    await connection.close();
  });
});
