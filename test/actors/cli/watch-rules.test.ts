/**
 * The edges of the retry watch (src/actors/cli/watch.ts) that watch.test.ts does not reach with the
 * real fixtures: which lines are notices, the exact words of each decision, the limits at their
 * boundaries, and the line-length bound.
 */
import { describe, expect, it } from 'vitest';
import {
  type CliAbandonEvent,
  CliOutputWatcher,
  type CliWatchEvent,
  DEFAULT_MAX_RETRY_DELAY_MS,
  MAX_WATCHED_LINE_CHARS,
  readRetryNotice,
  watchRetryNotice,
} from '../../../src/actors/cli/watch.js';

const claude = (fields: Record<string, unknown> = {}): string =>
  JSON.stringify({ type: 'system', subtype: 'api_retry', attempt: 1, max_retries: 5, error_status: 529, error: 'overloaded', ...fields });
const codex = (message: string): string => JSON.stringify({ type: 'error', message });

const abandonOf = (events: CliWatchEvent[]) => events.find((event): event is CliAbandonEvent => event.type === 'cli.abandon');

describe('which lines are retry notices', () => {
  it('a notice line is read with surrounding white space', () => {
    expect(readRetryNotice(`  ${claude()}\r`)).toMatchObject({ dialect: 'claude', attempt: 1 });
  });

  it('only a system event of subtype api_retry is a Claude notice', () => {
    expect(readRetryNotice(JSON.stringify({ type: 'system', subtype: 'init', note: 'api_retry' }))).toBeUndefined();
    expect(readRetryNotice(JSON.stringify({ type: 'assistant', subtype: 'api_retry' }))).toBeUndefined();
  });

  it('a Claude notice without numbers or category has none of those fields', () => {
    expect(readRetryNotice(JSON.stringify({ type: 'system', subtype: 'api_retry' }))).toEqual({
      dialect: 'claude',
      waitingForNetwork: false,
    });
  });

  it('only an error event whose whole message is a Reconnecting notice is a Codex notice', () => {
    expect(readRetryNotice(JSON.stringify({ type: 'warning', message: 'Reconnecting... 1/5 (x)' }))).toBeUndefined();
    expect(readRetryNotice(JSON.stringify({ type: 'error', note: 'Reconnecting' }))).toBeUndefined();
    expect(readRetryNotice(codex('stream error: Reconnecting... 1/5 (x)'))).toBeUndefined();
    expect(readRetryNotice(codex('Reconnecting... Falling back from WebSockets to HTTPS transport'))).toBeUndefined();
  });

  it('Codex notices without spaces, without a cause, with many digits or a cause over several lines are read', () => {
    expect(readRetryNotice(codex('Reconnecting...3/5(x)'))).toEqual({
      dialect: 'codex',
      attempt: 3,
      maxRetries: 5,
      text: 'x',
      waitingForNetwork: false,
    });
    expect(readRetryNotice(codex('Reconnecting... 12/15'))).toEqual({
      dialect: 'codex',
      attempt: 12,
      maxRetries: 15,
      text: 'Reconnecting... 12/15',
      waitingForNetwork: false,
    });
    expect(readRetryNotice(codex(' Reconnecting... 1/5 (first\nsecond) '))).toMatchObject({ text: 'first\nsecond' });
  });
});

describe('the retry event', () => {
  it('a Claude notice is described with its status, category and retry numbers', () => {
    const notice = readRetryNotice(claude({ attempt: 2, max_retries: 10, error_status: 529, error: 'overloaded' }))!;
    expect(watchRetryNotice(notice, 1, { cli: 'claude' })[0]).toMatchObject({
      message: 'claude: API request failed (HTTP 529, overloaded); retry 2 of 10',
    });
  });

  it('a Claude notice without them says so, and the CLI name defaults to "cli"', () => {
    const notice = readRetryNotice(JSON.stringify({ type: 'system', subtype: 'api_retry' }))!;
    expect(watchRetryNotice(notice, 1)[0]).toEqual({
      type: 'cli.retry',
      dialect: 'claude',
      count: 1,
      reason: 'unknown',
      message: 'cli: API request failed (no HTTP status, unknown); retry ? of ?',
    });
  });
});

describe('the decisions and their words', () => {
  it('a fatal notice says its reason does not heal, and carries no Retry-After from the announced wait', () => {
    const [, abandon] = watchRetryNotice(
      readRetryNotice(claude({ error_status: 401, error: 'authentication_failed', retry_delay_ms: 520 }))!,
      1,
      {
        cli: 'claude',
      },
    );
    expect(abandon).toMatchObject({ type: 'cli.abandon', cause: 'fatal' });
    const failure = (abandon as CliAbandonEvent).failure;
    expect(failure.message).toBe(
      'claude: API request failed (HTTP 401, authentication_failed); retry 1 of 5 — gave up while claude was retrying: auth failures do not heal by retrying',
    );
    expect(failure).not.toHaveProperty('retryAfterMs');
  });

  it('waiting for network is given up as transport, whatever the cause classified as', () => {
    const notice = readRetryNotice(codex('Reconnecting... waiting for network (unexpected status 503 Service Unavailable)'))!;
    const abandon = abandonOf(watchRetryNotice(notice, 1, { cli: 'codex' }));
    expect(abandon?.cause).toBe('never-gives-up');
    expect(abandon?.retry.reason).toBe('overloaded');
    expect(abandon?.failure.reason).toBe('transport');
    expect(abandon?.failure.message).toMatch(
      / — gave up while codex was retrying: the endpoint is unreachable and the CLI would retry forever$/,
    );
  });

  it(`a wait of exactly the limit (${DEFAULT_MAX_RETRY_DELAY_MS} ms) is waited; one more ms is not`, () => {
    const at = readRetryNotice(claude({ retry_delay_ms: DEFAULT_MAX_RETRY_DELAY_MS }))!;
    expect(abandonOf(watchRetryNotice(at, 1))).toBeUndefined();
    const over = readRetryNotice(claude({ retry_delay_ms: DEFAULT_MAX_RETRY_DELAY_MS + 1 }))!;
    expect(abandonOf(watchRetryNotice(over, 1))?.failure).toMatchObject({
      retryAfterMs: DEFAULT_MAX_RETRY_DELAY_MS + 1,
      message: expect.stringMatching(/the CLI would wait 5001 ms before retrying \(limit 5000 ms\)$/),
    });
  });

  it('the retry limit names one retry in the singular, and the CLI limit only when printed', () => {
    const numbered = readRetryNotice(codex('Reconnecting... 1/5 (unexpected status 503 Service Unavailable)'))!;
    expect(abandonOf(watchRetryNotice(numbered, 1))?.failure.message).toMatch(
      /: 1 retry reported \(limit 1\), the CLI would retry up to 5 times$/,
    );
    const bare = readRetryNotice(codex('Reconnecting... (unexpected status 503 Service Unavailable)'))!;
    expect(abandonOf(watchRetryNotice(bare, 1))?.failure.message).toMatch(/: 1 retry reported \(limit 1\)$/);
  });

  it("each dialect has its own limit: Claude's limit does not apply to Codex", () => {
    const notice = readRetryNotice(codex('Reconnecting... 1/5 (unexpected status 503 Service Unavailable)'))!;
    expect(abandonOf(watchRetryNotice(notice, 1, { claudeRetryLimit: 5 }))?.cause).toBe('retry-limit');
    const claudeNotice = readRetryNotice(claude())!;
    expect(abandonOf(watchRetryNotice(claudeNotice, 2, { codexRetryLimit: 5 }))?.cause).toBe('retry-limit');
    expect(abandonOf(watchRetryNotice(claudeNotice, 2, { claudeRetryLimit: 3 }))).toBeUndefined();
  });
});

describe('the line-length bound', () => {
  /** A Claude notice padded to exactly `length` characters. */
  const padded = (length: number): string => {
    const base = claude({ error_status: 401, error: 'authentication_failed', pad: '' });
    return claude({ error_status: 401, error: 'authentication_failed', pad: 'p'.repeat(length - base.length) });
  };

  it(`a notice of exactly ${MAX_WATCHED_LINE_CHARS} characters is read, whether it comes in pieces or whole`, () => {
    const line = padded(MAX_WATCHED_LINE_CHARS);
    expect(line.length).toBe(MAX_WATCHED_LINE_CHARS);
    const pieces = new CliOutputWatcher();
    expect(pieces.feed(line)).toEqual([]);
    expect(abandonOf(pieces.feed('\n'))?.cause).toBe('fatal');
    expect(abandonOf(new CliOutputWatcher().line(line))?.cause).toBe('fatal');
  });

  it('a notice one character longer is skipped', () => {
    const line = padded(MAX_WATCHED_LINE_CHARS + 1);
    expect(new CliOutputWatcher().line(line)).toEqual([]);
    const pieces = new CliOutputWatcher();
    expect(pieces.feed(line)).toEqual([]);
    expect(pieces.feed('\n')).toEqual([]);
    expect(pieces.retries).toBe(0);
  });

  it('end() closes an over-long line: the next output is read afresh', () => {
    const watcher = new CliOutputWatcher();
    watcher.feed('x'.repeat(MAX_WATCHED_LINE_CHARS + 1));
    expect(watcher.end()).toEqual([]);
    expect(abandonOf(watcher.feed(`${claude({ error_status: 401, error: 'authentication_failed' })}\n`))?.cause).toBe('fatal');
  });

  it('a chunk holding a notice, the decision and more lines stops at the decision', () => {
    const watcher = new CliOutputWatcher();
    const fatal = claude({ error_status: 401, error: 'authentication_failed' });
    const events = watcher.feed(`${fatal}\n${claude()}\n${claude()}`);
    expect(events.map((event) => event.type)).toEqual(['cli.retry', 'cli.abandon']);
    expect(watcher.retries).toBe(1);
    expect(watcher.end()).toEqual([]);
  });
});
