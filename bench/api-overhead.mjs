// 3. API path overhead: runtime.run() against a loopback Anthropic stub vs a direct SDK call.
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { compare, compareFigures, COMPARE_HEADERS, compareRow, dist, interleave, log, paired, tempDir, TRACES_OFF } from './lib.mjs';
import { startStub } from './stub.mjs';

export const API_KEY = 'sk-bench-not-a-real-key';
export const MODEL = 'claude-bench';

/** A direct SDK client for `url`, configured like the runtime's (retries off, logging off). */
export function directClient(url) {
  return new Anthropic({ apiKey: API_KEY, baseURL: url, maxRetries: 0, logLevel: 'off' });
}

/** The direct path: one streaming Messages call, text deltas concatenated. */
export async function directCall(client, prompt) {
  const stream = await client.messages.create({
    model: MODEL,
    max_tokens: 8192,
    messages: [{ role: 'user', content: prompt }],
    stream: true,
  });
  let text = '';
  let stopped = false;
  for await (const event of stream) {
    if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
    else if (event.type === 'message_stop') stopped = true;
  }
  if (!stopped || text === '') throw new Error('direct call: truncated stream');
  return text;
}

/** A runtime whose primary is the `bench` Anthropic-compatible provider at `url`. */
export async function apiRuntime(url, storeLocation, extra = {}) {
  const { createRuntime } = await dist('index.js');
  return createRuntime({
    config: {
      models: { providers: { bench: { api: 'anthropic-messages', baseUrl: url, apiKey: API_KEY }, ...extra.providers } },
      agents: { defaults: { model: { primary: `bench/${MODEL}`, fallbacks: extra.fallbacks ?? [] } } },
      ...(extra.traces === false ? TRACES_OFF : {}),
    },
    storeLocation,
  });
}

export async function apiOverhead({ quick }) {
  const stub = await startStub();
  const dir = await tempDir('api');
  const client = directClient(stub.url);
  const bare = await apiRuntime(stub.url, join(dir, 'bare'), { traces: false });
  const withState = await apiRuntime(stub.url, join(dir, 'state'), { traces: false });
  const standard = await apiRuntime(stub.url, join(dir, 'default'));
  const { CooldownStore } = await dist('store/index.js');
  const { callApi } = await dist('actors/api/call-api.js');
  try {
    // A state folder exists once anything was ever stored (a cooldown, a session, a trace): from
    // then on every request reads the cooldowns of its candidates from LevelDB.
    await new CooldownStore({ location: join(dir, 'state') }).clear();
    const provider = bare.config.providers.bench;
    const check = (result) => {
      if (result.backend !== 'api' || result.text === '') throw new Error(`unexpected result ${JSON.stringify(result)}`);
    };
    const n = quick ? 30 : 2000;
    log(`  ${n} rounds of sdk / callApi / run() × 3 configurations`);
    const rounds = await interleave({
      n,
      fns: {
        sdk: (i) => directCall(client, `hello ${i}`),
        callApi: (i) =>
          callApi(
            { provider, model: MODEL, prompt: `hello ${i}`, systemPrompt: undefined, images: [], timeoutMs: 600_000, history: [] },
            new AbortController().signal,
          ),
        bare: async (i) => check(await bare.run({ message: `hello ${i}` })),
        withState: async (i) => check(await withState.run({ message: `hello ${i}` })),
        standard: async (i) => check(await standard.run({ message: `hello ${i}` })),
      },
    });
    const layer = compare(rounds.sdk, rounds.callApi);
    const minimal = compare(rounds.sdk, rounds.bare);
    const cooldownRead = compare(rounds.sdk, rounds.withState);
    const defaults = compare(rounds.sdk, rounds.standard);
    const m = quick ? 2 : 40;
    log(`  default config, 300 ms apart (store closed at each request): ${m} pairs`);
    const idle = await paired({
      n: m,
      warmup: 1,
      pauseMs: 300,
      baseline: (i) => directCall(client, `hello ${i}`),
      subject: async (i) => check(await standard.run({ message: `hello ${i}` })),
    });
    return {
      id: 'api-overhead',
      title: '3. API path overhead',
      method:
        'A loopback Anthropic Messages stub (`bench/stub.mjs`, 127.0.0.1, SSE answer of one text delta) in this process. ' +
        'Baseline: a direct `@anthropic-ai/sdk` call (`client.messages.create({ …, stream: true })`, events iterated, client created once, retries off). ' +
        'Subject: `runtime.run({ message })` with that stub as the primary API provider (`models.providers.bench`, `anthropic-messages`), in three configurations measured in the same rounds: ' +
        '(1) traces off (`safetynet.traces.maxCount: 0`) and no state folder: no LevelDB access at all; ' +
        "(2) traces off, a state folder exists (as after any cooldown or session): every request reads its candidates' cooldowns from LevelDB; " +
        '(3) the default config: the cooldown read, plus a request trace written (and the traces pruned to 500) at the end of every request. ' +
        '`callApi()` alone is the API layer without the runtime and the request machine. ' +
        'Rounds rotate the order of the five, after a warm-up; the stores stay open between back-to-back requests (`idleCloseMs` 250). ' +
        'Last row: the default config with 300 ms between requests, so the LevelDB folder was closed and every request reopens it (an idle gateway). ms.',
      tables: [
        {
          headers: COMPARE_HEADERS,
          rows: [
            compareRow('`callApi()` alone (no runtime, no machine)', layer),
            compareRow('(1) `run()`, traces off, no state folder', minimal),
            compareRow('(2) `run()`, traces off, state folder (cooldown read)', cooldownRead),
            compareRow('(3) `run()`, default config (cooldown read + trace write)', defaults),
            compareRow('(3) `run()`, default config, 300 ms apart (store reopened)', idle),
          ],
        },
      ],
      figures: {
        ...compareFigures('callApi', layer),
        ...compareFigures('minimal', minimal),
        ...compareFigures('cooldownRead', cooldownRead),
        ...compareFigures('default', defaults),
        ...compareFigures('defaultIdle', idle),
      },
      targets: [
        {
          name: 'API path: p99 overhead, traces off, no state folder',
          target: '< 1 ms',
          value: minimal.addedP99,
          met: minimal.addedP99 < 1,
        },
        {
          name: 'API path: p99 overhead, traces off, state folder (cooldown read)',
          target: '< 1 ms',
          value: cooldownRead.addedP99,
          met: cooldownRead.addedP99 < 1,
        },
        { name: 'API path: p99 overhead, default config', target: '< 1 ms', value: defaults.addedP99, met: defaults.addedP99 < 1 },
        {
          name: 'API path: p99 overhead, default config, idle gateway (store reopened)',
          target: '< 1 ms',
          value: idle.addedP99,
          met: idle.addedP99 < 1,
        },
      ],
    };
  } finally {
    await Promise.all([bare.close(), withState.close(), standard.close()]);
    await stub.close();
  }
}
