/**
 * Watching a CLI's output while it runs, to give up on a failing provider in seconds instead of
 * waiting for the CLI's own retry schedule (minutes). Pure: no clock, no I/O; the process runner
 * feeds it decoded stdout (or stderr) chunks and acts on what it returns.
 *
 * The notices are read per dialect: Claude and Codex JSONL on stdout ({@link readRetryNotice},
 * `./retry-notice.ts`), Gemini on stderr ({@link readGeminiRetryNotice}, `./retry-notice-gemini.ts`);
 * `docs/cli-contracts.md#cli-retries` and `#retry-watch` say what each CLI prints.
 *
 * Policy ({@link watchRetryNotice}), first match wins:
 * 1. a notice whose classified reason is not transient (`auth`, `billing`, `model_not_found`,
 *    `context_overflow`, `config`, …) → abandon at once (`fatal`): retrying cannot heal it;
 * 2. Codex `waiting for network` → abandon at once as `transport` (`never-gives-up`);
 * 3. an announced wait longer than `maxRetryDelayMs` (default 5 000) → abandon (`retry-delay`);
 * 4. the notice count reached the dialect's limit (Claude 2 failed requests, Codex 1 failed round,
 *    Gemini 1 failed request: its first backoff already exceeds the 5 s failover budget)
 *    → abandon (`retry-limit`), unless the CLI says this was its last retry (`attempt >=
 *    max_retries`): then it ends on its own within one more request and its final error text is
 *    the better report;
 * 5. otherwise keep going (the CLI's own, bounded, retries may still succeed).
 *
 * Reasons come from the one classifier ({@link classifyCliFailure}): the structured status and code
 * first, then the CLI's texts.
 */
import type { AttemptFailure, FailureReason } from '../../errors.js';
import { classifyCliFailure } from '../../failover/classify.js';
import { isTransientReason } from '../../failover/reasons.js';
import { readGeminiRetryNotice } from './retry-notice-gemini.js';
import { type CliRetryDialect, definedFields, readRetryNotice, type RetryNotice } from './retry-notice.js';

export { readGeminiRetryNotice } from './retry-notice-gemini.js';
export { type CliRetryDialect, readRetryNotice, type RetryNotice } from './retry-notice.js';

/** One internal retry the CLI reported (JSON-serializable; sent to `onEvent`). */
export interface CliRetryEvent {
  type: 'cli.retry';
  dialect: CliRetryDialect;
  /** 1-based number of this notice within the run. */
  count: number;
  /** The CLI's own retry number (Claude `attempt`, Codex `n` of `n/m`), when printed. */
  attempt?: number;
  /** The CLI's own retry limit (Claude `max_retries`, Codex `m`), when printed. */
  maxRetries?: number;
  /** How long the CLI said it waits before the next try, in ms (Claude `retry_delay_ms`). */
  delayMs?: number;
  /** HTTP status of the failed request (Claude `error_status`, or a status quoted by Codex). */
  status?: number;
  /** Claude's error category (`authentication_failed`, `rate_limit`, `overloaded`, …). */
  code?: string;
  /** The failure reason of this retry, from the shared classifier. */
  reason: FailureReason;
  /** One line describing the failed request (`<cli>: …`). */
  message: string;
}

/** Why the watcher gave up on the run. */
export type CliAbandonCause = 'fatal' | 'never-gives-up' | 'retry-delay' | 'retry-limit';

/** The watcher decided to give up: the runner kills the process group and fails the attempt. */
export interface CliAbandonEvent {
  type: 'cli.abandon';
  cause: CliAbandonCause;
  /** The attempt's failure (reason, message, status, retryAfterMs). */
  failure: AttemptFailure;
  /** The notice that decided it. */
  retry: CliRetryEvent;
}

/** What the watcher reports, in order of the lines that caused it. */
export type CliWatchEvent = CliRetryEvent | CliAbandonEvent;

/** Options of {@link CliOutputWatcher}. */
export interface CliWatchOptions {
  /** Short CLI name that starts messages (`claude`). @default 'cli' */
  cli?: string;
  /** Backend id, for configuration hints in messages. */
  backendId?: string;
  /** Claude: abandon at this many `api_retry` notices (each one is a failed request). @default 2 */
  claudeRetryLimit?: number;
  /** Codex: abandon at this many `Reconnecting... n/m` notices (each one a failed round). @default 1 */
  codexRetryLimit?: number;
  /** Gemini: abandon at this many `Attempt N failed` notices (each one a failed request). @default 1 */
  geminiRetryLimit?: number;
  /**
   * Which stream the watcher reads: `stdout` (Claude and Codex JSONL notices) or `stderr` (Gemini's
   * `Attempt N failed …` lines). @default 'stdout'
   */
  source?: 'stdout' | 'stderr';
  /** Abandon when the CLI announces a wait longer than this, in ms. @default 5000 */
  maxRetryDelayMs?: number;
}

/** Default {@link CliWatchOptions.claudeRetryLimit}: 2 failed requests (~1.1 s of Claude's backoff). */
export const DEFAULT_CLAUDE_RETRY_LIMIT = 2;
/** Default {@link CliWatchOptions.codexRetryLimit}: 1 failed round (Codex's inner retries already ran). */
export const DEFAULT_CODEX_RETRY_LIMIT = 1;
/** Default {@link CliWatchOptions.geminiRetryLimit}: 1 failed request (its first backoff is 4–6 s). */
export const DEFAULT_GEMINI_RETRY_LIMIT = 1;
/** Default {@link CliWatchOptions.maxRetryDelayMs}: 5 000 ms, the failover budget. */
export const DEFAULT_MAX_RETRY_DELAY_MS = 5000;
/** Lines longer than this are skipped unread (retry notices are a few hundred characters). */
export const MAX_WATCHED_LINE_CHARS = 64 * 1024;

/** The text classified and quoted for a Claude notice, which carries no error text of its own. */
function claudeNoticeText(notice: RetryNotice): string {
  const status = notice.status === undefined ? 'no HTTP status' : `HTTP ${notice.status}`;
  return `API request failed (${status}, ${notice.code ?? 'unknown'}); retry ${notice.attempt ?? '?'} of ${notice.maxRetries ?? '?'}`;
}

/**
 * Classifies a notice and decides whether to give up. Pure.
 *
 * @param count - 1-based number of this notice in the run.
 * @returns the retry event, plus an abandon event when the policy in the module docs says so.
 */
export function watchRetryNotice(notice: RetryNotice, count: number, options: CliWatchOptions = {}): CliWatchEvent[] {
  const cli = options.cli ?? 'cli';
  const text = notice.dialect === 'claude' ? claudeNoticeText(notice) : (notice.text ?? '');
  const failure = classifyCliFailure({ cli, backendId: options.backendId, status: notice.status, code: notice.code, texts: [text] });
  const retry: CliRetryEvent = {
    type: 'cli.retry',
    dialect: notice.dialect,
    count,
    ...definedFields<Pick<CliRetryEvent, 'attempt' | 'maxRetries' | 'delayMs' | 'status' | 'code'>>({
      attempt: notice.attempt,
      maxRetries: notice.maxRetries,
      delayMs: notice.delayMs,
      status: failure.status,
      code: notice.code,
    }),
    reason: failure.reason,
    message: failure.message,
  };

  const maxDelay = options.maxRetryDelayMs ?? DEFAULT_MAX_RETRY_DELAY_MS;
  const limit =
    notice.dialect === 'claude'
      ? (options.claudeRetryLimit ?? DEFAULT_CLAUDE_RETRY_LIMIT)
      : notice.dialect === 'gemini'
        ? (options.geminiRetryLimit ?? DEFAULT_GEMINI_RETRY_LIMIT)
        : (options.codexRetryLimit ?? DEFAULT_CODEX_RETRY_LIMIT);
  const lastTry = notice.attempt !== undefined && notice.maxRetries !== undefined && notice.attempt >= notice.maxRetries;
  const delayTooLong = notice.delayMs !== undefined && notice.delayMs > maxDelay;

  let cause: CliAbandonCause | undefined;
  let why = '';
  if (!isTransientReason(failure.reason)) {
    [cause, why] = ['fatal', `${failure.reason} failures do not heal by retrying`];
  } else if (notice.waitingForNetwork) {
    [cause, why] = ['never-gives-up', 'the endpoint is unreachable and the CLI would retry forever'];
  } else if (delayTooLong) {
    [cause, why] = ['retry-delay', `the CLI would wait ${notice.delayMs} ms before retrying (limit ${maxDelay} ms)`];
  } else if (count >= limit && !lastTry) {
    const upTo = notice.maxRetries === undefined ? '' : `, the CLI would retry up to ${notice.maxRetries} times`;
    [cause, why] = ['retry-limit', `${count} ${count === 1 ? 'retry' : 'retries'} reported (limit ${limit})${upTo}`];
  }
  if (cause === undefined) return [retry];

  const abandoned: AttemptFailure = {
    ...failure,
    reason: cause === 'never-gives-up' ? 'transport' : failure.reason,
    message: `${failure.message} — gave up while ${cli} was retrying: ${why}`,
    ...(cause === 'retry-delay' && notice.delayMs !== undefined ? { retryAfterMs: notice.delayMs } : {}),
  };
  return [retry, { type: 'cli.abandon', cause, failure: abandoned, retry }];
}

/**
 * Line-by-line watcher of one run's stdout (or stderr: {@link CliWatchOptions.source}). Feed it decoded chunks in arrival order; it splits
 * lines (a partial last line waits for the next chunk), reads retry notices and reports
 * {@link CliWatchEvent}s. After the first abandon event it reports nothing more.
 *
 * Memory is bounded: a line longer than {@link MAX_WATCHED_LINE_CHARS} is skipped unread.
 */
export class CliOutputWatcher {
  readonly #options: CliWatchOptions;
  #pending = '';
  #skipping = false;
  #count = 0;
  #abandoned = false;

  constructor(options: CliWatchOptions = {}) {
    this.#options = options;
  }

  /** Number of retry notices seen so far. */
  get retries(): number {
    return this.#count;
  }

  /** True once an abandon event was reported. */
  get abandoned(): boolean {
    return this.#abandoned;
  }

  /** Feeds one decoded stdout chunk; returns the events of the lines it completed. */
  feed(chunk: string): CliWatchEvent[] {
    if (this.#abandoned) return [];
    const events: CliWatchEvent[] = [];
    const parts = chunk.split('\n');
    const last = parts.pop() ?? '';
    for (const part of parts) {
      const line = this.#skipping ? '' : this.#pending + part;
      this.#pending = '';
      this.#skipping = false;
      events.push(...this.line(line));
      if (this.#abandoned) return events;
    }
    if (this.#skipping) return events;
    this.#pending += last;
    if (this.#pending.length > MAX_WATCHED_LINE_CHARS) {
      this.#pending = '';
      this.#skipping = true;
    }
    return events;
  }

  /** Reads the unterminated last line, if any (call when stdout ended). */
  end(): CliWatchEvent[] {
    const rest = this.#skipping ? '' : this.#pending;
    this.#pending = '';
    this.#skipping = false;
    return this.#abandoned ? [] : this.line(rest);
  }

  /** Reads one complete line. */
  line(line: string): CliWatchEvent[] {
    if (this.#abandoned || line.length > MAX_WATCHED_LINE_CHARS) return [];
    const notice = this.#options.source === 'stderr' ? readGeminiRetryNotice(line) : readRetryNotice(line);
    if (notice === undefined) return [];
    this.#count += 1;
    const events = watchRetryNotice(notice, this.#count, this.#options);
    if (events.some((event) => event.type === 'cli.abandon')) this.#abandoned = true;
    return events;
  }
}
