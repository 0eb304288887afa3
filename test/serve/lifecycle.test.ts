/**
 * What happens around a request's lifetime: a client that goes away aborts its request (the CLI's
 * process group is killed), and many requests at once are all answered.
 */
import { describe, expect, it } from 'vitest';
import { waitForProcessWithEnv, waitUntilNoProcessWithEnv } from '../support/processes.js';
import { PRIMARY, useServeRig } from './rig.js';

describe('serve: request lifetime', () => {
  const start = useServeRig();

  for (const stream of [false, true]) {
    it(`a client that disconnects mid-request kills the CLI's process group (${stream ? 'streaming' : 'not streaming'})`, async () => {
      const rig = await start({ modes: [{ status: 500 }] });
      rig.setCliMode('hang'); // the fixture CLI sleeps, with a grandchild in its process group
      const controller = new AbortController();
      const request = fetch(`${rig.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: PRIMARY, stream, messages: [{ role: 'user', content: 'sleep' }] }),
        signal: controller.signal,
      }).catch((error: unknown) => error);
      expect(await waitForProcessWithEnv(rig.marker)).toBe(true);
      controller.abort();
      expect(await request).toBeInstanceOf(Error);
      expect(await waitUntilNoProcessWithEnv(rig.marker)).toEqual([]);
      // Bounded wait for the server to see the close and count it.
      let metrics = '';
      for (let i = 0; i < 50 && !metrics.includes('status="499"'); i++) {
        metrics = await (await fetch(`${rig.url}/metrics`)).text();
        if (!metrics.includes('status="499"')) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(metrics).toContain('safetynet_requests_total{endpoint="/v1/chat/completions",status="499"} 1');
      expect(metrics).toContain('safetynet_in_flight_requests 0');
    });
  }

  it('a request still running when the drain time is up is aborted: its client gets a 503 and the CLI is killed', async () => {
    const rig = await start({ modes: [{ status: 500 }] });
    rig.setCliMode('hang');
    const answer = fetch(`${rig.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: PRIMARY, max_tokens: 9, messages: [{ role: 'user', content: 'too slow' }] }),
    });
    expect(await waitForProcessWithEnv(rig.marker)).toBe(true);
    await rig.server.close(100);
    const response = await answer;
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ type: 'error', error: { type: 'overloaded_error' } });
    expect(await waitUntilNoProcessWithEnv(rig.marker)).toEqual([]);
  });

  it('200 concurrent requests through the server are all answered, none lost', async () => {
    const rig = await start();
    const url = rig.url;
    const answers = await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const response = await fetch(`${url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model: PRIMARY, messages: [{ role: 'user', content: `request ${i}` }] }),
        });
        const body = (await response.json()) as { choices: Array<{ message: { content: string } }> };
        return { status: response.status, text: body.choices[0]?.message.content ?? '' };
      }),
    );
    expect(answers.filter((answer) => answer.status === 200)).toHaveLength(200);
    for (const [i, answer] of answers.entries()) expect(answer.text).toMatch(new RegExp(`^echo: request ${i} `));
    expect(rig.stub.modelRequests()).toHaveLength(200);
  });
});
