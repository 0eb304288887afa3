/**
 * The routes around the model endpoints: `/v1/models`, `/healthz`, `/readyz` and `/metrics`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/index.js';
import { createServer, StoreError, type SafetynetServer } from '../../src/index.js';
import { PRIMARY, useServeRig } from './rig.js';

describe('serve: models, health, readiness and metrics', () => {
  const start = useServeRig();
  let server: SafetynetServer | undefined;
  afterEach(async () => {
    await server?.close(0);
    server = undefined;
  });

  it('/v1/models lists the primary, the fallbacks, the allowlist refs and their aliases, once each', async () => {
    const rig = await start({
      config: (fallback) => ({ agents: { defaults: { models: { [PRIMARY]: { alias: 'Stubby' }, [fallback]: {}, 'stub/extra': {} } } } }),
    });
    const list = await rig.openai.models.list();
    expect(list.data.map((model) => model.id)).toEqual([PRIMARY, rig.fallback, 'stub/extra', 'Stubby']);
    const byAlias = await rig.openai.chat.completions.create({ model: 'Stubby', messages: [{ role: 'user', content: 'alias' }] });
    expect(byAlias.model).toBe(PRIMARY);
  });

  it('/healthz answers while the process is up; /readyz when the store reads and a candidate can run', async () => {
    const rig = await start();
    expect(await (await fetch(`${rig.url}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${rig.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', candidates: 2 });
  });

  it('/readyz is a 503 with the reason when no default candidate has a backend or provider', async () => {
    const rig = await start({ config: () => ({ agents: { defaults: { model: { primary: 'ghost/model', fallbacks: [] } } } }) });
    const ready = await fetch(`${rig.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: 'not_ready', reason: expect.stringMatching(/no configured candidate/) });
  });

  it('/readyz is a 503 with the reason when the state folder cannot be read', async () => {
    const config = resolveConfig({ agents: { defaults: { model: { primary: 'claude-cli/opus-4.6' } } } }, '<inline>', {});
    const locked = new StoreError('SAFETYNET_STORE_LOCKED', 'the state folder is locked by another process', { location: '/nowhere' });
    server = await createServer(
      {
        config,
        cliStats: () => ({ running: 0, waiting: 0, byBackend: {} }),
        activeCooldowns: async () => [],
        storeHealth: async () => ({ kind: 'level', location: '/nowhere', ok: false, error: locked.message }),
      } as never,
      { port: 0 },
    );
    const ready = await fetch(`${await server.listen()}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ reason: expect.stringMatching(/locked by another process/) });
  });

  it('/metrics counts requests by status, attempts by reason, fallbacks and stream first tokens', async () => {
    const rig = await start({ modes: [{ status: 529 }] });
    await rig.openai.chat.completions.create({ model: PRIMARY, messages: [{ role: 'user', content: 'one' }] });
    const stream = await rig.openai.chat.completions.create({ model: PRIMARY, messages: [{ role: 'user', content: 'two' }], stream: true });
    for await (const _ of stream) {
      // drain
    }
    await fetch(`${rig.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    const response = await fetch(`${rig.url}/metrics`);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await response.text();
    expect(text).toContain('safetynet_requests_total{endpoint="/v1/chat/completions",status="200"} 2');
    expect(text).toContain('safetynet_requests_total{endpoint="/v1/chat/completions",status="400"} 1');
    expect(text).toContain(`safetynet_attempts_total{model="${PRIMARY}",backend="api",outcome="failed",reason="overloaded"} 1`);
    expect(text).toContain(`safetynet_attempts_total{model="${PRIMARY}",backend="api",outcome="skipped",reason="overloaded"} 1`);
    expect(text).toContain(`safetynet_attempts_total{model="${rig.fallback}",backend="cli",outcome="ok",reason=""} 2`);
    expect(text).toContain('safetynet_fallbacks_total 2');
    expect(text).toContain('safetynet_time_to_first_token_seconds_count 1');
    expect(text).toContain('safetynet_request_duration_seconds_count{endpoint="/v1/chat/completions"} 3');
    expect(text).toContain('safetynet_in_flight_requests 0');
    // Per backend, listed while a backend has a running or waiting turn: none is left.
    expect(text).toContain('# TYPE safetynet_cli_processes gauge');
    expect(text).toContain('# TYPE safetynet_cli_waiting gauge');
    // The primary's 529 cooled it down (the skipped attempt above).
    expect(text).toContain(`safetynet_cooldowns_active{key="${PRIMARY}",reason="overloaded"} 1`);
    expect(text).not.toMatch(/^safetynet_cli_processes\{/m);
  });
});
