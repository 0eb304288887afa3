/**
 * The retry watch over Gemini's stderr (`source: 'stderr'`): every real gemini fixture's stderr,
 * fed in odd chunk sizes. A gemini that retries (429 / 500 / 503) is given up at its first
 * `Attempt 1 failed with status S` line with the classified reason; a run that does not retry
 * (success, 400 bad key, 401, 403, setup errors) reports nothing. The stdout watch never reads
 * these lines.
 */
import { describe, expect, it } from 'vitest';
import {
  CliOutputWatcher,
  DEFAULT_GEMINI_RETRY_LIMIT,
  readGeminiRetryNotice,
  readRetryNotice,
  type CliAbandonEvent,
  type CliWatchEvent,
} from '../../../src/actors/cli/watch.js';
import { loadFixtureMeta, loadFixtureRows, readFixtureFile, type FixtureRow } from '../../support/fixtures.js';

function replay(stderr: string, size: number, watcher = new CliOutputWatcher({ cli: 'gemini', source: 'stderr' })): CliWatchEvent[] {
  const events: CliWatchEvent[] = [];
  for (let i = 0; i < stderr.length; i += size) events.push(...watcher.feed(stderr.slice(i, i + size)));
  events.push(...watcher.end());
  return events;
}

const RETRYING: Record<string, { reason: string; status: number }> = {
  'gemini/http-429': { reason: 'rate_limit', status: 429 },
  'gemini/http-500': { reason: 'server_error', status: 500 },
  'gemini/http-503': { reason: 'overloaded', status: 503 },
};

const rows = loadFixtureRows().filter((row) => row.cli === 'gemini' && row.stderr !== null);
const id = (row: FixtureRow): string => `${row.cli}/${row.case}`;
const stderrOf = (row: FixtureRow): string => readFixtureFile(row.stderr ?? '');

describe('the retry watch over every real gemini stderr', () => {
  it('covers the retrying fixtures', () => {
    for (const key of Object.keys(RETRYING)) expect(rows.map(id)).toContain(key);
  });

  it.each(rows.map((row) => [id(row), row] as const))('%s', (key, row) => {
    const stderr = stderrOf(row);
    for (const size of [1, 97, stderr.length]) {
      const events = replay(stderr, Math.max(1, size));
      const expected = RETRYING[key];
      if (expected === undefined) {
        expect(events, `${key} in chunks of ${size}`).toEqual([]);
        continue;
      }
      const abandon = events.find((event): event is CliAbandonEvent => event.type === 'cli.abandon');
      expect(abandon, `${key} in chunks of ${size}`).toMatchObject({
        cause: 'retry-limit',
        failure: { reason: expected.reason, status: expected.status },
        retry: { dialect: 'gemini', count: DEFAULT_GEMINI_RETRY_LIMIT, attempt: 1 },
      });
      expect(events.at(-1)).toBe(abandon);
    }
  });

  it('the first notice arrives with the first failed request, seconds before the second one', () => {
    for (const key of Object.keys(RETRYING)) {
      const meta = loadFixtureMeta(rows.find((row) => id(row) === key)!) as unknown as {
        output_timeline: { t_ms: number; line: string }[];
        requests: { t_ms: number }[];
      };
      const first = meta.output_timeline.find((entry) => readGeminiRetryNotice(entry.line) !== undefined);
      expect(first, key).toBeDefined();
      expect(first!.t_ms).toBeLessThan(meta.requests[1]!.t_ms);
    }
  });
});

describe('Gemini notices', () => {
  it('reads the attempt, the status and the error after it', () => {
    expect(readGeminiRetryNotice('Attempt 2 failed with status 503. Retrying with backoff... _ApiError: {"error":{"code":503}}')).toEqual({
      dialect: 'gemini',
      attempt: 2,
      status: 503,
      text: '_ApiError: {"error":{"code":503}}',
      waitingForNetwork: false,
    });
  });

  it('a notice without a status (no answer) is still a notice', () => {
    expect(readGeminiRetryNotice('Attempt 1 failed. Retrying with backoff... TypeError: fetch failed')).toMatchObject({
      attempt: 1,
      text: 'TypeError: fetch failed',
    });
  });

  it('other stderr lines are not notices, and the stdout watch ignores gemini lines', () => {
    expect(readGeminiRetryNotice('Ripgrep is not available. Falling back to GrepTool.')).toBeUndefined();
    expect(readGeminiRetryNotice('    at async retryWithBackoff (file://x.js:1:1)')).toBeUndefined();
    expect(readRetryNotice('Attempt 1 failed with status 429. Retrying with backoff... x')).toBeUndefined();
  });

  it('a higher geminiRetryLimit lets gemini retry', () => {
    const stderr = stderrOf(rows.find((row) => id(row) === 'gemini/http-429')!);
    const events = replay(stderr, stderr.length, new CliOutputWatcher({ cli: 'gemini', source: 'stderr', geminiRetryLimit: 9 }));
    expect(events.filter((event) => event.type === 'cli.abandon')).toEqual([]);
    expect(events.filter((event) => event.type === 'cli.retry').length).toBeGreaterThanOrEqual(3);
  });
});
