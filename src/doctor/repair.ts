/**
 * `safetynet doctor --repair`: run LevelDB's repair on a damaged state folder (a garbled `CURRENT` or
 * `MANIFEST`, a missing or truncated table file) and say what it recovered. LevelDB rebuilds the
 * manifest from the table and log files it can read, and moves what it cannot into `lost/`.
 * Rationale: `docs/sessions.md#a-sick-state-folder`.
 */
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { StoreError } from '../errors.js';

/** What a repair did. */
export interface RepairReport {
  /** The LevelDB folder. */
  location: string;
  /** `false` when there was no folder: nothing was done. */
  repaired: boolean;
  /** Entries readable after the repair, by part of the state (`sessions`, `transcripts`, `cooldowns`, `traces`…), sorted by name. */
  recovered: Record<string, number>;
  /** Entries readable after the repair, in all. */
  total: number;
  /**
   * Files the repair set aside in `<location>/lost/` (names only): the old manifests and logs (their
   * readable records were kept) and any file LevelDB could not read.
   */
  lost: string[];
}

interface RepairableLevel {
  repair(location: string): Promise<void>;
  new (
    location: string,
    options: { keyEncoding: 'utf8'; valueEncoding: 'utf8' },
  ): {
    open(): Promise<void>;
    keys(): { all(): Promise<string[]> };
    close(): Promise<void>;
  };
}

/** The sublevel of a key (`!name!key`), or `other`. */
function partOf(key: string): string {
  const match = /^!([^!]+)!/.exec(key);
  return match?.[1] ?? 'other';
}

/**
 * Repair the LevelDB folder `location` in place (LevelDB's `RepairDB`), then count what it holds.
 * Run it while no safetynet process uses the folder.
 *
 * @throws {StoreError} `SAFETYNET_STORE_LOCKED` when another process holds the folder;
 *   `SAFETYNET_STORE_FAILED` when the repair or the reopening fails (the message names the folder).
 */
export async function repairStateFolder(location: string): Promise<RepairReport> {
  const folder = path.resolve(location);
  if (!existsSync(folder)) return { location: folder, repaired: false, recovered: {}, total: 0, lost: [] };
  // `level` is CommonJS: its `module.exports` is the default export both for Node's loader and in the
  // command's bundle (where a lazily imported CommonJS module has no named exports).
  const { Level } = ((await import('level')) as unknown as { default: { Level: RepairableLevel } }).default;
  const lostBefore = new Set(await lostFiles(folder));
  try {
    await Level.repair(folder);
  } catch (cause) {
    throw storeError(folder, `cannot repair ${folder}`, cause);
  }
  const db = new Level(folder, { keyEncoding: 'utf8', valueEncoding: 'utf8' });
  const recovered: Record<string, number> = {};
  let total = 0;
  try {
    await db.open();
    for (const key of await db.keys().all()) {
      const part = partOf(key);
      recovered[part] = (recovered[part] ?? 0) + 1;
      total++;
    }
  } catch (cause) {
    throw storeError(folder, `cannot open ${folder} after the repair`, cause);
  } finally {
    await db.close().catch(() => undefined);
  }
  const sorted = Object.fromEntries(Object.entries(recovered).sort(([a], [b]) => a.localeCompare(b)));
  return { location: folder, repaired: true, recovered: sorted, total, lost: (await lostFiles(folder)).filter((f) => !lostBefore.has(f)) };
}

/** One line per fact: what was recovered, what was lost. */
export function formatRepair(report: RepairReport): string {
  if (!report.repaired) return `safetynet doctor --repair: ${report.location} does not exist, nothing to repair\n`;
  const parts = Object.entries(report.recovered).map(([part, count]) => `${part}: ${count}`);
  const lines = [
    `safetynet doctor --repair: repaired ${report.location}`,
    `  recovered ${report.total} entr${report.total === 1 ? 'y' : 'ies'}${parts.length === 0 ? '' : ` (${parts.join(', ')})`}`,
    report.lost.length === 0
      ? '  no file was set aside'
      : `  set aside in ${path.join(report.location, 'lost')}: ${report.lost.join(', ')} (old manifests and logs, whose readable records were kept, and any file LevelDB could not read)`,
  ];
  return `${lines.join('\n')}\n`;
}

async function lostFiles(folder: string): Promise<string[]> {
  return (await readdir(path.join(folder, 'lost')).catch(() => [] as string[])).sort();
}

function storeError(location: string, what: string, cause: unknown): StoreError {
  const message = cause instanceof Error ? cause.message : String(cause);
  if (/lock|already held|Resource temporarily unavailable/i.test(message)) {
    return new StoreError(
      'SAFETYNET_STORE_LOCKED',
      `cannot repair ${location}: another process holds it (${message}); stop the other safetynet processes, then run safetynet doctor --repair again`,
      { location, cause },
    );
  }
  return new StoreError('SAFETYNET_STORE_FAILED', `${what}: ${message}`, { location, cause });
}
