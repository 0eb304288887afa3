/**
 * The command ships as one esbuild bundle (`dist/bundle/`, built by scripts/build-bundle.mjs):
 * `bin/safetynet.js` runs it, the tests' global setup rebuilds it when stale, and a request loads
 * only the chunks of what it calls. Which modules a process loaded is read with a module hook
 * (`fixtures/record-loads.mjs`, preloaded through NODE_OPTIONS) and mapped to the packages inside
 * each chunk through esbuild's metafile.
 */
import { mkdtempSync, readFileSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureBundle, staleBundleInputs } from '../global-setup.js';
import { BUNDLE_DIR, bundledInputs, loadedFiles, packagesIn, RECORD_LOADS } from '../support/bundle-loads.js';
import { startStubServer } from '../support/stub-server/index.js';
import { cleanup, configWith, fakeBackend, fakeSandbox, REPO, safetynet, type Sandbox, writeConfig } from './support.js';

afterEach(cleanup);

/** Packages a request must not load unless it calls them. */
const HEAVY = ['openai', '@anthropic-ai/sdk', 'fastify', 'ioredis', 'prom-client', '@statelyai/inspect'];

/** Runs `safetynet <args>` with the module hook; resolves with its result and every loaded module's path. */
async function recordedRun(box: Sandbox, args: string[]) {
  const record = path.join(box.root, 'loads.txt');
  const result = await safetynet(box, args, { env: { NODE_OPTIONS: `--import=${RECORD_LOADS}`, RECORD_LOADS: record } });
  return { result, files: loadedFiles(record) };
}

describe('the command bundle', () => {
  it('bin/safetynet.js runs the bundle, not the tsc output in dist/', async () => {
    const box = await fakeSandbox();
    const { result, files } = await recordedRun(box, ['agent', '--message', 'hi', '--model', 'fake/default', '--config', box.config]);

    expect(result.exitCode, result.stderr).toBe(0);
    expect(files).toContain(path.join(BUNDLE_DIR, 'main.js'));
    const fromDist = files.filter((file) => file.startsWith(path.join(REPO, 'dist')));
    expect(fromDist.filter((file) => !file.startsWith(BUNDLE_DIR + path.sep))).toEqual([]);
  });

  it('a one-shot CLI turn loads no provider SDK, HTTP server, metrics, Redis client or inspector', async () => {
    const box = await fakeSandbox();
    const { result, files } = await recordedRun(box, ['agent', '--message', 'hi', '--model', 'fake/default', '--config', box.config]);

    expect(result.exitCode, result.stderr).toBe(0);
    const loaded = packagesIn(files);
    expect(loaded).toContain('commander'); // the mapping finds packages at all
    expect(HEAVY.filter((name) => loaded.has(name))).toEqual([]);
  });

  it('a one-shot CLI turn in a home without cooldowns loads no LevelDB: its trace goes to the journal', async () => {
    const box = await fakeSandbox();
    const { result, files } = await recordedRun(box, ['agent', '--message', 'hi', '--model', 'fake/default', '--config', box.config]);

    expect(result.exitCode, result.stderr).toBe(0);
    expect(packagesIn(files).has('level')).toBe(false); // `level` requires the native classic-level
    expect(bundledInputs(files)).not.toContain('src/store/level/handle.ts');
    const shown = await safetynet(box, ['trace']);
    expect(shown.stdout).toContain('answered by fake/default');
  });

  it('a turn whose API candidate is called loads that provider SDK (and only it)', async () => {
    const box = await fakeSandbox();
    // Port 1 on loopback refuses the connection at once; the fixture CLI then answers.
    const config = writeConfig(path.join(box.root, 'api-first.json5'), {
      models: { providers: { local: { api: 'openai-completions', baseUrl: 'http://127.0.0.1:1/v1', apiKey: 'sk-test-bundle' } } },
      ...(configWith({ fake: fakeBackend(box.fakeState) }, { model: { primary: 'local/m', fallbacks: ['fake/default'] } }) as object),
    });
    const { result, files } = await recordedRun(box, ['agent', '--message', 'hi', '--config', config]);

    expect(result.exitCode, result.stderr).toBe(0);
    const loaded = packagesIn(files);
    expect(loaded).toContain('openai');
    expect(HEAVY.filter((name) => name !== 'openai' && loaded.has(name))).toEqual([]);
  });
  it('a turn answered by its API provider loads no process runner (execa) and no other SDK', async () => {
    const stub = await startStubServer({ text: 'from the stub' });
    try {
      const box = await fakeSandbox();
      const config = writeConfig(path.join(box.root, 'api-only.json5'), {
        models: { providers: { local: { api: 'anthropic-messages', baseUrl: stub.url, apiKey: 'sk-test-bundle' } } },
        ...(configWith({ fake: fakeBackend(box.fakeState) }, { model: { primary: 'local/m', fallbacks: ['fake/default'] } }) as object),
      });
      const { result, files } = await recordedRun(box, ['agent', '--message', 'hi', '--config', config]);

      expect(result.exitCode, result.stderr).toBe(0);
      expect(result.stdout).toBe('from the stub');
      const loaded = packagesIn(files);
      expect(loaded).toContain('@anthropic-ai/sdk');
      expect(['execa', ...HEAVY].filter((name) => name !== '@anthropic-ai/sdk' && loaded.has(name))).toEqual([]);
    } finally {
      await stub.close();
    }
  });
});

describe('what the bundle keeps', () => {
  it("the SDKs' error classes keep their names (API failure classification reads constructor names)", async () => {
    const meta = JSON.parse(readFileSync(path.join(BUNDLE_DIR, 'meta.json'), 'utf8')) as {
      outputs: Record<string, { entryPoint?: string }>;
    };
    for (const entry of ['node_modules/openai/index.mjs', 'node_modules/@anthropic-ai/sdk/index.mjs']) {
      const chunk = Object.keys(meta.outputs).find((file) => meta.outputs[file]?.entryPoint === entry);
      expect(chunk, entry).toBeDefined();
      const sdk = (await import(pathToFileURL(path.join(REPO, chunk ?? '')).href)) as Record<string, { name: string }>;
      for (const name of ['APIConnectionError', 'APIConnectionTimeoutError', 'RateLimitError', 'AuthenticationError'])
        expect(sdk[name]?.name, `${entry} ${name}`).toBe(name);
    }
  });
});

describe('the global setup and the bundle', () => {
  it('a missing or stale bundle is detected and rebuilt; a fresh one is left alone', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'safetynet-bundle-'));
    try {
      expect(staleBundleInputs(dir)).toEqual([path.join(dir, 'main.js')]);
      ensureBundle(dir);
      expect(staleBundleInputs(dir)).toEqual([]);

      // The entry older than its inputs, as after editing a source: every input is named.
      utimesSync(path.join(dir, 'main.js'), new Date('2001-01-01'), new Date('2001-01-01'));
      const stale = staleBundleInputs(dir);
      expect(stale).toContain(path.join(REPO, 'src/cli/main.ts'));
      expect(stale).toContain(path.join(REPO, 'scripts/build-bundle.mjs'));

      ensureBundle(dir);
      expect(staleBundleInputs(dir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 240_000); // two esbuild builds: seconds alone, minutes on a loaded machine
});
