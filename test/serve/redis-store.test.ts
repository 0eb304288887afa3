/**
 * `safetynet serve` on the Redis store, with Redis stopped under it: readiness and metrics follow the
 * store; requests without a session key are still answered (cooldown reads fail open, counted);
 * requests with one fail clearly (503, SAFETYNET_STORE_UNAVAILABLE, Retry-After); Redis back, the
 * same server recovers without a restart.
 */
import { describe, expect, it } from 'vitest';
import { useRedis } from '../support/redis-rig.js';
import { PRIMARY, useServeRig, type ServeRig } from './rig.js';

const { redis } = useRedis('serve');

function chat(rig: ServeRig, content: string, sessionId?: string): Promise<Response> {
  return fetch(`${rig.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(sessionId === undefined ? {} : { 'x-session-id': sessionId }) },
    body: JSON.stringify({ model: PRIMARY, messages: [{ role: 'user', content }] }),
  });
}

/** Poll `/readyz` until it answers `status` (at most 100 tries, 50 ms apart). */
async function readyzBecomes(rig: ServeRig, status: number): Promise<number> {
  let last = 0;
  for (let i = 0; i < 100 && last !== status; i++) {
    last = (await fetch(`${rig.url}/readyz`)).status;
    if (last !== status) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return last;
}

describe('serve on Redis', () => {
  const start = useServeRig();
  const onRedis = (prefix: string) => () => ({
    safetynet: { store: { kind: 'redis' as const, url: redis().url, keyPrefix: prefix, commandTimeoutMs: 200 } },
  });

  it('with Redis up, /readyz is 200, safetynet_store_up{kind="redis"} is 1, and a conversation is stored in Redis', async () => {
    const rig = await start({ config: onRedis('serve-up:') });
    expect((await fetch(`${rig.url}/readyz`)).status).toBe(200);
    expect(await (await fetch(`${rig.url}/metrics`)).text()).toContain('safetynet_store_up{kind="redis"} 1');
    expect((await chat(rig, 'hello', 'chat-up')).status).toBe(200);
    const transcript = await rig.runtime.sessions.transcript('chat-up');
    expect(transcript.turns.map((turn) => turn.role)).toEqual(['user', 'assistant']);
  });

  it('Redis stopped: one-shot requests are answered (fail open, counted), keyed ones fail with 503; Redis back: recovered without a restart', async () => {
    const rig = await start({ config: onRedis('serve-down:') });
    expect((await chat(rig, 'warm up')).status).toBe(200);
    await redis().pause();
    try {
      expect(await readyzBecomes(rig, 503)).toBe(503);
      expect((await chat(rig, 'one-shot while Redis is down')).status).toBe(200);
      const keyed = await chat(rig, 'keyed while Redis is down', 'chat-down');
      expect(keyed.status).toBe(503);
      expect(keyed.headers.get('retry-after')).toBe('1');
      expect(JSON.stringify(await keyed.json())).toContain('unavailable');
      const metrics = await (await fetch(`${rig.url}/metrics`)).text();
      expect(metrics).toContain('safetynet_store_up{kind="redis"} 0');
      expect(metrics).toMatch(/safetynet_store_fail_open_total [1-9]/);
    } finally {
      await redis().resume();
    }
    expect(await readyzBecomes(rig, 200)).toBe(200);
    expect((await chat(rig, 'keyed after Redis is back', 'chat-down')).status).toBe(200);
    expect((await rig.runtime.sessions.transcript('chat-down')).turns).toHaveLength(2);
  });
});
