/**
 * `--verbose` output: printed as the request runs, from the same inspection events as the trace,
 * so its lines and the stored trace agree.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createVerbosePrinter, type Runtime } from '../../src/index.js';
import { formatAttemptLine, formatElapsed, formatStep, quote } from '../../src/inspection/verbose.js';
import { twoCliRuntime } from '../support/two-cli-runtime.js';

describe('formatting', () => {
  it('formats elapsed time, steps, attempts and argv', () => {
    expect(formatElapsed(1234)).toBe('+1.234s');
    expect(formatStep({ state: 'falling-back', atMs: 5, candidate: 'a/b', reason: 'auth', detail: 'bad\nkey' })).toBe(
      '+0.005s falling-back       a/b  auth: bad key',
    );
    expect(
      formatAttemptLine({
        index: 2,
        model: 'x/y',
        backend: 'api',
        provider: 'x',
        ok: false,
        reason: 'rate_limit',
        status: 429,
        startedAtMs: 0,
        endedAtMs: 9,
        durationMs: 9,
        detail: 'slow down',
      }),
    ).toBe('attempt 2 x/y failed (rate_limit, HTTP 429, 9 ms): slow down');
    expect(quote('--model')).toBe('--model');
    expect(quote("it's")).toBe(`'it'\\''s'`);
  });
});

describe('createVerbosePrinter through the runtime', () => {
  let dir: string;
  let runtime: Runtime | undefined;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'safetynet-verbose-'));
  });
  afterEach(async () => {
    await runtime?.close();
    runtime = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('prints each state and attempt as it happens, in the order of the stored trace', async () => {
    const made = await twoCliRuntime(dir);
    const { first, second } = made;
    runtime = made.runtime;
    first.setMode('auth');
    const lines: string[] = [];
    let secondHadRunAtFirstAttempt: boolean | undefined;
    const result = await runtime.run({
      message: 'a prompt that never shows up in verbose output',
      inspect: createVerbosePrinter((line) => {
        lines.push(line);
        if (line.includes(' attempt 1 ')) secondHadRunAtFirstAttempt = existsSync(join(dir, 'second', 'last-call.json'));
      }),
    });
    expect(lines.every((line) => line.startsWith('safetynet: ') && line.endsWith('\n'))).toBe(true);
    expect(lines.join('')).not.toContain('a prompt that never');
    const stateLines = lines.filter((line) => /^safetynet: \+\d+\.\d{3}s [a-z-]+ /.test(line) && !line.includes(' attempt '));
    const trace = await runtime.traces.last();
    expect(trace!.requestId).toBe(result.requestId);
    expect(stateLines.map((line) => line.split(/\s+/)[2])).toEqual(trace!.steps.map((step) => step.state));
    const attemptLines = lines.filter((line) => line.includes(' attempt '));
    expect(attemptLines).toHaveLength(2);
    expect(attemptLines[0]).toMatch(new RegExp(`attempt 1 ${first.model} failed \\(auth, exit 1, HTTP 401, new, \\d+ ms\\): `));
    expect(attemptLines[1]).toMatch(new RegExp(`attempt 2 ${second.model} answered \\(exit 0, new, \\d+ ms\\)`));
    expect(lines.filter((line) => line.includes('argv: '))[0]).toContain(
      `'<prompt:${'a prompt that never shows up in verbose output'.length} chars>'`,
    );
    expect(lines.find((line) => line.includes('falling-back'))).toContain(`${first.model}  auth: `);
    expect(secondHadRunAtFirstAttempt).toBe(false); // printed as it happened, before the fallback ran
    // timestamps never go backwards
    const times = lines
      .map((line) => /\+(\d+\.\d{3})s/.exec(line)?.[1])
      .filter((t): t is string => t !== undefined)
      .map(Number);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });
});
