/**
 * Shapes passed between the request machine and its CLI actors. All of them are plain,
 * JSON-serializable objects (machine context, snapshots, inspection and traces carry them).
 */
import type { OutputMode, ResolvedCliBackend } from '../config/types.js';

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
}

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
}

/** A successful turn. */
export interface ParsedTurn {
  text: string;
  /** From `sessionIdFields` / `thread_id`, else the id that was sent. */
  sessionId: string | undefined;
  usage: Usage | undefined;
}
