/**
 * Context, input and output shapes of the request machine. Everything here is plain JSON so that
 * snapshots, inspection events, traces and model-based tests can carry it.
 */
import type { ResolvedApiProvider, ResolvedCliBackend } from '../config/types.js';
import type { CliRunOutput, ParsedTurn, SessionBinding, StagedImage, Usage } from '../actors/types.js';
import type { AttemptFailure, FailureReason, RequestAttempt } from '../errors.js';

/** One model to try: a `provider/model` ref and how it is served. */
export interface Candidate {
  /** `provider/model`, e.g. `claude-cli/opus-4.6`. */
  ref: string;
  /** Lower-cased provider id, e.g. `claude-cli`. */
  provider: string;
  /** The model part of the ref, e.g. `opus-4.6`. */
  model: string;
  /** The CLI backend serving this provider, when the provider is a CLI backend. */
  backend?: ResolvedCliBackend;
  /** The API provider serving this provider, when the provider is an API provider. */
  api?: ResolvedApiProvider;
  /**
   * Set when the candidate is not tried (shown as a skipped attempt): it cools down (reason of the
   * cooldown) or the allowlist excludes it (`config`).
   */
  skip?: { reason: FailureReason; detail: string };
  /** A cooldown entry exists for it (active or expired): a success clears it. */
  hadCooldown?: boolean;
}

/** One entry of the attempt log: a candidate tried (or skipped) and how it ended. */
export type Attempt = RequestAttempt;

/** What the caller asks for, fixed for the whole request. */
export interface RequestSpec {
  prompt: string;
  systemPrompt: string | undefined;
  images: StagedImage[];
  /** Working directory of fresh CLI sessions. */
  cwd: string;
}

/** Input of the request machine. */
export interface RequestInput {
  /** Unique id of this request (nanoid). */
  requestId: string;
  /** Candidates in order: requested (or primary) model, then fallbacks, deduplicated. At least one. */
  candidates: Candidate[];
  /** The caller's conversation key, or `null` for a one-shot request (nothing is stored). */
  sessionKey: string | null;
  /** Deadline of one attempt in ms. */
  attemptTimeoutMs: number;
  request: RequestSpec;
}

/** Context of the request machine. */
export interface RequestContext extends RequestInput {
  /** Index of the current candidate. */
  index: number;
  attempts: Attempt[];
  /** The stored CLI session of the current candidate, if any. */
  binding: SessionBinding | undefined;
  /** Start a new CLI session even though one is stored (after `session_expired`). */
  forceNewSession: boolean;
  /** The stale-session retry was already used for this candidate. */
  sessionRetried: boolean;
  /** `performance.now()` when the current attempt started. */
  attemptStartedAt: number;
  /** Raw output of the last CLI run. */
  run: CliRunOutput | undefined;
  /** The parsed answer. */
  turn: ParsedTurn | undefined;
  /** Why the current attempt failed. */
  failure: AttemptFailure | undefined;
  /** Set when the answer was good but storing its session id failed. */
  persistWarning: string | undefined;
  /** Retry notices the running CLI printed during the current attempt. */
  notices: string[];
}

/** Output of the request machine when it reaches a final state. */
export type RequestOutput =
  | {
      status: 'answered';
      text: string;
      model: string;
      backend: 'cli' | 'api';
      cliSessionId: string | null;
      usage: Usage | undefined;
      attempts: Attempt[];
      persistWarning: string | undefined;
    }
  | { status: 'failed'; attempts: Attempt[]; failure: AttemptFailure | undefined }
  | { status: 'aborted'; attempts: Attempt[] };

/** Input of the `selectCandidate` actor. */
export interface SelectCandidateInput {
  candidate: Candidate;
  sessionKey: string | null;
}

/** Output of the `selectCandidate` actor. */
export interface SelectCandidateOutput {
  /** The stored CLI session for (sessionKey, candidate's backend), when there is one. */
  binding: SessionBinding | undefined;
}

/** The CLI session binding a successful CLI turn stores. */
export interface SessionToPersist {
  sessionKey: string;
  backendId: string;
  cliSessionId: string;
  cwd: string;
  model: string;
}

/** Input of the `persistSession` actor: what a success changes. */
export interface PersistSessionInput {
  /** The CLI session binding to store, when the turn has one and a session key is set. */
  session: SessionToPersist | undefined;
  /** The candidate whose cooldown a success clears, when it had one. */
  clearCooldown: { ref: string; provider: string } | undefined;
}

/** Input of the `callApi` actor (defined with the API actors). */
export type { ApiCallInput as CallApiInput } from '../actors/api/types.js';

/** Input of the `parseCliOutput` actor. */
export interface ParseCliOutputInput {
  run: CliRunOutput;
  backend: ResolvedCliBackend;
}

/** Input of the `recordFailure` actor (cooldown bookkeeping, issue 3). */
export interface RecordFailureInput {
  candidate: Candidate;
  failure: AttemptFailure;
}
