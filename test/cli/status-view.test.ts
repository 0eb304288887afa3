/**
 * The text of the live status line (`src/cli/status-view.ts`): what the head line holds, the
 * failover and retry lines under it, escaping, fitting the terminal width, and colours.
 */
import { describe, expect, it } from 'vitest';
import { formatStatusElapsed, MAX_EVENT_LINES, renderStatus, SPINNER_FRAMES, type StatusState } from '../../src/cli/status-view.js';

const plain = { columns: 80, frame: 0, color: false };

describe('status line text', () => {
  it('the head line holds the spinner, the candidate, the machine state and the elapsed time', () => {
    const text = renderStatus({ candidate: 'claude-cli/opus-4.6', state: 'spawning-cli', elapsedMs: 2_430, events: [] }, plain);
    expect(text).toBe(`${SPINNER_FRAMES[0]} claude-cli/opus-4.6 · spawning-cli · 2.4s`);
  });

  it('before the machine chose a candidate the head line names the state only', () => {
    expect(renderStatus({ state: 'starting', elapsedMs: 0, events: [] }, { ...plain, frame: 11 })).toBe(
      `${SPINNER_FRAMES[1]} starting · 0.0s`,
    );
  });

  it('elapsed time reads in tenths of a second, then in minutes and seconds from one minute on', () => {
    expect([0, 99, 100, 59_949, 60_000, 125_400].map(formatStatusElapsed)).toEqual(['0.0s', '0.0s', '0.1s', '59.9s', '1m 00s', '2m 05s']);
  });

  it('failovers and retry notices are listed under the head line, oldest first; the oldest beyond the limit are counted in one line', () => {
    const events = Array.from({ length: MAX_EVENT_LINES + 2 }, (_, n) => ({
      kind: n % 2 === 0 ? ('failover' as const) : ('retry' as const),
      text: `event ${n}`,
    }));
    const lines = renderStatus({ candidate: 'x/y', state: 'falling-back', elapsedMs: 1_000, events }, plain).split('\n');
    expect(lines).toHaveLength(1 + 1 + MAX_EVENT_LINES);
    expect(lines[1]).toBe('  … 2 earlier');
    expect(lines.slice(2)).toEqual(events.slice(2).map((event) => `  ${event.kind === 'failover' ? '✗' : '↻'} ${event.text}`));
  });

  it('control characters of CLI output are shown escaped and line breaks folded, so the text cannot move the cursor', () => {
    const state: StatusState = {
      state: 'falling-back',
      elapsedMs: 0,
      events: [{ kind: 'failover', text: 'a/b failed (auth):\n\u001b[2Jbad\u0007' }],
    };
    const line = renderStatus(state, plain).split('\n')[1];
    expect(line).toBe('  ✗ a/b failed (auth): \\x1b[2Jbad\\x07');
  });

  it('every line is cut to one column less than the terminal, ending with …', () => {
    const long = 'x'.repeat(200);
    const lines = renderStatus(
      { candidate: long, state: 'spawning-cli', elapsedMs: 0, events: [{ kind: 'retry', text: long }] },
      { ...plain, columns: 40 },
    ).split('\n');
    expect(lines.map((line) => line.length)).toEqual([39, 39]);
    expect(lines.every((line) => line.endsWith('…'))).toBe(true);
  });

  it('colours only when asked: the spinner cyan, failovers red, retries yellow', () => {
    const state: StatusState = {
      state: 's',
      elapsedMs: 0,
      events: [
        { kind: 'failover', text: 'f' },
        { kind: 'retry', text: 'r' },
      ],
    };
    expect(renderStatus(state, plain)).not.toMatch(/\u001b/);
    const coloured = renderStatus(state, { ...plain, color: true });
    expect(coloured).toContain(`\u001b[36m${SPINNER_FRAMES[0]}\u001b[0m`);
    expect(coloured).toContain('\u001b[31m✗\u001b[0m');
    expect(coloured).toContain('\u001b[33m↻\u001b[0m');
  });
});
