/**
 * What `safetynet sessions` prints: a session key's transcript length and, per CLI backend, how far
 * its session is in sync with the transcript (`docs/conversations.md#continuation`).
 */
import type { SessionBinding } from '../actors/types.js';
import { lastSeq, sessionSync, type SessionSync } from '../conversation/continuation.js';
import { turnText } from '../conversation/history-block.js';
import type { Transcript } from '../conversation/types.js';
import { escapeControls } from './terminal-text.js';

/** One CLI backend's session of a key, with its sync state. */
export interface BackendView extends SessionBinding {
  /** `current`, `behind` (the turns it missed are sent on its next turn) or `diverged` (reseeded on its next turn). */
  sync: Exclude<SessionSync, 'none'>;
  /** Turns the session has not seen (all of them when diverged). */
  behind: number;
}

/** One session key: its transcript and its CLI sessions. */
export interface SessionView {
  sessionKey: string;
  /** Turns kept. */
  turns: number;
  /** Older turns the bounds dropped. */
  dropped: number;
  /** `seq` of the newest turn (0 for none). */
  lastSeq: number;
  /** Epoch ms of the newest turn, or of the newest binding when there is no transcript. */
  updatedAt: number;
  backends: BackendView[];
  /** The transcript itself (printed by `export`, left out of `list --json`). */
  transcript: Transcript & { sessionKey: string };
}

/** The view of one key. */
export function sessionView(sessionKey: string, transcript: Transcript, bindings: readonly SessionBinding[]): SessionView {
  const last = lastSeq(transcript);
  const backends = bindings.map((binding): BackendView => {
    const sync = sessionSync(binding, transcript);
    const seen = sync === 'diverged' ? 0 : (binding.seenSeq ?? last);
    return { ...binding, sync: sync === 'none' ? 'diverged' : sync, behind: last - seen };
  });
  const times = [transcript.turns.at(-1)?.at ?? 0, ...bindings.map((b) => b.updatedAt)];
  return {
    sessionKey,
    turns: transcript.turns.length,
    dropped: transcript.dropped,
    lastSeq: last,
    updatedAt: Math.max(...times),
    backends,
    transcript: { sessionKey, ...transcript },
  };
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return `${rows.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ')).join('\n')}\n`;
}

function iso(ms: number): string {
  return ms > 0 ? new Date(ms).toISOString() : '-';
}

function syncText(backend: BackendView, last: number): string {
  if (backend.sync === 'current') return `in sync (seen ${last} of ${last})`;
  if (backend.sync === 'behind')
    return `${backend.behind} turn${backend.behind === 1 ? '' : 's'} behind (seen ${last - backend.behind} of ${last}; catch-up next)`;
  return 'diverged (reseeded next)';
}

/** `sessions list`: one row per session key (control characters of the texts escaped, `./terminal-text.ts`). */
export function formatSessionList(views: readonly SessionView[]): string {
  return table([
    ['SESSION', 'TURNS', 'DROPPED', 'UPDATED', 'CLI SESSIONS'],
    ...views.map((v) => [
      escapeControls(v.sessionKey),
      String(v.turns),
      String(v.dropped),
      iso(v.updatedAt),
      v.backends.map((b) => `${escapeControls(b.backendId)}:${b.sync === 'behind' ? `-${b.behind}` : b.sync}`).join(' ') || '-',
    ]),
  ]);
}

/**
 * `sessions show <key>`: the transcript length, then each CLI backend's session and how far it is
 * in sync (control characters of the texts escaped, `./terminal-text.ts`).
 */
export function formatSessionShow(view: SessionView): string {
  const head = `${escapeControls(view.sessionKey)}: ${view.turns} turn${view.turns === 1 ? '' : 's'} in the transcript${view.dropped > 0 ? ` (${view.dropped} older dropped)` : ''}, last ${iso(view.updatedAt)}\n`;
  if (view.backends.length === 0) return `${head}no CLI session stored\n`;
  return `${head}${table([
    ['BACKEND', 'CLI SESSION ID', 'SYNC', 'TURNS', 'MODEL', 'CWD'],
    ...view.backends.map((b) =>
      [b.backendId, b.cliSessionId, syncText(b, view.lastSeq), String(b.turns), b.model ?? '-', b.cwd].map((cell) => escapeControls(cell)),
    ),
  ])}`;
}

/**
 * `sessions export <key>`: the conversation as text, oldest turn first. The turns keep their lines
 * and tabs; every other control character is escaped (`./terminal-text.ts`), as in the headings.
 */
export function formatConversation(view: SessionView): string {
  const lines = [
    `# ${escapeControls(view.sessionKey)}: ${view.turns} turn${view.turns === 1 ? '' : 's'}${view.dropped > 0 ? ` (${view.dropped} older dropped)` : ''}`,
  ];
  for (const turn of view.transcript.turns) {
    const by = turn.role === 'assistant' && turn.model !== undefined ? ` (${escapeControls(turn.model)}, ${turn.backend ?? 'cli'})` : '';
    lines.push('', `## ${turn.seq} ${turn.role}${by} ${iso(turn.at)}`, '', escapeControls(turnText(turn), '\n\t'));
  }
  return `${lines.join('\n')}\n`;
}
