/**
 * The rules of `readMessage` (`src/cli/message-source.ts`) that a spawned command cannot show: a
 * terminal on stdin is never read without `--message -`, and `--message -` reads it.
 */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readMessage } from '../../src/cli/message-source.js';

/** A stdin that says whether it was read. */
function terminal(text: string) {
  const state = { read: false };
  const stream = Object.assign(
    Readable.from(
      (function* () {
        state.read = true;
        yield Buffer.from(text);
      })(),
    ),
    { isTTY: true },
  );
  return { stream, state };
}

describe('readMessage', () => {
  it('without a message flag, a terminal on stdin is a usage error saying how to pass one, and is not read', async () => {
    const { stream, state } = terminal('typed');
    await expect(readMessage({}, stream)).rejects.toMatchObject({
      code: 'SAFETYNET_USAGE',
      message: expect.stringContaining('no message — pass --message <text>'),
    });
    expect(state.read).toBe(false);
  });

  it('--message - reads the terminal too (until end of input)', async () => {
    const { stream } = terminal('typed');
    expect(await readMessage({ message: '-' }, stream)).toBe('typed');
  });

  it('--message <text> never reads stdin', async () => {
    const { stream, state } = terminal('typed');
    expect(await readMessage({ message: 'hi' }, stream)).toBe('hi');
    expect(state.read).toBe(false);
  });
});
