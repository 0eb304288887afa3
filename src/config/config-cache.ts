/**
 * The verdicts of config validation, remembered between runs so that a config file that has not
 * changed is not validated again (no zod at start-up; rationale: `docs/start-up.md#config-cache`).
 *
 * One small JSON file per config path under `$SAFETYNET_HOME/cache/`, holding only the path, the
 * file's `stat` identity (size, mtime, ctime, inode) and {@link CONFIG_SCHEMA_DIGEST}: never a value
 * of the config, so no secret reaches the cache. The file is still read and parsed on every run, and
 * `${VAR}` references are resolved per run from the environment.
 *
 * A cache that cannot be read is a miss; one that cannot be written (read-only home, full disk) is
 * skipped; a corrupt entry is a miss and is rewritten. None of these is an error.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Stats } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Digest of what decides whether a config is valid: the sources of `./schema.ts` and of the modules it
 * imports for values (builtins, providers, problems, …) and zod's version. A release that changes any
 * of them changes this value, so that every remembered verdict of an older release is a miss.
 * `test/config/config-cache.test.ts` recomputes it and prints the new value when it is stale.
 */
export const CONFIG_SCHEMA_DIGEST = 'bc6ce48f170a7316';

/** Name of the cache folder inside the safetynet home folder. */
export const CACHE_FOLDER_NAME = 'cache';

/** At most this many config files are remembered; the least recently validated are dropped first. */
export const MAX_CONFIG_CACHE_ENTRIES = 32;

/** A temp file older than this (ms) was left by a process killed while writing, and is removed. */
const STALE_TEMP_MS = 60_000;

/** The identity of one version of a config file, from its `stat`: a change of any field is a new version. */
export interface ConfigFileStamp {
  /** Bytes. */
  size: number;
  /** Modification time, epoch ms (sub-ms precision where the file system has it). */
  mtimeMs: number;
  /** Status change time, epoch ms: changes on every write, rename or `touch` (cannot be set back). */
  ctimeMs: number;
  /** Inode number: a file replaced by rename is a new version. */
  ino: number;
}

/** What one cache entry holds (format version 1). */
interface CacheEntry extends ConfigFileStamp {
  v: 1;
  path: string;
  schema: string;
}

/** The stamp of a `stat` result. */
export function configFileStamp(stats: Pick<Stats, 'size' | 'mtimeMs' | 'ctimeMs' | 'ino'>): ConfigFileStamp {
  return { size: stats.size, mtimeMs: stats.mtimeMs, ctimeMs: stats.ctimeMs, ino: stats.ino };
}

/** The cache file of `configPath` inside `cacheDir`: named by a digest of the absolute path. */
export function configCacheFile(cacheDir: string, configPath: string): string {
  return join(cacheDir, `config-${createHash('sha256').update(configPath).digest('hex').slice(0, 24)}.json`);
}

function sameVersion(entry: unknown, configPath: string, stamp: ConfigFileStamp): boolean {
  if (typeof entry !== 'object' || entry === null) return false;
  const e = entry as Partial<CacheEntry>;
  return (
    e.v === 1 &&
    e.path === configPath &&
    e.schema === CONFIG_SCHEMA_DIGEST &&
    e.size === stamp.size &&
    e.mtimeMs === stamp.mtimeMs &&
    e.ctimeMs === stamp.ctimeMs &&
    e.ino === stamp.ino
  );
}

/**
 * True when this version of `configPath` (its `stamp`) was validated before by this schema
 * ({@link CONFIG_SCHEMA_DIGEST}). A missing, unreadable or corrupt entry is `false`. Never rejects.
 *
 * @param cacheDir The cache folder (`$SAFETYNET_HOME/cache`).
 */
export async function isKnownValid(cacheDir: string, configPath: string, stamp: ConfigFileStamp): Promise<boolean> {
  try {
    return sameVersion(JSON.parse(await readFile(configCacheFile(cacheDir, configPath), 'utf8')), configPath, stamp);
  } catch {
    return false;
  }
}

/**
 * Remember that this version of `configPath` is valid: the entry is written to a temp file and renamed
 * over the old one (a concurrent reader sees the old entry or the new one, never a part). When the
 * folder or the file cannot be written (read-only, no space, …) nothing is remembered and the temp
 * file is removed. Never rejects.
 */
export async function rememberValid(cacheDir: string, configPath: string, stamp: ConfigFileStamp): Promise<void> {
  const file = configCacheFile(cacheDir, configPath);
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const entry: CacheEntry = { v: 1, path: configPath, schema: CONFIG_SCHEMA_DIGEST, ...stamp };
  try {
    await mkdir(cacheDir, { recursive: true });
    await writeFile(temp, `${JSON.stringify(entry)}\n`, { mode: 0o600 });
    await rename(temp, file);
  } catch {
    await rm(temp, { force: true }).catch(() => undefined);
    return;
  }
  await prune(cacheDir).catch(() => undefined);
}

/**
 * Keeps the folder bounded (e.g. a script that writes a new temp config per run): beyond
 * {@link MAX_CONFIG_CACHE_ENTRIES} entries the oldest are removed, and so are temp files of killed writers.
 */
async function prune(cacheDir: string): Promise<void> {
  const names = (await readdir(cacheDir)).filter((name) => name.startsWith('config-'));
  const now = Date.now();
  const stale = names.filter((name) => name.endsWith('.tmp'));
  const entries = names.filter((name) => name.endsWith('.json'));
  const removed: string[] = [];
  for (const name of stale) {
    const info = await stat(join(cacheDir, name)).catch(() => undefined);
    if (info !== undefined && now - info.mtimeMs > STALE_TEMP_MS) removed.push(name);
  }
  if (entries.length > MAX_CONFIG_CACHE_ENTRIES) {
    const aged = await Promise.all(
      entries.map(async (name) => ({ name, mtimeMs: (await stat(join(cacheDir, name)).catch(() => undefined))?.mtimeMs ?? 0 })),
    );
    aged.sort((a, b) => a.mtimeMs - b.mtimeMs);
    removed.push(...aged.slice(0, entries.length - MAX_CONFIG_CACHE_ENTRIES).map((entry) => entry.name));
  }
  await Promise.all(removed.map((name) => rm(join(cacheDir, name), { force: true })));
}
