import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AttemptClocks, expiredClockMessage, timerMs } from '../../../src/actors/api/deadline.js';

describe('AttemptClocks: the deadline, first-token and idle clocks of an API attempt', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('without stream clocks only the deadline fires', () => {
    const clocks = new AttemptClocks(new AbortController().signal, 1000);
    vi.advanceTimersByTime(999);
    expect(clocks.controller.signal.aborted).toBe(false);
    vi.advanceTimersByTime(1);
    expect([clocks.expired, clocks.expiredAfterMs]).toEqual(['deadline', 1000]);
    clocks.clear();
  });

  it('no stream event within firstTokenMs aborts the call as first-token', () => {
    const clocks = new AttemptClocks(new AbortController().signal, 60_000, { firstTokenMs: 100, idleMs: 500 });
    vi.advanceTimersByTime(100);
    expect(clocks.expired).toBe('first-token');
    expect(clocks.controller.signal.aborted).toBe(true);
    clocks.clear();
  });

  it('every stream event restarts the idle clock; a gap longer than idleMs aborts as idle', () => {
    const clocks = new AttemptClocks(new AbortController().signal, 60_000, { firstTokenMs: 100, idleMs: 500 });
    vi.advanceTimersByTime(90);
    clocks.event();
    vi.advanceTimersByTime(400);
    clocks.event();
    vi.advanceTimersByTime(499);
    expect(clocks.expired).toBeUndefined();
    vi.advanceTimersByTime(1);
    expect([clocks.expired, clocks.expiredAfterMs]).toEqual(['idle', 500]);
    clocks.clear();
  });

  it("the caller's abort aborts the call and is no clock", () => {
    const caller = new AbortController();
    const clocks = new AttemptClocks(caller.signal, 60_000, { firstTokenMs: 100, idleMs: 500 });
    caller.abort();
    expect(clocks.controller.signal.aborted).toBe(true);
    expect(clocks.expired).toBeUndefined();
    clocks.clear();
  });

  it('clear() stops every clock', () => {
    const clocks = new AttemptClocks(new AbortController().signal, 1000, { firstTokenMs: 100, idleMs: 500 });
    clocks.clear();
    vi.advanceTimersByTime(5000);
    expect(clocks.expired).toBeUndefined();
  });

  it('a stream event after clear() arms no clock again', () => {
    const clocks = new AttemptClocks(new AbortController().signal, 1000, { firstTokenMs: 100, idleMs: 500 });
    clocks.event();
    clocks.clear();
    clocks.event();
    vi.advanceTimersByTime(5000);
    expect(clocks.expired).toBeUndefined();
    expect(clocks.controller.signal.aborted).toBe(false);
  });

  it('timers are clamped to what setTimeout accepts, and messages name the setting to change', () => {
    expect([timerMs(0), timerMs(2 ** 40)]).toEqual([1, 2_147_483_647]);
    expect(expiredClockMessage('first-token', 100)).toContain('safetynet.streaming.firstTokenSeconds');
    expect(expiredClockMessage('idle', 100)).toContain('safetynet.streaming.idleSeconds');
    expect(expiredClockMessage('deadline', 100)).toBe('no answer within 100 ms');
  });
});
