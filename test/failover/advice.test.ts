import { describe, expect, it } from 'vitest';
import { FAILURE_REASONS, type RequestAttempt } from '../../src/errors.js';
import { adviceFor, formatAttempts } from '../../src/failover/advice.js';

const failed = (fields: Partial<RequestAttempt>): RequestAttempt => ({
  model: 'anthropic/claude-opus-4-6',
  backend: 'api',
  ok: false,
  durationMs: 812,
  ...fields,
});

describe('adviceFor', () => {
  it('every failure reason has its own advice line', () => {
    const lines = FAILURE_REASONS.map((reason) => adviceFor(reason));
    for (const line of lines) expect(line.trim()).not.toBe('');
    expect(new Set(lines).size).toBe(FAILURE_REASONS.length);
  });

  it('an auth failure tells how to fix the key or log the CLI in', () => {
    expect(adviceFor('auth')).toMatch(/API key/);
    expect(adviceFor('auth')).toMatch(/codex login/);
  });

  it.each(['rate_limit', 'overloaded'] as const)('%s with a Retry-After says how long to wait, in whole seconds rounded up', (reason) => {
    const advice = adviceFor(reason, 2400);
    expect(advice).toMatch(/retry after 3 s$/);
    expect(advice).not.toContain(adviceFor(reason));
    expect(advice.startsWith(adviceFor(reason).split(':')[0] as string)).toBe(true);
  });

  it('a rate limit without a Retry-After advises retrying later, with no wait invented', () => {
    expect(adviceFor('rate_limit', undefined)).toBe(adviceFor('rate_limit'));
    expect(adviceFor('rate_limit')).toMatch(/retry later$/);
    expect(adviceFor('overloaded')).not.toMatch(/retry after/);
  });

  it.each(['server_error', 'auth', 'billing', 'unknown'] as const)('a Retry-After does not change the advice of %s', (reason) => {
    expect(adviceFor(reason, 5000)).toBe(adviceFor(reason));
  });
});

describe('formatAttempts', () => {
  it('one line per attempt, in order', () => {
    const text = formatAttempts([failed({ model: 'a/1', reason: 'timeout' }), failed({ model: 'b/2', reason: 'auth' })]);
    const lines = text.split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^- a\/1: /);
    expect(lines[1]).toMatch(/^- b\/2: /);
  });

  it('an answered attempt says how long it took and gives no advice', () => {
    expect(formatAttempts([failed({ ok: true, durationMs: 95 })])).toBe('- anthropic/claude-opus-4-6: answered in 95 ms');
  });

  it('a failed attempt names its reason, its duration, the detail and the advice', () => {
    const line = formatAttempts([failed({ reason: 'rate_limit', detail: '429 rate_limit_error', retryAfterMs: 30_000 })]);
    expect(line).toBe(`- anthropic/claude-opus-4-6: rate_limit after 812 ms: 429 rate_limit_error → ${adviceFor('rate_limit', 30_000)}`);
  });

  it('a skipped candidate says skipped instead of a duration', () => {
    const line = formatAttempts([failed({ reason: 'auth', skipped: true, detail: 'cooling down' })]);
    expect(line).toBe(`- anthropic/claude-opus-4-6: skipped: cooling down → ${adviceFor('auth')}`);
  });

  it('an attempt without a reason is reported as unknown, and no detail adds no colon', () => {
    expect(formatAttempts([failed({})])).toBe(`- anthropic/claude-opus-4-6: unknown after 812 ms → ${adviceFor('unknown')}`);
  });

  it('no attempts give an empty text', () => {
    expect(formatAttempts([])).toBe('');
  });
});
