/**
 * The input of `SessionStore.commitTurn` and its checks: a bad argument throws a `TypeError` naming
 * it before anything is read or written (like `arguments.ts`).
 */
import { chainDigest } from '../conversation/digest.js';
import type { TranscriptTurn, TranscriptWrite } from '../conversation/types.js';
import type { SessionBounds } from '../config/session-defaults.js';
import { requireNow, requireText } from './arguments.js';
import type { BindingSuccess, SessionBinding } from './session-binding.js';
import { copyTurn, turnProblem } from './transcript-record.js';

/** The transcript bounds a store enforces (`safetynet.sessions.maxTurns` / `maxChars`). */
export type TranscriptBounds = Pick<SessionBounds, 'maxTurns' | 'maxChars'>;

/** The CLI session that answered a committed exchange: the fields of a binding success, the session key apart. */
export type CommitBinding = Omit<BindingSuccess, 'sessionKey'>;

/** Input of `SessionStore.commitTurn`. */
export interface CommitTurnInput {
  /** The caller's conversation key (`--session`); any non-empty string. */
  sessionKey: string;
  /** `append` after the stored turns (`storedSeq`: the last stored seq the caller read), or `replace` them. */
  write: TranscriptWrite;
  /**
   * The turns to write, numbered and chained by the caller (`conversation/digest.ts#chainTurns`),
   * contiguous seqs: `append` starts at `storedSeq + 1` and chains to the stored last turn;
   * `replace` starts at seq 1. At least one turn.
   */
  turns: TranscriptTurn[];
  /** The CLI session that answered, if any: its binding is written in the same batch. */
  binding?: CommitBinding | undefined;
  /** Epoch ms; stamps `at` of turns whose `at` is 0 and the binding's times. @default Date.now() */
  now?: number | undefined;
}

/** Result of `SessionStore.commitTurn`. */
export interface CommitTurnResult {
  /** Turns the transcript now keeps. */
  turns: number;
  /** Turns the bounds have dropped so far (the oldest kept turn has `seq = dropped + 1`). */
  dropped: number;
  /** `seq` of the newest turn (the last committed one). */
  lastSeq: number;
  /** The binding written, or `undefined` when the input had none. */
  binding: SessionBinding | undefined;
}

/** A checked {@link CommitTurnInput}: turns copied (known fields only) with `at` stamped. */
export interface CheckedCommit {
  sessionKey: string;
  write: TranscriptWrite;
  turns: TranscriptTurn[];
  binding: BindingSuccess | undefined;
  now: number;
}

function typeError(name: string, expected: string, value: unknown): TypeError {
  return new TypeError(`Expected the \`${name}\` argument to be ${expected}, got \`${String(value)}\` (${typeof value})`);
}

function checkWrite(write: unknown): TranscriptWrite {
  const mode = (write as { mode?: unknown } | null)?.mode;
  if (mode === 'replace') return { mode };
  const storedSeq = (write as { storedSeq?: unknown } | null)?.storedSeq;
  if (mode !== 'append') throw typeError('write.mode', '`append` or `replace`', mode);
  if (!Number.isSafeInteger(storedSeq) || (storedSeq as number) < 0) throw typeError('write.storedSeq', 'an integer ≥ 0', storedSeq);
  return { mode, storedSeq: storedSeq as number };
}

function checkBinding(sessionKey: string, binding: CommitBinding | undefined): BindingSuccess | undefined {
  if (binding === undefined) return undefined;
  const checked: BindingSuccess = {
    sessionKey,
    backendId: requireText('binding.backendId', binding.backendId),
    cliSessionId: requireText('binding.cliSessionId', binding.cliSessionId),
    cwd: requireText('binding.cwd', binding.cwd),
  };
  if (binding.model !== undefined) checked.model = requireText('binding.model', binding.model);
  if (binding.replace !== undefined && typeof binding.replace !== 'boolean')
    throw typeError('binding.replace', 'a boolean', binding.replace);
  if (binding.replace === true) checked.replace = true;
  if (binding.host !== undefined) checked.host = requireText('binding.host', binding.host);
  return checked;
}

/**
 * Check a commit's arguments: shapes, contiguous seqs from the first seq `write` implies, and the
 * digest chain (from the start for `replace`; for `append` inside the commit, the link to the
 * stored last turn being checked with {@link checkChain} once it is read).
 *
 * @throws {TypeError} naming the bad argument, e.g. `turns[1].seq`.
 */
export function checkCommitInput(input: CommitTurnInput): CheckedCommit {
  const sessionKey = requireText('sessionKey', input.sessionKey);
  const write = checkWrite(input.write);
  const now = requireNow(input.now ?? Date.now());
  if (!Array.isArray(input.turns) || input.turns.length === 0) throw typeError('turns', 'a non-empty array of turns', input.turns);
  const firstSeq = write.mode === 'append' ? write.storedSeq + 1 : 1;
  const turns = input.turns.map((turn, i) => {
    const problem = turnProblem(turn);
    if (problem !== undefined)
      throw typeError(`turns[${i}]${problem[0]}`, problem[1], problem[0] === '' ? turn : turn[problem[0].slice(1) as keyof TranscriptTurn]);
    if (turn.seq !== firstSeq + i) throw typeError(`turns[${i}].seq`, `${firstSeq + i} (contiguous after ${firstSeq - 1})`, turn.seq);
    const copy = copyTurn(turn);
    if (copy.at === 0) copy.at = now;
    return copy;
  });
  // A replace starts the chain; an append's first link (to the stored last turn) is checked once it is read.
  if (write.mode === 'replace') checkChain(turns, '');
  else checkChain(turns, turns[0]?.digest ?? '', 1);
  return { sessionKey, write, turns, binding: checkBinding(sessionKey, input.binding), now };
}

/**
 * Check that `turns[from…]` each chain to the turn before (`turns[0]` chains to `previousDigest`
 * when `from` is 0).
 *
 * @throws {TypeError} naming the first turn whose digest does not follow.
 */
export function checkChain(turns: readonly TranscriptTurn[], previousDigest: string, from = 0): void {
  let previous = previousDigest;
  turns.forEach((turn, i) => {
    if (i >= from && turn.digest !== chainDigest(previous, turn.role, turn.text))
      throw typeError(`turns[${i}].digest`, `the chain digest after \`${previous || '(start)'}\``, turn.digest);
    previous = turn.digest;
  });
}

/**
 * `bounds` when both are integers in range (`maxTurns` ≥ 2, so the newest exchange always fits;
 * `maxChars` ≥ 1).
 *
 * @throws {TypeError} naming `bounds.maxTurns` or `bounds.maxChars`.
 */
export function requireBounds(bounds: TranscriptBounds): TranscriptBounds {
  const { maxTurns, maxChars } = bounds;
  if (!Number.isSafeInteger(maxTurns) || maxTurns < 2) throw typeError('bounds.maxTurns', 'an integer ≥ 2', maxTurns);
  if (!Number.isSafeInteger(maxChars) || maxChars < 1) throw typeError('bounds.maxChars', 'an integer ≥ 1', maxChars);
  return { maxTurns, maxChars };
}
