/**
 * The clocks of one API attempt: one controller for the SDK call, aborted by the caller's signal
 * (→ `aborted`) or by whichever clock runs out first (→ `timeout`):
 *
 * - the deadline: the whole call, stream included (the SDKs' own timeout stops at the headers);
 * - the first-token clock: no stream event within `firstTokenMs` of the call's start (headers
 *   included), e.g. a provider that accepts the connection and stays silent;
 * - the idle clock: no stream event for `idleMs` after one, e.g. a stream that stalls mid-answer.
 *
 * Rationale and defaults: `docs/streaming.md#clocks`.
 */
import type { StreamClocks } from './types.js';

/** setTimeout's upper bound (2^31 − 1 ms). */
export const MAX_TIMER_MS = 2_147_483_647;

/** Which clock fired. */
export type ExpiredClock = 'deadline' | 'first-token' | 'idle';

/** Clamp a duration to what setTimeout accepts (1 ms … 2^31 − 1 ms). */
export function timerMs(ms: number): number {
  return Math.min(MAX_TIMER_MS, Math.max(1, Math.round(ms)));
}

/** The attempt's controller and its clocks. `clear()` removes the listener and the timers. */
export class AttemptClocks {
  readonly controller = new AbortController();
  /** The clock that fired, once one did. */
  expired: ExpiredClock | undefined;
  readonly #caller: AbortSignal;
  readonly #deadline: NodeJS.Timeout;
  readonly #clocks: StreamClocks | undefined;
  /** The first-token clock until the first stream event, then the idle clock. */
  #stream: NodeJS.Timeout | undefined;
  #sawEvent = false;
  #cleared = false;
  #expiredAfterMs: number | undefined;
  readonly #onAbort = (): void => this.controller.abort(this.#caller.reason);

  /**
   * @param caller - the actor's signal; its abort aborts the call.
   * @param deadlineMs - the whole attempt, in ms (already clamped by {@link timerMs}).
   * @param clocks - first-token and idle clocks in ms; absent: the deadline only.
   */
  constructor(caller: AbortSignal, deadlineMs: number, clocks?: StreamClocks) {
    this.#caller = caller;
    this.#clocks = clocks;
    caller.addEventListener('abort', this.#onAbort, { once: true });
    this.#deadline = setTimeout(() => this.#expire('deadline', deadlineMs), deadlineMs);
    if (clocks !== undefined) this.#arm('first-token', clocks.firstTokenMs);
  }

  /** A stream event arrived: the first-token clock stops and the idle clock restarts. */
  readonly event = (): void => {
    if (this.#clocks === undefined || this.expired !== undefined || this.#cleared) return;
    // The running idle timer is rescheduled, not replaced (no timer object per event).
    if (this.#sawEvent) this.#stream?.refresh();
    else this.#arm('idle', this.#clocks.idleMs);
    this.#sawEvent = true;
  };

  /** How long the clock that fired allowed, in ms (for the message). */
  get expiredAfterMs(): number | undefined {
    return this.#expiredAfterMs;
  }

  clear(): void {
    this.#cleared = true;
    clearTimeout(this.#deadline);
    clearTimeout(this.#stream);
    this.#caller.removeEventListener('abort', this.#onAbort);
  }

  #arm(clock: 'first-token' | 'idle', ms: number): void {
    clearTimeout(this.#stream);
    const bounded = timerMs(ms);
    this.#stream = setTimeout(() => this.#expire(clock, bounded), bounded);
  }

  #expire(clock: ExpiredClock, ms: number): void {
    if (this.expired !== undefined) return;
    this.expired = clock;
    this.#expiredAfterMs = ms;
    this.controller.abort(new Error(`${clock} clock of ${ms} ms`));
  }
}

/** The timeout message of an expired clock, naming the setting that bounds it. */
export function expiredClockMessage(clock: ExpiredClock, ms: number): string {
  if (clock === 'first-token') return `no stream event within ${ms} ms of the call (safetynet.streaming.firstTokenSeconds)`;
  if (clock === 'idle') return `the stream stalled: no event for ${ms} ms (safetynet.streaming.idleSeconds)`;
  return `no answer within ${ms} ms`;
}
