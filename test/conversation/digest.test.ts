import { describe, expect, it } from 'vitest';
import { chainDigest, chainTurns, DIGEST_HEX_CHARS } from '../../src/conversation/digest.js';
import { exchanges, turnsOf } from './helpers.js';

describe('chain digest', () => {
  it('a digest is 128 bits as 32 lowercase hex characters, the same for the same chain', () => {
    const digest = chainDigest('', 'user', 'hello');
    expect(digest).toMatch(new RegExp(`^[0-9a-f]{${DIGEST_HEX_CHARS}}$`));
    expect(DIGEST_HEX_CHARS).toBe(32);
    expect(chainDigest('', 'user', 'hello')).toBe(digest);
  });

  it('the role, the text and the previous digest each change the digest', () => {
    const base = chainDigest('', 'user', 'hello');
    expect(chainDigest('', 'assistant', 'hello')).not.toBe(base);
    expect(chainDigest('', 'user', 'hello!')).not.toBe(base);
    expect(chainDigest(base, 'user', 'hello')).not.toBe(base);
  });

  it('two conversations agree up to turn N exactly when their digests at N are equal', () => {
    const a = turnsOf(exchanges(['q1', 'a1'], ['q2', 'a2'], ['q3', 'a3']));
    // b differs from a at turn 3 only; turns 4–6 have the same role and text again
    const b = turnsOf(exchanges(['q1', 'a1'], ['q2 (edited)', 'a2'], ['q3', 'a3']));
    const same = a.map((turn, i) => turn.digest === b[i]!.digest);
    expect(same).toEqual([true, true, false, false, false, false]);
  });

  it('chainTurns numbers from 1 and chains from the empty digest when it follows no turn', () => {
    const [first, second] = chainTurns(
      [
        { role: 'user', text: 'q', requestId: 'r', at: 0 },
        { role: 'assistant', text: 'a', requestId: 'r', at: 0 },
      ],
      undefined,
    );
    expect([first!.seq, second!.seq]).toEqual([1, 2]);
    expect(first!.digest).toBe(chainDigest('', 'user', 'q'));
    expect(second!.digest).toBe(chainDigest(first!.digest, 'assistant', 'a'));
  });

  it('chainTurns numbering and chaining continue after a given turn', () => {
    const whole = turnsOf(exchanges(['q1', 'a1'], ['q2', 'a2']));
    const tail = chainTurns(
      whole.slice(2).map(({ seq: _seq, digest: _digest, ...rest }) => rest),
      whole[1],
    );
    expect(tail).toEqual(whole.slice(2));
    expect(tail.map((turn) => turn.seq)).toEqual([3, 4]);
  });

  it('chainTurns copies every other field and does not mutate its input', () => {
    const input = [{ role: 'assistant' as const, text: 'a', requestId: 'r9', at: 5, model: 'm', backend: 'cli' as const }];
    const [turn] = chainTurns(input, { seq: 7, digest: 'f'.repeat(32) });
    expect(turn).toMatchObject({ seq: 8, role: 'assistant', text: 'a', requestId: 'r9', at: 5, model: 'm', backend: 'cli' });
    expect(input[0]).not.toHaveProperty('seq');
  });

  it('images do not change the digest (a transcript keeps only their placeholders)', () => {
    const plain = { role: 'user' as const, text: 'look', requestId: 'r', at: 0 };
    const [without] = chainTurns([plain], undefined);
    const [withImage] = chainTurns([{ ...plain, images: [{ name: 'photo.png', mimeType: 'image/png' }] }], undefined);
    expect(withImage!.digest).toBe(without!.digest);
  });
});
