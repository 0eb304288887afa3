/**
 * The retry watch, fed the stdout of the real CLI fixtures (`../shared/fixtures/real-cli`, claude
 * `stream-json-*`, codex `--json`) line by line and in odd chunk sizes, plus synthetic notices for
 * the branches the fixtures do not reach (long waits, a CLI allowed more retries than the limit).
 */
import { describe, expect, it } from 'vitest';
import {
  CliOutputWatcher,
  DEFAULT_CLAUDE_RETRY_LIMIT,
  DEFAULT_CODEX_RETRY_LIMIT,
  MAX_WATCHED_LINE_CHARS,
  readRetryNotice,
  watchRetryNotice,
  type CliAbandonEvent,
  type CliWatchEvent,
} from '../../../src/actors/cli/watch.js';
import type { FailureReason } from '../../../src/errors.js';
import { loadFixtureRows, readFixtureFile, type FixtureRow } from '../../support/fixtures.js';

/** Feeds a whole stdout in chunks of `size` characters, then ends it. */
function replay(stdout: string, size = Number.POSITIVE_INFINITY, watcher = new CliOutputWatcher({ cli: 'x' })): CliWatchEvent[] {
  const events: CliWatchEvent[] = [];
  const step = Number.isFinite(size) ? size : Math.max(1, stdout.length);
  for (let i = 0; i < stdout.length; i += step) events.push(...watcher.feed(stdout.slice(i, i + step)));
  events.push(...watcher.end());
  return events;
}

function abandonOf(events: CliWatchEvent[]): CliAbandonEvent | undefined {
  return events.find((event): event is CliAbandonEvent => event.type === 'cli.abandon');
}

function retriesOf(events: CliWatchEvent[]) {
  return events.filter((event) => event.type === 'cli.retry');
}

const claudeLine = (fields: Record<string, unknown>): string =>
  `${JSON.stringify({ type: 'system', subtype: 'api_retry', attempt: 1, max_retries: 2, retry_delay_ms: 520.4, error_status: 529, error: 'overloaded', session_id: 's', uuid: 'u', ...fields })}\n`;
const codexLine = (message: string): string => `${JSON.stringify({ type: 'error', message })}\n`;

/** What each JSONL fixture must give: the abandon (cause, reason, notice count) or none. */
type Expected =
  | { abandon: [CliAbandonEvent['cause'], FailureReason, number]; status?: number }
  | { retries: number; reasons?: FailureReason[] };

const EXPECTED: Record<string, Expected> = {
  // Claude, CLAUDE_CODE_MAX_RETRIES=2: a 401 is abandoned on its first notice; transient errors run
  // Claude's own 2 retries (attempt 2 of 2 is its last: it ends by itself ~1 s later).
  'claude/stream-json-http-401': { abandon: ['fatal', 'auth', 1], status: 401 },
  'claude/stream-json-http-429': { retries: 2, reasons: ['rate_limit', 'rate_limit'] },
  'claude/stream-json-http-500': { retries: 2, reasons: ['server_error', 'server_error'] },
  'claude/stream-json-http-503': { retries: 2, reasons: ['overloaded', 'overloaded'] },
  'claude/stream-json-http-529': { retries: 2, reasons: ['overloaded', 'overloaded'] },
  'claude/stream-json-connection-refused': { retries: 2, reasons: ['unknown', 'unknown'] },
  'claude/stream-json-hang-timeout': { retries: 2, reasons: ['unknown', 'unknown'] },
  'claude/output-stream-json': { retries: 0 },
  // Codex, default provider retries (5 rounds): one notice is one failed round.
  'codex/http-401': { abandon: ['fatal', 'auth', 1], status: 401 },
  'codex/http-403': { abandon: ['fatal', 'auth', 1], status: 403 },
  'codex/http-404-model': { abandon: ['fatal', 'model_not_found', 1], status: 404 },
  'codex/http-429': { abandon: ['retry-limit', 'rate_limit', 1], status: 429 },
  'codex/http-500': { abandon: ['retry-limit', 'overloaded', 1] },
  'codex/http-503': { abandon: ['retry-limit', 'overloaded', 1], status: 503 },
  'codex/connection-refused': { abandon: ['never-gives-up', 'transport', 1] },
  'codex/no-credentials': { abandon: ['retry-limit', 'transport', 1] },
  'codex/success-openai-base-url-env': { abandon: ['retry-limit', 'transport', 1] },
  // Codex with stream_max_retries = 1: "1/1" is its last round, it ends by itself.
  'codex/http-429-few-retries': { retries: 1, reasons: ['rate_limit'] },
  'codex/http-500-few-retries': { retries: 1, reasons: ['overloaded'] },
  'codex/http-503-few-retries': { retries: 1, reasons: ['overloaded'] },
  'codex/http-529-few-retries': { retries: 1, reasons: ['overloaded'] },
  'codex/stall-idle-timeout-5s': { retries: 1, reasons: ['timeout'] },
  'codex/malformed-json-200': { retries: 1, reasons: ['server_error'] },
  'codex/response-failed-rate-limit': { retries: 1, reasons: ['rate_limit'] },
  'codex/response-failed-server-error': { retries: 1, reasons: ['server_error'] },
};

const jsonlRows = loadFixtureRows().filter((row) => row.cli !== 'gemini' && row.stdout.endsWith('.jsonl'));
const id = (row: FixtureRow): string => `${row.cli}/${row.case}`;

describe('the retry watch over every real JSONL fixture', () => {
  it('covers the claude stream-json and codex --json fixtures', () => {
    expect(jsonlRows.length).toBeGreaterThanOrEqual(40);
    for (const key of Object.keys(EXPECTED)) expect(jsonlRows.map(id)).toContain(key);
  });

  it.each(jsonlRows.map((row) => [id(row), row] as const))('%s', (key, row) => {
    const stdout = readFixtureFile(row.stdout);
    const events = replay(stdout);
    const expected = EXPECTED[key] ?? { retries: 0 };
    if ('abandon' in expected) {
      const abandon = abandonOf(events);
      expect(abandon, `${key} should be abandoned`).toBeDefined();
      const [cause, reason, count] = expected.abandon;
      expect(abandon).toMatchObject({ cause, failure: { reason }, retry: { count } });
      if (expected.status !== undefined) expect(abandon?.failure.status).toBe(expected.status);
      // nothing after the decision
      expect(events.at(-1)).toBe(abandon);
    } else {
      expect(abandonOf(events)).toBeUndefined();
      const retries = retriesOf(events);
      expect(retries).toHaveLength(expected.retries);
      if (expected.reasons !== undefined) expect(retries.map((event) => event.reason)).toEqual(expected.reasons);
    }
  });

  it('gives the same events whatever the chunking (1, 7, 100 characters, whole)', () => {
    for (const key of ['claude/stream-json-http-529', 'claude/stream-json-http-401', 'codex/http-500', 'codex/connection-refused']) {
      const row = jsonlRows.find((candidate) => id(candidate) === key)!;
      const stdout = readFixtureFile(row.stdout);
      const whole = replay(stdout);
      for (const size of [1, 7, 100]) expect(replay(stdout, size), `${key} in chunks of ${size}`).toEqual(whole);
    }
  });
});

describe('Claude api_retry notices', () => {
  it('reads attempt, limit, delay, status and category, and classifies with the shared classifier', () => {
    const [retry] = replay(claudeLine({ attempt: 1, max_retries: 2, retry_delay_ms: 604.13, error_status: 529, error: 'overloaded' }));
    expect(retry).toEqual({
      type: 'cli.retry',
      dialect: 'claude',
      count: 1,
      attempt: 1,
      maxRetries: 2,
      delayMs: 604,
      status: 529,
      code: 'overloaded',
      reason: 'overloaded',
      message: expect.stringMatching(/^x: API request failed \(HTTP 529, overloaded\)/),
    });
  });

  it('a CLI allowed more retries than the limit is abandoned at the limit (retry-limit), keeping the reason', () => {
    const stdout = [1, 2, 3].map((attempt) => claudeLine({ attempt, max_retries: 10, error_status: 503, error: 'server_error' })).join('');
    const events = replay(stdout);
    expect(retriesOf(events)).toHaveLength(DEFAULT_CLAUDE_RETRY_LIMIT);
    expect(abandonOf(events)).toMatchObject({ cause: 'retry-limit', failure: { reason: 'overloaded', status: 503 } });
    expect(abandonOf(events)?.failure.message).toMatch(
      /gave up while x was retrying: 2 retries reported \(limit 2\), the CLI would retry up to 10 times$/,
    );
  });

  it('an announced wait above maxRetryDelayMs is abandoned at once, with retryAfterMs', () => {
    const events = replay(claudeLine({ retry_delay_ms: 30_000, error_status: 429, error: 'rate_limit' }));
    expect(abandonOf(events)).toMatchObject({ cause: 'retry-delay', failure: { reason: 'rate_limit', status: 429, retryAfterMs: 30_000 } });
    const relaxed = replay(
      claudeLine({ retry_delay_ms: 30_000, error_status: 429, error: 'rate_limit' }),
      Infinity,
      new CliOutputWatcher({ maxRetryDelayMs: 60_000 }),
    );
    expect(abandonOf(relaxed)).toBeUndefined();
  });

  it.each([
    [403, 'authentication_failed', 'auth'],
    [402, 'unknown', 'billing'],
    [404, 'unknown', 'model_not_found'],
    [413, 'server_error', 'context_overflow'],
  ] as const)('status %i (%s) is fatal at once: %s', (status, error, reason) => {
    expect(abandonOf(replay(claudeLine({ error_status: status, error })))).toMatchObject({ cause: 'fatal', failure: { reason, status } });
  });

  it('no status and category unknown (refused connection, timeout) stays transient', () => {
    const events = replay(claudeLine({ error_status: null, error: 'unknown' }));
    expect(retriesOf(events)[0]).toMatchObject({ reason: 'unknown' });
    expect(retriesOf(events)[0]).not.toHaveProperty('status');
    expect(abandonOf(events)).toBeUndefined();
  });
});

describe('Codex Reconnecting notices', () => {
  it('parses n/m and the cause, and waiting for network', () => {
    expect(
      readRetryNotice(
        codexLine('Reconnecting... 2/5 (unexpected status 503 Service Unavailable: busy, url: http://127.0.0.1:1/v1/responses)'),
      ),
    ).toEqual({
      dialect: 'codex',
      attempt: 2,
      maxRetries: 5,
      text: 'unexpected status 503 Service Unavailable: busy, url: http://127.0.0.1:1/v1/responses',
      waitingForNetwork: false,
    });
    expect(readRetryNotice(codexLine('Reconnecting... waiting for network (Connection failed: error sending request)'))).toEqual({
      dialect: 'codex',
      text: 'Reconnecting... waiting for network (Connection failed: error sending request)',
      waitingForNetwork: true,
    });
  });

  it.each([
    ['Reconnecting... 1/5 (Quota exceeded. Check your plan and billing details.)', 'fatal', 'billing'],
    ['Reconnecting... 1/5 (Missing environment variable: `STUB_OPENAI_API_KEY`.)', 'fatal', 'auth'],
    ['Reconnecting... 1/5 (unexpected status 401 Unauthorized: Incorrect API key provided)', 'fatal', 'auth'],
    ["Reconnecting... 1/5 (Codex ran out of room in the model's context window. Start a new thread)", 'fatal', 'context_overflow'],
    ['Reconnecting... waiting for network (Connection failed: error sending request)', 'never-gives-up', 'transport'],
    ['Reconnecting... 1/5 (exceeded retry limit, last status: 429 Too Many Requests)', 'retry-limit', 'rate_limit'],
  ] as const)('%s → %s %s', (message, cause, reason) => {
    expect(abandonOf(replay(codexLine(message)))).toMatchObject({ cause, failure: { reason } });
  });

  it('a final error line (not a retry notice) and warning items are not retries', () => {
    const stdout = [
      codexLine('Quota exceeded. Check your plan and billing details.'),
      `${JSON.stringify({ type: 'item.completed', item: { id: 'item_0', type: 'error', message: 'Reconnecting... Falling back from WebSockets to HTTPS transport' } })}\n`,
      `${JSON.stringify({ type: 'turn.failed', error: { message: 'Reconnecting... 1/5 (x)' } })}\n`,
    ].join('');
    expect(replay(stdout)).toEqual([]);
  });

  it(`abandons at the first failed round by default (limit ${DEFAULT_CODEX_RETRY_LIMIT}); a higher limit waits longer`, () => {
    const stdout = [1, 2, 3].map((n) => codexLine(`Reconnecting... ${n}/5 (unexpected status 503 Service Unavailable: busy)`)).join('');
    expect(abandonOf(replay(stdout))?.retry.count).toBe(1);
    expect(abandonOf(replay(stdout, Infinity, new CliOutputWatcher({ codexRetryLimit: 3 })))?.retry.count).toBe(3);
  });
});

describe('line handling', () => {
  it('ignores text lines, other JSON events and broken JSON', () => {
    const stdout = [
      'hello',
      '{"type":"system","subtype":"init","session_id":"s"}',
      '{"type":"system","subtype":"api_retry",',
      '{"type":"result","is_error":false}',
      '',
    ].join('\n');
    expect(replay(stdout)).toEqual([]);
  });

  it('a partial line waits for its newline; end() reads an unterminated last line', () => {
    const watcher = new CliOutputWatcher();
    const line = claudeLine({ error_status: 401, error: 'authentication_failed' }).trimEnd();
    expect(watcher.feed(line.slice(0, 40))).toEqual([]);
    expect(watcher.feed(line.slice(40))).toEqual([]);
    expect(abandonOf(watcher.end())).toMatchObject({ failure: { reason: 'auth' } });
    expect(watcher.abandoned).toBe(true);
    expect(watcher.retries).toBe(1);
  });

  it('after abandoning it reports nothing more', () => {
    const watcher = new CliOutputWatcher();
    expect(abandonOf(watcher.feed(claudeLine({ error_status: 401, error: 'authentication_failed' })))).toBeDefined();
    expect(watcher.feed(claudeLine({ error_status: 401, error: 'authentication_failed' }))).toEqual([]);
    expect(watcher.end()).toEqual([]);
  });

  it(`a line longer than ${MAX_WATCHED_LINE_CHARS} characters is skipped without being kept`, () => {
    const huge = `{"type":"assistant","message":"${'a'.repeat(MAX_WATCHED_LINE_CHARS + 10)}"}`;
    const watcher = new CliOutputWatcher();
    for (let i = 0; i < huge.length; i += 4096) expect(watcher.feed(huge.slice(i, i + 4096))).toEqual([]);
    // the next line is read normally
    const events = watcher.feed(`\n${claudeLine({ error_status: 401, error: 'authentication_failed' })}`);
    expect(abandonOf(events)).toMatchObject({ failure: { reason: 'auth' } });
    // a retry line glued to the end of an over-long line is skipped with it (never split mid-line)
    const glued = new CliOutputWatcher();
    glued.feed(huge);
    expect(glued.feed(claudeLine({ error_status: 401, error: 'authentication_failed' }))).toEqual([]);
  });
});

describe('policy helpers', () => {
  it('watchRetryNotice is pure: the same notice and count give the same events', () => {
    const notice = readRetryNotice(claudeLine({}))!;
    expect(watchRetryNotice(notice, 1, { cli: 'claude' })).toEqual(watchRetryNotice(notice, 1, { cli: 'claude' }));
    expect(watchRetryNotice(notice, 1, { cli: 'claude' })).toHaveLength(1);
  });
});
