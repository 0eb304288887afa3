/**
 * The stored CLI session of one (session key, backend) pair, and the one rule that turns a
 * successful turn into the next binding (shared by `recordSuccess` and `commitTurn`).
 */

/** The stored CLI session of one (session key, backend) pair. */
export interface SessionBinding {
  /** The caller's conversation key (`--session`). */
  sessionKey: string;
  /** The CLI backend id, e.g. `claude-cli`. */
  backendId: string;
  /** The CLI's own session id (Claude `session_id`, Codex `thread_id`). */
  cliSessionId: string;
  /** Working directory the session was created in (Claude and Gemini resume only from there). */
  cwd: string;
  /** Epoch ms when the binding was created. */
  createdAt: number;
  /** Epoch ms of the last successful turn. */
  updatedAt: number;
  /** Successful turns on this binding. */
  turns: number;
  /** The model ref of the last successful turn. */
  model?: string;
  /**
   * The `seq` of the last transcript turn this CLI session has seen (its own answer). Absent on
   * bindings stored before transcripts existed. See `docs/conversations.md#continuation`.
   */
  seenSeq?: number;
  /** The chain digest of that turn (`conversation/digest.ts`): the session matches a conversation whose turn `seenSeq` has this digest. */
  seenDigest?: string;
  /**
   * The host (`hostId` of the store that wrote it, e.g. a replica's hostname) that created the CLI
   * session: the session's files live there, so only that host can resume it. Absent on bindings
   * written without a `hostId` (and on older records): any host may resume those.
   */
  host?: string;
}

/** What a successful turn tells about the CLI session that answered it. */
export interface BindingSuccess {
  /** The caller's conversation key (`--session`); any non-empty string. */
  sessionKey: string;
  /** The CLI backend id, e.g. `claude-cli`; any non-empty string. */
  backendId: string;
  /** The CLI's session id reported by (or sent to) the successful turn. */
  cliSessionId: string;
  /** The working directory the turn ran in; stored only when the binding is created. */
  cwd: string;
  /** The model ref of this turn; when omitted, a continued binding keeps its previous model. */
  model?: string | undefined;
  /** Start a new binding (`createdAt = now`, `turns = 1`) even when the id is unchanged. @default false */
  replace?: boolean | undefined;
  /**
   * The host that ran the turn; stamped on a NEW binding only (a continued binding keeps the host
   * that created it). Stores fill it from their `hostId` option when it is not given.
   */
  host?: string | undefined;
}

/** Where the CLI session stands in the transcript after the turn: the last committed turn. */
export interface SeenTurn {
  seq: number;
  digest: string;
}

const isText = (value: unknown): value is string => typeof value === 'string';
const isCount = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/** A stored value as a {@link SessionBinding}, or `undefined` when it does not have that shape. */
export function toBinding(value: unknown): SessionBinding | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const texts = [v['sessionKey'], v['backendId'], v['cliSessionId'], v['cwd']];
  const numbers = [v['createdAt'], v['updatedAt'], v['turns']];
  if (!texts.every(isText) || !numbers.every(isCount)) return undefined;
  if (v['model'] !== undefined && !isText(v['model'])) return undefined;
  const binding: SessionBinding = {
    sessionKey: v['sessionKey'] as string,
    backendId: v['backendId'] as string,
    cliSessionId: v['cliSessionId'] as string,
    cwd: v['cwd'] as string,
    createdAt: v['createdAt'] as number,
    updatedAt: v['updatedAt'] as number,
    turns: v['turns'] as number,
  };
  if (isText(v['model'])) binding.model = v['model'];
  if (isText(v['host']) && v['host'] !== '') binding.host = v['host'];
  // The seen position counts only as a pair: half of it says nothing.
  if (Number.isSafeInteger(v['seenSeq']) && isText(v['seenDigest'])) {
    binding.seenSeq = v['seenSeq'] as number;
    binding.seenDigest = v['seenDigest'];
  }
  return binding;
}

/** Order of bindings: session key, then backend id (UTF-16 code unit order). */
export function compareBindings(a: SessionBinding, b: SessionBinding): number {
  if (a.sessionKey !== b.sessionKey) return a.sessionKey < b.sessionKey ? -1 : 1;
  if (a.backendId !== b.backendId) return a.backendId < b.backendId ? -1 : 1;
  return 0;
}

/**
 * The binding after a successful turn.
 *
 * - Nothing stored, a different `cliSessionId`, or `replace`: a new binding with
 *   `createdAt = updatedAt = now`, `turns = 1`, this `cwd` and `host` (when given).
 * - Same `cliSessionId`: keeps `createdAt`, the original `cwd` and `host` (or its absence), sets
 *   `updatedAt = now`, increments `turns`, and updates `model` when given.
 *
 * `seen` is the last transcript turn the session has now seen; without it (a turn written outside
 * the transcript) the seen position is unknown and left out.
 */
export function nextBinding(previous: SessionBinding | undefined, success: BindingSuccess, now: number, seen?: SeenTurn): SessionBinding {
  const { sessionKey, backendId, cliSessionId, cwd, model, replace = false, host } = success;
  const continued = previous !== undefined && !replace && previous.cliSessionId === cliSessionId;
  const binding: SessionBinding = continued
    ? { ...previous, updatedAt: now, turns: previous.turns + 1 }
    : { sessionKey, backendId, cliSessionId, cwd, createdAt: now, updatedAt: now, turns: 1, ...(host === undefined ? {} : { host }) };
  if (model !== undefined) binding.model = model;
  delete binding.seenSeq;
  delete binding.seenDigest;
  if (seen !== undefined) {
    binding.seenSeq = seen.seq;
    binding.seenDigest = seen.digest;
  }
  return binding;
}

/**
 * `success` with `host` set to `hostId` when it names none (how a store's `hostId` option reaches
 * new bindings). Unchanged when `hostId` is `undefined` or `success` already names a host.
 */
export function withHost<T extends BindingSuccess | undefined>(success: T, hostId: string | undefined): T {
  if (success === undefined || hostId === undefined || success.host !== undefined) return success;
  return { ...success, host: hostId };
}
