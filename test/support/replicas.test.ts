/**
 * The replica harness itself (`./replicas.ts`), on the default LevelDB store so it runs without
 * Redis: every replica answers on its own URL, `kill(i, 'SIGKILL')` ends one without touching the
 * others, and `stop()` leaves no process of the set behind.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { livePidsWithEnv } from './processes.js';
import { startReplicas, type ReplicaSet } from './replicas.js';
import { startStubServer, type StubServer } from './stub-server/index.js';

let set: ReplicaSet | undefined;
let stub: StubServer | undefined;
afterEach(async () => {
  await set?.stop();
  await stub?.close();
  set = undefined;
  stub = undefined;
});

describe('the replica harness', () => {
  it('starts N ready replicas on distinct URLs, kills one by signal, and stop() leaves no process behind', async () => {
    stub = await startStubServer({ modes: ['echo'] });
    set = await startReplicas({
      count: 2,
      config: {
        models: { providers: { stub: { api: 'anthropic-messages', baseUrl: stub.url, apiKey: 'sk-stub-not-a-real-key' } } },
        agents: { defaults: { model: { primary: 'stub/claude-test' } } },
      },
    });
    expect(new Set(set.urls).size).toBe(2);
    expect(set.replicas.map((r) => r.hostId)).toEqual(['replica-0', 'replica-1']);
    for (const url of set.urls) {
      const response = await fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'stub/claude-test', messages: [{ role: 'user', content: 'hello' }] }),
      });
      expect(response.status).toBe(200);
    }
    expect((await livePidsWithEnv(set.marker)).sort()).toEqual(set.replicas.map((r) => r.pid).sort());

    expect(await set.kill(0, 'SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
    expect(set.replicas.map((r) => r.exited())).toEqual([true, false]);
    expect((await fetch(`${set.urls[1]}/readyz`)).status).toBe(200);

    const marker = set.marker;
    await set.stop();
    set = undefined;
    expect(await livePidsWithEnv(marker)).toEqual([]);
  });
});
