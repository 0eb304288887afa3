import { describe, expect, it } from 'vitest';
import { toMeta } from '../../src/store/transcript-meta.js';
import { readTranscript, turnProblem } from '../../src/store/transcript-record.js';
import { exchange } from './transcript-support.js';

describe('transcript records', () => {
  it('a read transcript is the newest run of consecutive turns, so turns[i].seq === dropped + i + 1', () => {
    const [q1, a1] = exchange(1, undefined);
    const [q2, a2] = exchange(2, a1);
    const [q3, a3] = exchange(3, a2);
    expect(readTranscript([])).toEqual({ turns: [], dropped: 0 });
    expect(readTranscript([q2, a2, q3])).toEqual({ turns: [q2, a2, q3], dropped: 2 });
    // a stored value that is not a turn is skipped; the gap it leaves cuts the older turns off
    expect(readTranscript([q1, a1, { junk: true }, a2, q3, a3])).toEqual({ turns: [a2, q3, a3], dropped: 3 });
    expect(readTranscript([q1, a1, q3, a3])).toEqual({ turns: [q3, a3], dropped: 4 });
  });

  it('turn checks name the first bad field, and unknown fields are not kept', () => {
    const [q1] = exchange(1, undefined);
    expect(turnProblem(q1)).toBeUndefined();
    expect(turnProblem(null)).toEqual(['', 'an object']);
    expect(turnProblem({ ...q1, seq: 0 })).toEqual(['.seq', 'a positive integer']);
    expect(turnProblem({ ...q1, digest: 'ABC' })?.[0]).toBe('.digest');
    expect(turnProblem({ ...q1, at: -1 })?.[0]).toBe('.at');
    expect(readTranscript([{ ...q1, extra: 1 }]).turns[0]).toEqual(q1);
  });

  it('a meta record with a missing, mistyped or inconsistent field reads as absent', () => {
    const meta = { sessionKey: 'k', version: 'v', lastSeq: 3, lastDigest: 'd', dropped: 1, lengths: [2, 2], updatedAt: 1 };
    expect(toMeta(meta)).toEqual(meta);
    expect(toMeta({ ...meta, lengths: [2, -1] })).toBeUndefined();
    expect(toMeta({ ...meta, lastSeq: 4 })).toBeUndefined();
    expect(toMeta({ ...meta, sessionKey: 3 })).toBeUndefined();
    expect(toMeta('meta')).toBeUndefined();
  });
});
