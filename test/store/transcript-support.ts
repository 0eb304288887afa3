/**
 * Helpers for the transcript tests: a store in a temp folder, and exchanges numbered and chained
 * the way the runtime does it (`chainTurns` after the stored last turn).
 */
import path from 'node:path';
import { chainTurns } from '../../src/conversation/digest.js';
import type { TranscriptTurn } from '../../src/conversation/types.js';
import { type CommitBinding, type CommitTurnResult, SessionStore, type SessionStoreOptions } from '../../src/store/index.js';
import type { SessionStorage } from '../../src/store/ports.js';
import { tempFolder } from './support.js';

/** A store in a fresh temp folder (removed by `cleanup()` of `support.ts`). */
export async function newStore(options: Omit<SessionStoreOptions, 'location'> = {}): Promise<SessionStore> {
  return new SessionStore({ ...options, location: path.join(await tempFolder(), 'state') });
}

/** The user turn and the answer of exchange `n`, chained after `after` (texts `q<n>…` / `a<n>…`, padded to `size` chars). */
export function exchange(n: number, after: Pick<TranscriptTurn, 'seq' | 'digest'> | undefined, size = 0): TranscriptTurn[] {
  const pad = (text: string) => text.padEnd(size, '.');
  return chainTurns(
    [
      { role: 'user', text: pad(`q${n}`), requestId: `req-${n}`, at: 0 },
      { role: 'assistant', text: pad(`a${n}`), model: 'claude-cli/opus-4.6', backend: 'cli', requestId: `req-${n}`, at: 0 },
    ],
    after,
  );
}

/** A claude-cli binding for commits. */
export const CLAUDE: CommitBinding = { backendId: 'claude-cli', cliSessionId: 'sess-A', cwd: '/work/a', model: 'claude-cli/opus-4.6' };

/** Read the transcript of `sessionKey`, then append exchange `n` to it (as one request of the runtime does). */
export async function appendExchange(
  store: SessionStorage,
  sessionKey: string,
  n: number,
  options: { size?: number; binding?: CommitBinding; now?: number } = {},
): Promise<CommitTurnResult> {
  const { turns } = await store.transcript(sessionKey);
  const last = turns.at(-1);
  return store.commitTurn({
    sessionKey,
    write: { mode: 'append', storedSeq: last?.seq ?? 0 },
    turns: exchange(n, last, options.size),
    binding: options.binding,
    now: options.now ?? 1000 + n,
  });
}

/** The texts of a transcript's turns. */
export function texts(turns: readonly TranscriptTurn[]): string[] {
  return turns.map((turn) => turn.text);
}
