/**
 * `safetynet cooldowns [list] [--json]` and `safetynet cooldowns clear <model-ref|provider> | --all`:
 * the cooldowns in force, and clearing them by hand (e.g. once a key is fixed, instead of waiting out
 * an `auth` cooldown). The rules are `runtime.cooldowns`' (`src/runtime/cooldowns-api.ts`).
 */
import type { CooldownView } from '../runtime/cooldowns-api.js';
import { UsageError } from '../errors.js';
import { EXIT, reportFailure } from './exit-codes.js';
import type { Io } from './io.js';
import { escapeControls } from './terminal-text.js';

/** Flags of the `cooldowns` subcommands. */
export interface CooldownsFlags {
  config?: string;
  json?: boolean;
  /** `clear --all`. */
  all?: boolean;
}

/** A duration for people: `45s`, `9m 58s`, `4h 59m`. */
export function formatRemaining(ms: number): string {
  const seconds = Math.max(1, Math.ceil(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${seconds % 60}s`;
  return `${Math.floor(minutes / 60)}h ${minutes % 60}m`;
}

/** The cooldowns as a table: key, scope, reason, failures, time left, the configured refs each blocks. */
export function formatCooldowns(views: readonly CooldownView[]): string {
  const rows = [
    ['KEY', 'SCOPE', 'REASON', 'FAILURES', 'ENDS IN', 'BLOCKS'],
    ...views.map((v) => [
      escapeControls(v.key),
      v.scope,
      v.reason,
      String(v.failures),
      formatRemaining(v.remainingMs),
      v.blocks.length === 0 ? '-' : v.blocks.map((ref) => escapeControls(ref)).join(', '),
    ]),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows
    .map((row) => `${row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ')}\n`)
    .join('');
}

/**
 * The target of `clear`: the model ref or provider, or `'all'` with `--all`.
 * @throws {UsageError} with neither, or with both.
 */
export function clearTarget(target: string | undefined, all: boolean | undefined): string {
  if (all === true && target !== undefined)
    throw new UsageError(`cooldowns clear: give a model ref or provider, or --all, not both (received "${target}" and --all)`);
  if (all === true) return 'all';
  if (target === undefined || target.trim() === '')
    throw new UsageError(
      'cooldowns clear: say what to clear: a model ref (e.g. claude-cli/opus-4.6), a provider (e.g. anthropic), or --all',
    );
  return target;
}

/** Run a `cooldowns` subcommand; resolves with the exit code (2 for a bad or unknown target). */
export async function cooldownsCommand(
  action: 'list' | 'clear',
  target: string | undefined,
  flags: CooldownsFlags,
  io: Io,
): Promise<number> {
  let runtime: Awaited<ReturnType<typeof import('../runtime/runtime.js').createRuntime>> | undefined;
  try {
    const what = action === 'clear' ? clearTarget(target, flags.all) : undefined;
    const { createRuntime } = await import('../runtime/runtime.js');
    runtime = await createRuntime(flags.config === undefined ? {} : { configFile: flags.config });
    if (what === undefined) {
      const views = await runtime.cooldowns.list();
      if (flags.json) io.stdout(`${JSON.stringify(views)}\n`);
      else if (views.length === 0) io.stderr('safetynet: no cooldowns in force\n');
      else io.stdout(formatCooldowns(views));
      return EXIT.ok;
    }
    const { keys } = await runtime.cooldowns.clear(what);
    if (flags.json) io.stdout(`${JSON.stringify({ target: what, cleared: keys })}\n`);
    else if (keys.length === 0) io.stdout(`no cooldown of ${what === 'all' ? 'any candidate' : `"${escapeControls(what)}"`} to clear\n`);
    else
      io.stdout(`cleared ${keys.length} cooldown${keys.length === 1 ? '' : 's'}: ${keys.map((key) => escapeControls(key)).join(', ')}\n`);
    return EXIT.ok;
  } catch (error) {
    return reportFailure(error, io);
  } finally {
    await runtime?.close();
  }
}
