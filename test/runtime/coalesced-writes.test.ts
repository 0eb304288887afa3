/**
 * CoalescedWrites: an idle writer writes an item at once; items that arrive during a write go
 * together in the next one; a failed group rejects the adds of that group only.
 */
import { describe, expect, it } from 'vitest';
import { CoalescedWrites } from '../../src/runtime/coalesced-writes.js';

describe('CoalescedWrites', () => {
  it('items added while a write runs are written together in the next write, in order', async () => {
    const groups: number[][] = [];
    const writes = new CoalescedWrites<number>(async (items) => {
      groups.push(items);
      await new Promise((resolve) => setImmediate(resolve));
    });
    await Promise.all([1, 2, 3, 4].map((n) => writes.add(n)));
    expect(groups).toEqual([[1], [2, 3, 4]]);
    await writes.add(5);
    expect(groups.at(-1)).toEqual([5]);
  });

  it('a group holds at most maxGroup items', async () => {
    const groups: number[][] = [];
    const writes = new CoalescedWrites<number>(async (items) => {
      groups.push(items);
    }, 2);
    await Promise.all([1, 2, 3, 4, 5, 6].map((n) => writes.add(n)));
    expect(groups).toEqual([[1], [2, 3], [4, 5], [6]]);
  });

  it('a failed write rejects the adds of its group only; the next group is still written', async () => {
    const writes = new CoalescedWrites<number>(async (items) => {
      if (items.includes(2)) throw new Error('disk full');
    });
    const results = await Promise.allSettled([1, 2, 3].map((n) => writes.add(n)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected']);
    await expect(writes.add(4)).resolves.toBeUndefined();
  });
});
