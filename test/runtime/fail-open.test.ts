/**
 * The fail-open rule of cooldown reads: an unavailable shared store routes as if nothing cooled down,
 * counted and warned once per outage; any other store error is passed on.
 */
import { describe, expect, it } from 'vitest';
import { StoreError } from '../../src/errors.js';
import { FailOpenReads } from '../../src/runtime/fail-open.js';

const unavailable = () => Promise.reject(new StoreError('SAFETYNET_STORE_UNAVAILABLE', 'Redis down', { location: 'redis://x' }));

describe('FailOpenReads', () => {
  it('an unavailable store gives the fallback, counts each read and warns once per outage', async () => {
    const warnings: string[] = [];
    const reads = new FailOpenReads((message) => warnings.push(message));
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
    const reads = new FailOpenReads(() => {});
    const locked = new StoreError('SAFETYNET_STORE_LOCKED', 'locked', { location: '/x' });
    await expect(reads.read(() => Promise.reject(locked), 'none')).rejects.toBe(locked);
    expect(reads.count).toBe(0);
  });
});
