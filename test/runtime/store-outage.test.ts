/**
 * The fail-open rule of cooldown reads: an unavailable shared store routes as if nothing cooled down,
 * counted and warned once per outage; any other store error is passed on.
 */
import { describe, expect, it } from 'vitest';
import { StoreError } from '../../src/errors.js';
import { StoreOutage } from '../../src/runtime/store-outage.js';

const unavailable = () => Promise.reject(new StoreError('SAFETYNET_STORE_UNAVAILABLE', 'Redis down', { location: 'redis://x' }));

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

  it('other store errors (a locked LevelDB folder) are not an outage: they are passed on', async () => {
    const reads = new StoreOutage(() => {});
    const locked = new StoreError('SAFETYNET_STORE_LOCKED', 'locked', { location: '/x' });
    await expect(reads.read(() => Promise.reject(locked), 'none')).rejects.toBe(locked);
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
