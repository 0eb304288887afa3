/**
 * `safetynet serve` as a real process (`node bin/safetynet.js`, compiled dist): the start banner,
 * the refusal of a non-loopback bind without API keys, and the drain on SIGTERM.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { waitForProcessWithEnv, waitUntilNoProcessWithEnv } from '../support/processes.js';
import { cleanup, configWith, fakeSandbox, safetynet, sandbox, startSafetynet, trackMarker, writeConfig } from './support.js';

const GATE_CLI = path.join(import.meta.dirname, 'fixtures/gate-cli.mjs');

afterEach(cleanup);

/** Resolves with the URL of the banner once it is printed (bounded by the run's timeout). */
function bannerUrl(running: ReturnType<typeof startSafetynet>): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    running.stderr?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      const match = /safetynet serve listening on (http:\/\/\S+) /.exec(seen);
      if (match) resolve(match[1]!);
    });
    void running.then(() => reject(new Error(`safetynet serve ended before its banner: ${seen}`)));
  });
}

describe('safetynet serve', () => {
  it('refuses a non-loopback --host without API keys: exit 2, naming the flag and the keys', async () => {
    const box = await fakeSandbox();
    const result = await safetynet(box, ['serve', '--host', '0.0.0.0', '--port', '0', '--config', box.config]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('--host 0.0.0.0: refusing to serve a non-loopback address without API keys');
    expect(result.stderr).toContain('safetynet.serve.apiKeys');
    expect(result.stderr).toContain('SAFETYNET_API_KEYS');
  });

  it('prints a one-line banner with the URL and answers on it', async () => {
    const box = await fakeSandbox({ model: { primary: 'fake/default' } });
    const running = startSafetynet(box, ['serve', '--port', '0', '--config', box.config]);
    const url = await bannerUrl(running);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const response = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'fake/default', messages: [{ role: 'user', content: 'over http' }] }),
    });
    expect(response.status).toBe(200);
    running.kill('SIGTERM');
    const result = await running;
    expect(result.exitCode).toBe(0);
    expect(String(result.stderr).split('\n')[0]).toMatch(
      /^safetynet serve listening on http:\/\/127\.0\.0\.1:\d+ \(1 candidate: fake\/default; no API keys; drain 30 s; state in LevelDB\)$/,
    );
  });

  it('--verbose logs one line per request and response on stderr, never the prompt or the key', async () => {
    const box = await fakeSandbox({ model: { primary: 'fake/default' } });
    const running = startSafetynet(box, ['serve', '--port', '0', '--verbose', '--config', box.config], {
      env: { SAFETYNET_API_KEYS: 'sk-verbose-secret' },
    });
    const url = await bannerUrl(running);
    const response = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-verbose-secret' },
      body: JSON.stringify({ model: 'fake/default', messages: [{ role: 'user', content: 'PROMPT-NEVER-LOGGED' }] }),
    });
    expect(response.status).toBe(200);
    running.kill('SIGTERM');
    const result = await running;
    const stderr = String(result.stderr);
    expect(stderr).toContain('"url":"/v1/chat/completions"');
    expect(stderr).toContain('"statusCode":200');
    expect(stderr).not.toContain('PROMPT-NEVER-LOGGED');
    expect(stderr).not.toContain('sk-verbose-secret');
    expect(String(result.stdout)).toBe('');
  });

  it('SIGTERM drains: a request in flight still completes with 200, then the process exits 0', async () => {
    const box = await sandbox();
    const gate = path.join(box.root, 'gate-open');
    const marker = `GATE_FILE=${gate}`;
    trackMarker(marker);
    const config = writeConfig(
      path.join(box.root, 'config.json5'),
      configWith({ gate: { command: GATE_CLI, output: 'json', env: { GATE_FILE: gate } } }, { model: { primary: 'gate/default' } }),
    );
    const running = startSafetynet(box, ['serve', '--port', '0', '--config', config]);
    const url = await bannerUrl(running);
    const answer = fetch(`${url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gate/default', max_tokens: 20, messages: [{ role: 'user', content: 'in flight' }] }),
    });
    expect(await waitForProcessWithEnv(marker)).toBe(true);
    running.kill('SIGTERM');
    // Bounded wait until the server has begun its drain, then let the CLI answer.
    let draining = false;
    for (let i = 0; i < 200 && !draining; i++) {
      draining = await fetch(`${url}/healthz`).then(
        (r) => r.status === 503,
        () => true,
      );
      if (!draining) await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(draining).toBe(true);
    writeFileSync(gate, 'open');
    const response = await answer;
    expect(response.status).toBe(200);
    expect(((await response.json()) as { content: Array<{ text: string }> }).content[0]?.text).toMatch(/^released: /);
    const result = await running;
    expect(result.exitCode, `${result.signal} ${result.stderr}`).toBe(0);
    expect(String(result.stderr)).toContain('SIGTERM: draining');
    expect(await waitUntilNoProcessWithEnv(marker)).toEqual([]);
  });
});
