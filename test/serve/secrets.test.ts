/**
 * Issue 13, case 5 on the HTTP front: a CLI that prints keys on stderr and fails; the error bodies
 * of both wire formats (and their headers) carry none of the keys — neither the backend's secret
 * env value, nor the standard key variables of the environment, nor a Redis URL's password —
 * while still saying what failed.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO } from '../cli/support.js';
import { useServeRig } from './rig.js';

const LEAKY_CLI = path.join(REPO, 'test/fixtures/bin/leak-stderr.mjs');
const SECRETS = { GEMINI_API_KEY: 'gem-serve-env-4a3b2c1d', CODEX_API_KEY: 'codex-serve-env-9f8e7d' };
const BACKEND_TOKEN = 'serve-backend-token-77ab';
const REDIS_PASSWORD = 'redis-pass-4f9e1c';

describe('serve: error bodies carry no secret (issue 13, case 5)', () => {
  const start = useServeRig();
  const saved: Record<string, string | undefined> = {};
  beforeAll(() => {
    for (const [name, value] of Object.entries(SECRETS)) {
      saved[name] = process.env[name];
      process.env[name] = value;
    }
  });
  afterAll(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it('a failing CLI that prints keys on stderr: the 502 bodies of both formats name the failure, never the keys', async () => {
    const rig = await start({
      config: () => ({
        agents: {
          defaults: {
            model: { primary: 'leaky/default', fallbacks: [] },
            cliBackends: {
              leaky: {
                command: LEAKY_CLI,
                args: [],
                output: 'text',
                env: { LEAK_VARS: 'GEMINI_API_KEY,CODEX_API_KEY,BACKEND_TOKEN', BACKEND_TOKEN },
              },
            },
          },
        },
      }),
    });
    const bodies: string[] = [];
    for (const [route, body] of [
      ['/v1/chat/completions', { model: 'leaky/default', messages: [{ role: 'user', content: 'hi there' }] }],
      ['/v1/messages', { model: 'leaky/default', max_tokens: 20, messages: [{ role: 'user', content: 'hi there' }] }],
    ] as const) {
      const response = await fetch(`${rig.url}${route}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(response.status, route).toBe(502);
      const text = await response.text();
      expect(text).toContain('leak-stderr: debug:');
      expect(text).toContain('(redacted)');
      bodies.push(text, JSON.stringify([...response.headers.entries()]));
    }
    const found = [...Object.values(SECRETS), BACKEND_TOKEN, REDIS_PASSWORD].filter((secret) =>
      bodies.some((text) => text.includes(secret)),
    );
    expect(found).toEqual([]);
  });
});
