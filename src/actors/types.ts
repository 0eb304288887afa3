/**
 * Shapes passed between the request machine and its CLI actors. All of them are plain,
 * JSON-serializable objects (machine context, snapshots, inspection and traces carry them).
 */
import type { OutputMode, ResolvedApiProvider, ResolvedCliBackend } from '../config/types.js';
import type { AttemptFailure, Continuation, FailureReason } from '../errors.js';
import type { TranscriptTurn, TranscriptWrite } from '../conversation/types.js';

/** Token usage of one turn; every field is optional and only set when the CLI reported it (> 0). */
export interface Usage {
  input?: number;
  output?: number;
  cacheRead?: number;
  cacheWrite?: number;
  total?: number;
  /** Cost in US dollars as reported by the CLI (Claude's `total_cost_usd`). */
  costUsd?: number;
}

/** The stored CLI session of one (session key, backend) pair (defined with the session store). */
export type { SessionBinding } from '../store/session-store.js';
import type { SessionBinding } from '../store/session-store.js';

/** An image staged for one request: a private temp file (0600 in a 0700 folder). */
export interface StagedImage {
  path: string;
  mimeType: string;
}

/** Everything needed to run one CLI turn of one candidate. */
export interface CliTurnRequest {
  backend: ResolvedCliBackend;
  /** The model part of the ref (`opus-4.6` of `claude-cli/opus-4.6`). */
  model: string;
  prompt: string;
  systemPrompt: string | undefined;
  images: StagedImage[];
  /** The stored binding for (sessionKey, backend), if any. */
  binding: SessionBinding | undefined;
  /** Ignore the stored binding and start a new CLI session (after `session_expired`). */
  forceNewSession: boolean;
  /** Working directory of a fresh session. A resumed session runs in `binding.cwd`. */
  cwd: string;
  /** Deadline of the attempt in ms (drives the no-output watchdog). */
  timeoutMs: number;
  /** The request this turn belongs to (lets the runtime wait for its processes to end). */
  requestId?: string;
  /**
   * Earlier turns of the conversation, oldest first (empty for a one-shot request). A new session
   * gets them all in its prompt's history block (reseed); a resumed one only those after
   * `binding.seenSeq` (catch-up). See `docs/conversations.md#history-block`. @default []
   */
  history?: readonly TranscriptTurn[];
  /** Turns dropped from the transcript before `history[0]` (named in the block). @default 0 */
  historyDropped?: number;
  /** Character budget of the history block (`safetynet.sessions.historyChars`); 0 sends no block. @default 100000 */
  historyChars?: number;
}

/** The argv and I/O plan of one CLI turn (pure result of `planCliTurn`). */
export interface CliTurnPlan {
  command: string;
  argv: string[];
  /** Text written to stdin then closed; `undefined` means stdin is /dev/null. */
  stdin: string | undefined;
  /** The complete child environment (inherited minus `clearEnv`, plus `env`). */
  env: Record<string, string>;
  cwd: string;
  /** True when `resumeArgs` were used. */
  resume: boolean;
  /** The session id sent on the command line, if any. */
  sessionIdSent: string | undefined;
  /** True when this turn starts a new CLI session (nothing stored, or forced). */
  newSession: boolean;
  /** `resumeOutput ?? output` on resume runs, else `output`. */
  parseMode: OutputMode;
  /** No-output watchdog in ms. */
  noOutputTimeoutMs: number;
  /** How the turn continues the conversation (`docs/conversations.md#continuation`). */
  continuation: Continuation;
  /** Earlier turns written into the prompt's history block (after the `historyChars` budget). */
  historyTurns: number;
  /**
   * True when the backend's config sets `env.TMPDIR`: the run keeps it. Otherwise (the default) the
   * run gets a private temp folder, removed when it ends (`docs/cli-contracts.md#temp-folder`).
   */
  keepTempDir?: boolean;
}

/** What a finished CLI process left behind (exit code ≠ 0 is still an output, parsing decides). */
export interface CliRunOutput {
  plan: Omit<CliTurnPlan, 'env' | 'stdin'> & { stdinChars: number };
  stdout: string;
  /** The tail of stderr (bounded). */
  stderr: string;
  exitCode: number | undefined;
  signal: string | undefined;
  durationMs: number;
  /** The answer text streamed to the caller while it ran (`RunRequest.onText`); absent when none was. */
  streamedText?: string;
  /**
   * Set (to the grace in ms, `PIPE_GRACE_MS`) when the CLI exited but a process outside its group
   * still held stdout/stderr open: reading stopped that long after the exit and the pipes were
   * destroyed. Absent otherwise.
   */
  pipesClosedAfterMs?: number;
}

/** A successful turn. */
export interface ParsedTurn {
  text: string;
  /** From `sessionIdFields` / `thread_id`, else the id that was sent. */
  sessionId: string | undefined;
  usage: Usage | undefined;
}

/** One model to try: a `provider/model` ref and how it is served. */
export interface Candidate {
  /** `provider/model`, e.g. `claude-cli/opus-4.6`. */
  ref: string;
  /** Lower-cased provider id, e.g. `claude-cli`. */
  provider: string;
  /** The model part of the ref, e.g. `opus-4.6`. */
  model: string;
  /**
   * The CLI backend serving this provider, when the provider is a CLI backend. (Named `cli`, not
   * `backend`: `Attempt.backend` and `RunResult.backend` are the kind `'cli' | 'api'`.)
   */
  cli?: ResolvedCliBackend;
  /** The API provider serving this provider, when the provider is an API provider. */
  api?: ResolvedApiProvider;
  /**
   * Set when the candidate is not tried (shown as a skipped attempt): it cools down (reason of the
   * cooldown; still tried as the last resort when every other candidate failed) or the allowlist
   * excludes it (`config`; never tried).
   */
  skip?: {
    reason: FailureReason;
    detail: string;
    /** Skipped for a cooldown: how long until it may be tried again (its cooldown ends, or its next half-open probe), in ms. */
    retryAfterMs?: number;
  };
  /** A cooldown entry exists for it (active or expired): a success clears it. */
  hadCooldown?: boolean;
  /**
   * Tried although it cools down: this request claimed the key's half-open probe
   * (`docs/failover-policy.md#half-open-probes`), or every candidate cools down and its cooldown ends first.
   */
  probe?: boolean;
}

/** Input of the `loadSession` actor. */
export interface LoadSessionInput {
  candidate: Candidate;
  sessionKey: string | null;
}

/** Output of the `loadSession` actor. */
export interface LoadSessionOutput {
  /** The stored CLI session for (sessionKey, candidate's CLI backend), when there is one. */
  binding: SessionBinding | undefined;
}

/** The CLI session binding a successful CLI turn stores. */
export interface SessionToPersist {
  sessionKey: string;
  backendId: string;
  cliSessionId: string;
  cwd: string;
  model: string;
  /** The turn started a new CLI session: the binding is replaced (not continued). */
  replace: boolean;
}

/** The turns a successful request writes to the transcript of its session key. */
export interface TranscriptCommit {
  sessionKey: string;
  /** After the stored turns (`append`, from `storedSeq + 1`) or in place of them (`replace`). */
  write: TranscriptWrite;
  /** Numbered and chained turns: any the caller's `messages` added, then the user's message and the answer. */
  turns: TranscriptTurn[];
}

/** Input of the `recordSuccess` actor: what a success changes in the stores. */
export interface RecordSuccessInput {
  /**
   * The transcript turns to write, when a session key is set; written in one batch with `session`
   * (its `seenSeq` is the answer's turn).
   */
  transcript: TranscriptCommit | undefined;
  /** The CLI session binding to store, when the turn has one and a session key is set. */
  session: SessionToPersist | undefined;
  /** The candidate whose cooldown a success clears, when it had one. */
  clearCooldown: { ref: string; provider: string } | undefined;
}

/** Input of the `parseCliOutput` actor. */
export interface ParseCliOutputInput {
  run: CliRunOutput;
  backend: ResolvedCliBackend;
}

/** Input of the `recordFailure` actor: the failed candidate and its classified failure (the cooldown to start). */
export interface RecordFailureInput {
  candidate: Candidate;
  failure: AttemptFailure;
}
