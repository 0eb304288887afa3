/**
 * `safetynet doctor` on the Redis store: it names the server's version and round trip, reports the
 * cooldowns every replica wrote, and a Redis that does not answer is an error naming its URL, never
 * its password.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { runDoctor, type DoctorCheck } from '../../src/doctor/doctor.js';
import { RedisCooldownStore } from '../../src/store/redis/cooldown-store.js';
import { REPO } from '../store/support.js';
import { useRedis } from '../support/redis-rig.js';

const FAKE_CLI = path.join(REPO, 'test/fixtures/bin/fake-cli.mjs');
const ENV = { PATH: process.env['PATH'] ?? '/usr/bin:/bin' };
const fake = { command: FAKE_CLI, output: 'json' as const, promptSeparator: '--' };

const { redis, connect } = useRedis('doctor');

async function doctorOn(url: string, keyPrefix: string) {
  const config = await loadConfig({
    inline: {
      safetynet: { store: { kind: 'redis', url, keyPrefix, commandTimeoutMs: 300 } },
      agents: { defaults: { model: 'fake/m', cliBackends: { fake } } },
    },
    env: ENV,
  });
  return runDoctor({ config, storeLocation: '/nonexistent/state', env: ENV, uid: 1000 });
}

const storeCheck = (checks: DoctorCheck[]) => checks.find((check) => check.candidate === 'state' && check.check === 'store');

describe('doctor on Redis', () => {
  it('a reachable Redis is ok, with its version and the round trip of a PING', async () => {
    const report = await doctorOn(redis().url, 'doctor-ok:');
    expect(storeCheck(report.checks)).toMatchObject({ ok: true });
    expect(storeCheck(report.checks)?.detail).toMatch(/Redis \d+\.\d+\.\d+ at redis:\/\/127\.0\.0\.1:\d+\/0 answers PING in [\d.]+ ms/);
  });

  it('a cooldown written by another replica shows on the candidate it keeps from running', async () => {
    const connection = connect('doctor-cool:');
    await new RedisCooldownStore({ connection }).recordFailure({
      ref: 'fake/m',
      provider: 'fake',
      failure: { reason: 'rate_limit', message: '429', retryAfterMs: 600_000 },
    });
    await connection.close();
    const report = await doctorOn(redis().url, 'doctor-cool:');
    expect(report.checks.find((check) => check.candidate === 'fake/m' && check.check === 'cooldown')).toMatchObject({ level: 'warning' });
  });

  it('a Redis that does not answer is an error naming the URL without its password', async () => {
    const url = `redis://:hunter2@127.0.0.1:${redis().port}/0`;
    await redis().pause();
    try {
      const report = await doctorOn(url, 'doctor-down:');
      const check = storeCheck(report.checks);
      expect(check).toMatchObject({ ok: false, level: 'error' });
      expect(check?.problem).toContain(`Redis at redis://:***@127.0.0.1:${redis().port}/0 is unavailable`);
      expect(JSON.stringify(report)).not.toContain('hunter2');
      expect(report.ok).toBe(false);
    } finally {
      await redis().resume();
    }
  });
});
