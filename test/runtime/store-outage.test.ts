/**
 * The fail-open rule of cooldown reads: an unavailable shared store routes as if nothing cooled down,
 * counted and warned once per outage; any other store error is passed on.
 */
import { describe, expect, it } from 'vitest';
import { StoreError } from '../../src/errors.js';
import { FAIL_OPEN_CODES, StoreOutage } from '../../src/runtime/store-outage.js';

const unavailable = () => Promise.reject(new StoreError('SAFETYNET_STORE_UNAVAILABLE', 'Redis down', { location: 'redis://x' }));

const outageWrite = (outage: StoreOutage, error: unknown) => outage.failed('the request trace could not be stored', error);

describe('StoreOutage', () => {
  it('an unavailable store gives the fallback, counts each read and warns once per outage', async () => {
    const warnings: string[] = [];
    const reads = new StoreOutage((message) => warnings.push(message));
    expect(await reads.read(unavailable, 'none')).toBe('none');
    expect(await reads.read(unavailable, 'none')).toBe('none');
    expect(reads.count).toBe(2);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('Redis down');
    expect(await reads.read(async () => 'stored', 'none')).toBe('stored');
    await reads.read(unavailable, 'none');
    expect(warnings).toHaveLength(2); // a new outage after a good read is warned about again
  });

  it('a sick LevelDB folder (locked, damaged, read-only) fails open like an unavailable Redis; a lock is warned once per outage, damage each time', async () => {
    const warnings: string[] = [];
    const reads = new StoreOutage((message) => warnings.push(message));
    const locked = new StoreError('SAFETYNET_STORE_LOCKED', 'locked', { location: '/x' });
    const damaged = new StoreError('SAFETYNET_STORE_FAILED', 'Corruption: 1 missing files', { location: '/x' });
    expect(await reads.read(() => Promise.reject(locked), 'none')).toBe('none');
    outageWrite(reads, locked);
    expect(warnings).toHaveLength(1); // a lock: once per outage
    expect(await reads.read(() => Promise.reject(damaged), 'none')).toBe('none');
    outageWrite(reads, damaged);
    expect(reads.count).toBe(2);
    expect(warnings).toHaveLength(3); // damage: each time, until repaired
    expect([...FAIL_OPEN_CODES].sort()).toEqual(['SAFETYNET_STORE_FAILED', 'SAFETYNET_STORE_LOCKED', 'SAFETYNET_STORE_UNAVAILABLE']);
  });

  it('other errors are not an outage: a transcript conflict or a bug is passed on', async () => {
    const reads = new StoreOutage(() => {});
    const conflict = new StoreError('SAFETYNET_TRANSCRIPT_CONFLICT', 'conflict', { location: '/x' });
    const bug = new TypeError('undefined is not a function');
    await expect(reads.read(() => Promise.reject(conflict), 'none')).rejects.toBe(conflict);
    await expect(reads.read(() => Promise.reject(bug), 'none')).rejects.toBe(bug);
    expect(reads.count).toBe(0);
  });
});

describe('StoreOutage: background writes', () => {
  it('the failed writes of one outage are warned about once; other failures each time', async () => {
    const warnings: string[] = [];
    const outage = new StoreOutage((message) => warnings.push(message));
    const down = new StoreError('SAFETYNET_STORE_UNAVAILABLE', 'Redis down', { location: 'redis://x' });
    outage.failed('the request trace could not be stored', down);
    outage.failed('the request trace could not be stored', down);
    outage.failed('a cooldown could not be stored', down);
    expect(warnings).toEqual(['the request trace could not be stored: Redis down']);
    outage.failed('the request trace could not be stored', new Error('disk full'));
    outage.failed('the request trace could not be stored', new Error('disk full'));
    expect(warnings).toHaveLength(3);
    await outage.read(async () => 'back', 'none'); // the store answers again: the next outage is warned about
    outage.failed('a cooldown could not be stored', down);
    expect(warnings).toHaveLength(4);
  });
});
