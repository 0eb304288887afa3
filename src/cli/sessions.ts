/**
 * `safetynet sessions list | show <key> | export <key> | reset <key>`: the stored conversations
 * (transcripts) and the CLI sessions bound to them.
 */
import { EXIT, reportFailure } from './exit-codes.js';
import type { Io } from './io.js';
import { formatConversation, formatSessionList, formatSessionShow, sessionView, type SessionView } from './sessions-format.js';

/** Flags shared by the `sessions` subcommands. */
export interface SessionsFlags {
  config?: string;
  json?: boolean;
  backend?: string;
}

/** The `sessions` subcommands. */
export type SessionsAction = 'list' | 'show' | 'export' | 'reset';

type Runtime = Awaited<ReturnType<typeof import('../runtime/runtime.js').createRuntime>>;

/** Every session key with a transcript or a binding, sorted by key. */
async function allSessions(runtime: Runtime): Promise<SessionView[]> {
  const [bindings, summaries] = await Promise.all([runtime.sessions.list(), runtime.sessions.conversations()]);
  const keys = [...new Set([...summaries.map((s) => s.sessionKey), ...bindings.map((b) => b.sessionKey)])].sort();
  return Promise.all(
    keys.map(async (key) =>
      sessionView(
        key,
        await runtime.sessions.transcript(key),
        bindings.filter((b) => b.sessionKey === key),
      ),
    ),
  );
}

async function oneSession(runtime: Runtime, key: string): Promise<SessionView> {
  const [transcript, bindings] = await Promise.all([runtime.sessions.transcript(key), runtime.sessions.list(key)]);
  return sessionView(key, transcript, bindings);
}

function isEmpty(view: SessionView): boolean {
  return view.turns === 0 && view.dropped === 0 && view.backends.length === 0;
}

/** Run a `sessions` subcommand; resolves with the exit code (1 for `show`/`export` of an unknown key). */
export async function sessionsCommand(action: SessionsAction, key: string | undefined, flags: SessionsFlags, io: Io): Promise<number> {
  const { createRuntime } = await import('../runtime/runtime.js');
  let runtime: Runtime | undefined;
  try {
    runtime = await createRuntime(flags.config === undefined ? {} : { configFile: flags.config });
    if (action === 'reset') {
      const removed = await runtime.sessions.reset(key ?? '', flags.backend);
      io.stdout(
        flags.json
          ? `${JSON.stringify({ sessionKey: key, ...removed })}\n`
          : `removed ${removed.bindings} CLI session${removed.bindings === 1 ? '' : 's'} and ${removed.turns} transcript turn${removed.turns === 1 ? '' : 's'} of "${key}"\n`,
      );
      return EXIT.ok;
    }
    if (action === 'list') {
      const views = await allSessions(runtime);
      // the views without their transcripts (`sessions export` prints one)
      if (flags.json) io.stdout(`${JSON.stringify(views.map(({ transcript: _, ...view }) => view))}\n`);
      else if (views.length === 0) io.stderr('safetynet: no stored sessions\n');
      else io.stdout(formatSessionList(views));
      return EXIT.ok;
    }
    const view = await oneSession(runtime, key ?? '');
    if (isEmpty(view)) {
      io.stderr(`safetynet: no stored session "${key}" (see safetynet sessions list)\n`);
      return EXIT.failed;
    }
    if (action === 'show') io.stdout(flags.json ? `${JSON.stringify(view)}\n` : formatSessionShow(view));
    else io.stdout(flags.json ? `${JSON.stringify(view.transcript)}\n` : formatConversation(view));
    return EXIT.ok;
  } catch (error) {
    return reportFailure(error, io);
  } finally {
    await runtime?.close();
  }
}
