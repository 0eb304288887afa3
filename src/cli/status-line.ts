/**
 * `safetynet agent`'s live status line on a terminal's stderr: the candidate being tried, the
 * request machine's state and the time since the start, redrawn ten times a second with a spinner,
 * and under it each failover and each retry notice of the running CLI as it happens. It is fed by
 * the request's inspection events (the same ones `--verbose` and traces read, through
 * `RequestProgress`) and drawn with log-update, which rewrites the block in place; at the end it
 * is erased, and the command's normal output takes its place.
 *
 * Loaded only when the status line is drawn (`./terminal-mode.ts`), so that commands without a
 * terminal never import log-update.
 */
import { createLogUpdate } from 'log-update';
import type { InspectionEvent, Observer } from 'xstate';
import { RequestProgress } from '../inspection/progress.js';
import type { TraceAttempt } from '../store/trace-types.js';
import { renderStatus, type StatusEvent } from './status-view.js';

/** How often the status line is redrawn (spinner frame and elapsed time), in ms. */
export const STATUS_REDRAW_MS = 100;

/** Options of {@link StatusLine}. */
export interface StatusLineOptions {
  /** Colours (off for `NO_COLOR`). */
  color: boolean;
  /** Applied to every text taken from the request (attempt details, retry notices) before it is drawn. */
  redact: (text: string) => string;
}

/** `fake/a failed (auth): Invalid API key`, `fake/a skipped (cooldown): …`. */
function failoverText(attempt: TraceAttempt): string {
  const detail = attempt.detail === undefined || attempt.detail === '' ? '' : `: ${attempt.detail}`;
  return `${attempt.model} ${attempt.skipped ? 'skipped' : 'failed'} (${attempt.reason ?? 'unknown'})${detail}`;
}

/**
 * The live status line of one request on `terminal`. Give {@link StatusLine.inspect} to the
 * request as (part of) its `inspect` observer, call {@link StatusLine.start}, write anything else
 * meant for that terminal through {@link StatusLine.interleave}, and call {@link StatusLine.stop}
 * when the request settled (also after an error or an interrupt: it erases the block and shows the
 * cursor again; the cursor is restored at exit in any case by log-update's `cli-cursor`).
 */
export class StatusLine {
  /** The inspection observer feeding the status line. */
  readonly inspect: Observer<InspectionEvent>;
  readonly #terminal: NodeJS.WriteStream;
  readonly #draw: ReturnType<typeof createLogUpdate>;
  readonly #options: StatusLineOptions;
  readonly #progress: RequestProgress;
  readonly #events: StatusEvent[] = [];
  readonly #startedAt = performance.now();
  #candidate: string | undefined;
  #state = 'starting';
  #noticesSeen = 0;
  #frame = 0;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(terminal: NodeJS.WriteStream, options: StatusLineOptions) {
    this.#terminal = terminal;
    this.#options = options;
    // A pseudo-terminal of unknown size reports 0 columns and rows: draw as on 80 × 24 then.
    const sized = {
      write: (text: string) => terminal.write(text),
      get columns() {
        return terminal.columns || 80;
      },
      get rows() {
        return terminal.rows || 24;
      },
    };
    this.#draw = createLogUpdate(sized as unknown as NodeJS.WriteStream);
    this.#progress = new RequestProgress({
      onStep: (step) => {
        this.#state = step.state;
        if (step.candidate !== undefined) this.#candidate = step.candidate;
        this.#render();
      },
      onAttempt: (attempt) => {
        if (!attempt.ok) this.#events.push({ kind: 'failover', text: options.redact(failoverText(attempt)) });
        this.#render();
      },
    });
    this.inspect = { next: (event) => this.#next(event) };
  }

  /** Draw now, then redraw every {@link STATUS_REDRAW_MS} ms until {@link StatusLine.stop}. */
  start(): void {
    if (this.#stopped || this.#timer !== undefined) return;
    this.#timer = setInterval(() => this.#render(), STATUS_REDRAW_MS);
    this.#timer.unref();
    this.#render();
  }

  /** Write something else to the terminal: the block is erased first and drawn again below it. */
  interleave(write: () => void): void {
    if (this.#stopped || this.#timer === undefined) {
      write();
      return;
    }
    this.#draw.clear();
    write();
    this.#render();
  }

  /** Erase the block for good and show the cursor again. Idempotent. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#timer !== undefined) {
      clearInterval(this.#timer);
      this.#timer = undefined;
      this.#draw.clear();
      this.#draw.done();
    }
  }

  #next(event: InspectionEvent): void {
    this.#progress.next(event);
    // Retry notices arrive as `cli.retry` events that change no state: read them off the context.
    const context = this.#progress.context;
    if (context === undefined) return;
    if (context.notices.length < this.#noticesSeen) this.#noticesSeen = 0;
    const candidate = context.candidates[context.index]?.ref ?? this.#candidate ?? '';
    const fresh = context.notices.slice(this.#noticesSeen);
    for (const notice of fresh) this.#events.push({ kind: 'retry', text: this.#options.redact(`${candidate} retry: ${notice}`) });
    this.#noticesSeen = context.notices.length;
    if (fresh.length > 0) this.#render();
  }

  /** Draw the block (log-update skips a redraw that would not change it). Nothing before `start` or after `stop`. */
  #render(): void {
    if (this.#stopped || this.#timer === undefined) return;
    const text = renderStatus(
      {
        ...(this.#candidate === undefined ? {} : { candidate: this.#candidate }),
        state: this.#state,
        elapsedMs: performance.now() - this.#startedAt,
        events: this.#events,
      },
      { columns: this.#terminal.columns || 80, frame: this.#frame++, color: this.#options.color },
    );
    this.#draw(text);
  }
}
