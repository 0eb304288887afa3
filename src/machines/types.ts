/**
 * Context, input and output shapes of the request machine. Everything here is plain JSON so that
 * snapshots, inspection events, traces and model-based tests can carry it.
 */
import type { Candidate, CliRunOutput, ParsedTurn, SessionBinding, StagedImage, Usage } from '../actors/types.js';
import type { AttemptFailure, Continuation, RequestAttempt } from '../errors.js';
import type { Conversation, ImagePlaceholder } from '../conversation/types.js';

/** One entry of the attempt log: a candidate tried (or skipped) and how it ended. */
export type Attempt = RequestAttempt;

/** What the caller asks for, fixed for the whole request. */
export interface RequestSpec {
  prompt: string;
  systemPrompt: string | undefined;
  images: StagedImage[];
  /** What the transcript keeps of `images`: name and media type, in the same order. */
  imagePlaceholders: ImagePlaceholder[];
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
  /**
   * The conversation the request continues: earlier turns (the stored transcript of the session
   * key, or the caller's `messages`) and how the new exchange is written (`docs/conversations.md`).
   */
  conversation: Conversation;
  /** Character budget of the history block of CLI prompts (`safetynet.sessions.historyChars`). */
  historyChars: number;
}

/** Context of the request machine. */
export interface RequestContext extends RequestInput {
  /** Index of the current candidate. */
  index: number;
  /**
   * The request is in its last resort: every live candidate failed, and the candidates skipped for a
   * cooldown are tried, in order, before it fails (`docs/failover-policy.md#last-resort`).
   */
  lastResort: boolean;
  attempts: Attempt[];
  /** The stored CLI session of the current candidate, if any. */
  binding: SessionBinding | undefined;
  /** Start a new CLI session even though one is stored (after `session_expired`). */
  forceNewSession: boolean;
  /** The stale-session retry was already used for this candidate. */
  sessionRetried: boolean;
  /** How the current CLI attempt continues the conversation (resume, catch-up, reseed, new). */
  continuation: Continuation | undefined;
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
  | {
      status: 'failed';
      attempts: Attempt[];
      failure: AttemptFailure | undefined;
      /**
       * Set when the request ended because its last attempt failed after part of its answer had been
       * streamed to the caller (no fallback after streamed output); the runtime reports it as
       * `SAFETYNET_STREAM_INTERRUPTED` instead of `SAFETYNET_ALL_CANDIDATES_FAILED`.
       */
      interrupted?: true;
    }
  | { status: 'aborted'; attempts: Attempt[] };

/** Input of the `callApi` actor (defined with the API actors). */
export type { ApiCallInput as CallApiInput } from '../actors/api/types.js';
/** One model to try (part of the machine's input; defined with the actors that receive it). */
export type { Candidate } from '../actors/types.js';
