/**
 * The config validation cache (`src/config/config-cache.ts`): a config file is validated once per
 * version and schema; edits, another schema and corrupt entries are misses; a cache that cannot be
 * written is skipped; no value of the config (no secret) ever reaches the cache.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CACHE_FOLDER_NAME,
  CONFIG_SCHEMA_DIGEST,
  MAX_CONFIG_CACHE_ENTRIES,
  configCacheFile,
  configFileStamp,
  rememberValid,
} from '../../src/config/config-cache.js';
import { loadConfig } from '../../src/config/index.js';
import { ConfigError } from '../../src/errors.js';

const CONFIG_SRC = join(import.meta.dirname, '../../src/config');

/** The files of src/config that `schema.ts` imports for values, transitively (type-only imports decide nothing). */
async function validationSources(): Promise<string[]> {
  const seen = new Set<string>();
  const visit = async (name: string): Promise<void> => {
    if (seen.has(name)) return;
    seen.add(name);
    const text = await readFile(join(CONFIG_SRC, name), 'utf8');
    for (const match of text.matchAll(/^(?:import|export)\s+(?!type\s)[^;]*?from\s+'\.\/([^']+)\.js'/gm)) await visit(`${match[1]}.ts`);
  };
  await visit('schema.ts');
  return [...seen].sort();
}

async function currentDigest(): Promise<string> {
  const hash = createHash('sha256');
  for (const name of await validationSources()) hash.update(`${name}\n${await readFile(join(CONFIG_SRC, name), 'utf8')}\n`);
  const zod = createRequire(import.meta.url)('zod/package.json') as { version: string };
  hash.update(`zod@${zod.version}\n`);
  return hash.digest('hex').slice(0, 16);
}

const VALID = `{ agents: { defaults: { timeoutSeconds: 5, cliBackends: { x: { command: "x", sessionArg: "--s" } } } } }\n`;
// the same length as VALID, with a misspelt key (an error with a suggestion, but loadable when trusted)
const INVALID = VALID.replace('sessionArg', 'sessionArx');

let dir: string;
let home: string;
let file: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'safetynet-config-cache-'));
  home = join(dir, 'home');
  file = join(home, 'config.json5');
  await mkdir(home, { recursive: true });
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const cacheDir = () => join(home, CACHE_FOLDER_NAME);

/** Loads `file` with a home of its own; rejects like `loadConfig`. */
function load(env: Record<string, string> = {}) {
  return loadConfig({ file, env: { SAFETYNET_HOME: home, ...env } });
}

async function rejectionCode(promise: Promise<unknown>): Promise<string | undefined> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return (error as ConfigError).code;
}

/** Claims in the cache that the file as it is now was validated (to observe whether a load trusts it). */
async function claimValid(): Promise<void> {
  await rememberValid(cacheDir(), file, configFileStamp(await stat(file)));
}

describe('config validation cache', () => {
  it('the schema digest covers the validation sources and zod (update CONFIG_SCHEMA_DIGEST when this fails)', async () => {
    expect(await validationSources()).toEqual(expect.arrayContaining(['schema.ts', 'schema-shapes.ts', 'builtins.ts', 'providers.ts']));
    expect(CONFIG_SCHEMA_DIGEST, 'set CONFIG_SCHEMA_DIGEST in src/config/config-cache.ts to this value').toBe(await currentDigest());
  });

  it('a file validated once is not validated again while it is unchanged', async () => {
    await writeFile(file, VALID);
    expect((await load()).attemptTimeoutMs).toBe(5000);
    expect(existsSync(configCacheFile(cacheDir(), file))).toBe(true);
    // Proof that the second load trusts the verdict: an invalid file that the cache claims valid loads.
    await writeFile(file, INVALID);
    await claimValid();
    expect((await load()).backends['x']?.command).toBe('x');
  });

  it('an edited file is validated again, even with the same size and mtime', async () => {
    await writeFile(file, VALID);
    await load();
    const before = await stat(file);
    await writeFile(file, INVALID);
    await utimes(file, before.atime, before.mtime);
    expect(await rejectionCode(load())).toBe('SAFETYNET_CONFIG_INVALID');
  });

  it('a verdict of another schema version is a miss', async () => {
    await writeFile(file, INVALID);
    const stamp = configFileStamp(await stat(file));
    await mkdir(cacheDir(), { recursive: true });
    await writeFile(configCacheFile(cacheDir(), file), JSON.stringify({ v: 1, path: file, schema: 'an-older-release', ...stamp }));
    expect(await rejectionCode(load())).toBe('SAFETYNET_CONFIG_INVALID');
  });

  it('a corrupt entry is ignored and rewritten', async () => {
    await writeFile(file, VALID);
    await mkdir(cacheDir(), { recursive: true });
    await writeFile(configCacheFile(cacheDir(), file), '{"v":1,"path":');
    expect((await load()).attemptTimeoutMs).toBe(5000);
    const entry = JSON.parse(await readFile(configCacheFile(cacheDir(), file), 'utf8')) as Record<string, unknown>;
    expect(entry).toMatchObject({ v: 1, path: file, schema: CONFIG_SCHEMA_DIGEST, size: VALID.length });
  });

  it('a cache that cannot be written is skipped, not an error, and leaves no temp file', async () => {
    await writeFile(file, VALID);
    await writeFile(cacheDir(), 'a file where the cache folder would be'); // mkdir fails (EEXIST/ENOTDIR), also as root
    expect((await load()).attemptTimeoutMs).toBe(5000);
    expect((await load()).attemptTimeoutMs).toBe(5000);
    expect(await readdir(home)).toEqual(expect.arrayContaining(['cache', 'config.json5']));
    expect((await readdir(home)).length).toBe(2);
  });

  it('an invalid file is never remembered', async () => {
    await writeFile(file, INVALID);
    expect(await rejectionCode(load())).toBe('SAFETYNET_CONFIG_INVALID');
    expect(existsSync(configCacheFile(cacheDir(), file))).toBe(false);
    expect(await rejectionCode(load())).toBe('SAFETYNET_CONFIG_INVALID');
  });

  it('no secret reaches the cache, and ${VAR} references are resolved on every run', async () => {
    const literal = 'sk-ant-literal-secret-0123456789';
    const fromEnv = ['sk-env-secret-first-run-0000', 'sk-env-secret-second-run-1111'];
    await writeFile(
      file,
      `{ models: { providers: {
        anthropic: { apiKey: "${literal}" },
        local: { api: "openai-completions", baseUrl: "http://127.0.0.1:9/v1", apiKey: "\${LOCAL_KEY}", headers: { "x-token": "hdr-secret-42" } },
      } } }\n`,
    );
    const first = await load({ LOCAL_KEY: fromEnv[0] as string });
    const second = await load({ LOCAL_KEY: fromEnv[1] as string });
    expect(first.providers['local']?.apiKey).toBe(fromEnv[0]);
    expect(second.providers['local']?.apiKey).toBe(fromEnv[1]);
    expect(second.providers['anthropic']?.apiKey).toBe(literal);
    const names = await readdir(cacheDir());
    expect(names).toHaveLength(1);
    const cached = await readFile(join(cacheDir(), names[0] as string), 'utf8');
    for (const secret of [literal, 'hdr-secret-42', ...fromEnv]) expect(cached).not.toContain(secret);
    expect(Object.keys(JSON.parse(cached) as object).sort()).toEqual(['ctimeMs', 'ino', 'mtimeMs', 'path', 'schema', 'size', 'v']);
  });

  it(`remembers at most ${MAX_CONFIG_CACHE_ENTRIES} files, dropping the oldest`, async () => {
    const files = Array.from({ length: MAX_CONFIG_CACHE_ENTRIES + 3 }, (_, i) => join(dir, `configs/c${i}.json5`));
    await mkdir(dirname(files[0] as string), { recursive: true });
    for (const [i, path] of files.entries()) {
      await writeFile(path, VALID);
      await loadConfig({ file: path, env: { SAFETYNET_HOME: home } });
      // entries of earlier files are older (mtime-ordered), whatever the clock's granularity
      const entry = configCacheFile(cacheDir(), path);
      await utimes(entry, 1_000_000 + i, 1_000_000 + i);
    }
    const names = await readdir(cacheDir());
    expect(names).toHaveLength(MAX_CONFIG_CACHE_ENTRIES);
    expect(names).not.toContain(configCacheFile('', files[0] as string));
    expect(names).toContain(configCacheFile('', files.at(-1) as string));
  });
});
