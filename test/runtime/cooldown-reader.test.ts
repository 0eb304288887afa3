import { describe, expect, it } from 'vitest';
import { CooldownReader } from '../../src/runtime/cooldown-reader.js';
import type { CooldownEntry } from '../../src/store/index.js';

function entry(key: string): CooldownEntry {
  return { key, scope: 'model', reason: 'rate_limit', failures: 1, since: 1, until: 2, lastFailureAt: 1 };
}

describe('CooldownReader', () => {
  it('reads of requests that start in the same tick share one store read', async () => {
    const calls: string[][] = [];
    const reader = new CooldownReader(async () => async (keys) => {
      calls.push(keys);
      return new Map(keys.map((key) => [key, entry(key)]));
    });
    const [a, b] = await Promise.all([reader.read(['x/1', 'x'], 0), reader.read(['y/2', 'y', 'x'], 0)]);
    expect(calls).toEqual([['x/1', 'x', 'y/2', 'y']]);
    expect(a.get('x/1')?.key).toBe('x/1');
    expect(b.get('y/2')?.key).toBe('y/2');
  });

  it('batches run one after another and callers resume in the order they asked', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const started: string[][] = [];
    const reader = new CooldownReader(async () => async (keys) => {
      started.push(keys);
      if (started.length === 1) await gate; // the first batch is slow
      return new Map();
    });
    const resumed: string[] = [];
    const first = reader.read(['a'], 0).then(() => resumed.push('a'));
    await new Promise((resolve) => setImmediate(resolve));
    const second = reader.read(['b'], 0).then(() => resumed.push('b'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual([['a']]); // the second batch waits for the first
    release();
    await Promise.all([first, second]);
    expect(started).toEqual([['a'], ['b']]);
    expect(resumed).toEqual(['a', 'b']);
  });

  it('a failed read rejects its own batch only', async () => {
    let call = 0;
    const reader = new CooldownReader(async () => async () => {
      call += 1;
      if (call === 1) throw new Error('store locked');
      return new Map();
    });
    await expect(reader.read(['a'], 0)).rejects.toThrow('store locked');
    await expect(reader.read(['b'], 0)).resolves.toEqual(new Map());
  });
});
