/** `x-safetynet-warning`: a result's warnings reach the client in one printable, bounded header. */
import { describe, expect, it } from 'vitest';
import { warningHeader } from '../../src/serve/exchange.js';

describe('x-safetynet-warning', () => {
  it('joins the warnings, replaces what a header cannot carry and stays within 300 characters', () => {
    expect(warningHeader(['the turn could not be added to the transcript: Redis down', 'second'])).toBe(
      'the turn could not be added to the transcript: Redis down | second',
    );
    expect(warningHeader(['line\nbreak — dash'])).toBe('line?break ? dash');
    const long = warningHeader(['x'.repeat(1000)]);
    expect(long).toHaveLength(300);
    expect(long.endsWith('...')).toBe(true);
  });
});
