/**
 * Two boundaries of the cooldown policy: the moment a cooldown ends, and candidates that are not
 * cooling carrying no cooldown field at all.
 */
import { describe, expect, it } from 'vitest';
import { type CooldownEntry, nextCooldownEntry, planCandidates } from '../../src/failover/cooldown-policy.js';

const T0 = 1_700_000_000_000;
const opus = { ref: 'anthropic/claude-opus-4-6', provider: 'anthropic' };
const gpt = { ref: 'openai/gpt-5', provider: 'openai' };
const ended: CooldownEntry = {
  key: opus.ref,
  scope: 'model',
  reason: 'rate_limit',
  failures: 1,
  since: T0 - 30_000,
  until: T0,
  lastFailureAt: T0 - 30_000,
};

describe('the end of a cooldown', () => {
  it('a failure at the very moment a cooldown ends is the next consecutive failure: it steps the ladder', () => {
    expect(nextCooldownEntry(ended, { ...opus, reason: 'rate_limit', now: T0 })).toMatchObject({
      failures: 2,
      since: T0,
      until: T0 + 60_000,
    });
  });
});

describe('planCandidates', () => {
  it('a candidate that is not cooling has neither a cooldown nor a probe field', () => {
    const planned = planCandidates([opus, gpt], new Map([[opus.ref, { ...ended, until: T0 + 60_000 }]]), T0);
    expect(planned[0]).toHaveProperty('cooldown');
    expect(Object.keys(planned[1] ?? {}).sort()).toEqual(['provider', 'ref']);
  });
});
