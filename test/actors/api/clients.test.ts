import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MAX_CACHED_CLIENTS, anthropicClient, clearClientCache, openaiClient } from '../../../src/actors/api/clients.js';
import { stubProvider } from './helpers.js';

const here = dirname(fileURLToPath(import.meta.url));
const apiDir = join(here, '../../../src/actors/api');

describe('SDK clients', () => {
  it('the API modules import the SDKs only lazily (type imports are erased)', async () => {
    for (const name of (await readdir(apiDir)).filter((file) => file.endsWith('.ts'))) {
      const source = await readFile(join(apiDir, name), 'utf8');
      const valueImports = [...source.matchAll(/^\s*(?:import|export)\s+(?!type\s)[^;]*?from\s+'([^']+)'/gm)].map((m) => m[1]);
      expect(
        valueImports.filter(
          (spec) =>
            spec === '@anthropic-ai/sdk' || spec === 'openai' || spec?.startsWith('openai/') || spec?.startsWith('@anthropic-ai/sdk/'),
        ),
        name,
      ).toEqual([]);
    }
    const clients = await readFile(join(apiDir, 'clients.ts'), 'utf8');
    expect(clients).toContain("import('@anthropic-ai/sdk')");
    expect(clients).toContain("import('openai')");
  });

  it('a client is built once per provider and reused', async () => {
    const provider = stubProvider('anthropic-messages', 'http://127.0.0.1:9');
    const first = await anthropicClient(provider);
    expect(await anthropicClient(provider)).toBe(first);
    const openai = stubProvider('openai-responses', 'http://127.0.0.1:9/v1');
    expect(await openaiClient(openai)).toBe(await openaiClient(openai));
  });

  it('an equal provider resolved again (a reloaded config) reuses the client; another key or base URL does not', async () => {
    const first = await anthropicClient(stubProvider('anthropic-messages', 'http://127.0.0.1:9'));
    expect(await anthropicClient(stubProvider('anthropic-messages', 'http://127.0.0.1:9'))).toBe(first);
    expect(await anthropicClient(stubProvider('anthropic-messages', 'http://127.0.0.1:9', { apiKey: 'sk-other-key-0000' }))).not.toBe(
      first,
    );
    expect(await anthropicClient(stubProvider('anthropic-messages', 'http://127.0.0.1:10'))).not.toBe(first);
  });

  it("every client has the SDK's retries off and the provider's base URL", async () => {
    const anthropic = await anthropicClient(stubProvider('anthropic-messages', 'http://127.0.0.1:9'));
    const openai = await openaiClient(stubProvider('openai-completions', 'http://127.0.0.1:9/v1'));
    expect(anthropic.maxRetries).toBe(0);
    expect(openai.maxRetries).toBe(0);
    expect(anthropic.baseURL).toBe('http://127.0.0.1:9');
    expect(openai.baseURL).toBe('http://127.0.0.1:9/v1');
  });

  it('the keyed cache is bounded', async () => {
    clearClientCache();
    const clients = new Set<unknown>();
    for (let i = 0; i <= MAX_CACHED_CLIENTS; i += 1)
      clients.add(await openaiClient(stubProvider('openai-completions', `http://127.0.0.1:${1000 + i}/v1`)));
    expect(clients.size).toBe(MAX_CACHED_CLIENTS + 1);
    // The first one was evicted from the keyed cache: an equal provider object gets a new client.
    const again = await openaiClient(stubProvider('openai-completions', 'http://127.0.0.1:1000/v1'));
    expect(clients.has(again)).toBe(false);
  });
});
