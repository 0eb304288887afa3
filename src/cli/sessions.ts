/**
 * `safetynet sessions list | show <key> | reset <key>`: the stored CLI sessions.
 */
import type { SessionBinding } from '../actors/types.js';
import { EXIT, describeError, exitCodeFor } from './exit-codes.js';
import type { Io } from './io.js';

/** Flags shared by the `sessions` subcommands. */
export interface SessionsFlags {
  config?: string;
  json?: boolean;
  backend?: string;
}

/** Run a `sessions` subcommand; resolves with the exit code. */
export async function sessionsCommand(
  action: 'list' | 'show' | 'reset',
  key: string | undefined,
  flags: SessionsFlags,
  io: Io,
): Promise<number> {
  const { createRuntime } = await import('../runtime/runtime.js');
  let runtime: Awaited<ReturnType<typeof createRuntime>> | undefined;
  try {
    runtime = await createRuntime(flags.config === undefined ? {} : { configFile: flags.config });
    if (action === 'reset') {
      const removed = await runtime.sessions.reset(key ?? '', flags.backend);
      io.stdout(
        flags.json
          ? `${JSON.stringify({ sessionKey: key, removed })}\n`
          : `removed ${removed} stored CLI session${removed === 1 ? '' : 's'} of "${key}"\n`,
      );
      return EXIT.ok;
    }
    const bindings = await runtime.sessions.list(action === 'show' ? key : undefined);
    if (flags.json) io.stdout(`${JSON.stringify(bindings)}\n`);
    else if (bindings.length === 0)
      io.stderr(action === 'show' ? `safetynet: no stored CLI session for "${key}"\n` : 'safetynet: no stored CLI sessions\n');
    else io.stdout(formatTable(bindings));
    return action === 'show' && bindings.length === 0 ? EXIT.failed : EXIT.ok;
  } catch (error) {
    io.stderr(`${describeError(error)}\n`);
    return exitCodeFor(error);
  } finally {
    await runtime?.close();
  }
}

function formatTable(bindings: SessionBinding[]): string {
  const rows = [
    ['SESSION', 'BACKEND', 'CLI SESSION ID', 'TURNS', 'UPDATED', 'CWD'],
    ...bindings.map((b) => [b.sessionKey, b.backendId, b.cliSessionId, String(b.turns), new Date(b.updatedAt).toISOString(), b.cwd]),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return `${rows.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ')).join('\n')}\n`;
}
