/**
 * `safetynet trace` and `safetynet agent --verbose`, run as a user runs them, against the fixture
 * CLI in a temp SAFETYNET_HOME.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RequestTrace } from '../../src/store/trace-types.js';
import { cleanup, configWith, extraFakeState, fakeBackend, safetynet, sandbox, setModes, writeConfig } from './support.js';

afterEach(cleanup);

/** Three candidates: `a` answers 401, `missing` does not exist, `b` answers. */
async function fallbackSandbox(traces?: Record<string, unknown>) {
  const box = await sandbox();
  const second = await extraFakeState(box, 'fake-b');
  const config = writeConfig(path.join(box.root, 'config.json5'), {
    ...(traces === undefined ? {} : { safetynet: { traces } }),
    ...(configWith(
      { a: fakeBackend(box.fakeState), missing: { command: path.join(box.root, 'no-such-cli') }, b: fakeBackend(second) },
      { model: { primary: 'a/default', fallbacks: ['missing/x', 'b/default'] } },
    ) as object),
  });
  setModes(box.fakeState, ['auth']);
  return { ...box, config };
}

describe('safetynet trace', () => {
  it('--last prints the timeline of a request that fell back twice: three attempts in order, prompt redacted', async () => {
    const box = await fallbackSandbox();
    const agent = await safetynet(box, ['agent', '--message', 'keep this prompt private', '--config', box.config, '--json']);
    expect(agent.exitCode, agent.stderr).toBe(0);
    const { requestId } = JSON.parse(agent.stdout) as { requestId: string };

    const shown = await safetynet(box, ['trace', '--last', '--config', box.config]);
    expect(shown.exitCode, shown.stderr).toBe(0);
    expect(shown.stdout).toContain(`request ${requestId}: answered by b/default in `);
    expect(shown.stdout).not.toContain('keep this prompt private');
    const attempts = shown.stdout.split('\n').filter((line) => /^ {2}attempt \d/.test(line));
    expect(attempts).toHaveLength(3);
    expect(attempts[0]).toMatch(/^ {2}attempt 1 a\/default failed \(auth, exit 1, HTTP 401, new, \d+ ms\)/);
    expect(attempts[1]).toMatch(/^ {2}attempt 2 missing\/x failed \(config, new, \d+ ms\): command ".*no-such-cli" not found/);
    expect(attempts[2]).toMatch(/^ {2}attempt 3 b\/default answered \(exit 0, new, \d+ ms\)/);
    expect(shown.stdout).toContain(`'<prompt:${'keep this prompt private'.length} chars>'`);
    expect(shown.stdout).toMatch(/planned argv: .*no-such-cli '<prompt:24 chars>'/);
    expect(shown.stdout).toMatch(/\+\d+\.\d{3}s falling-back +a\/default {2}auth: /);

    // by request id (and by a unique prefix), and as JSON for tools
    const json = await safetynet(box, ['trace', requestId, '--json', '--config', box.config]);
    expect(json.exitCode, json.stderr).toBe(0);
    const trace = JSON.parse(json.stdout) as RequestTrace;
    expect(trace.requestId).toBe(requestId);
    expect(trace.attempts.map((attempt) => [attempt.model, attempt.ok])).toEqual([
      ['a/default', false],
      ['missing/x', false],
      ['b/default', true],
    ]);
    const byPrefix = await safetynet(box, ['trace', requestId.slice(0, 8), '--json', '--config', box.config]);
    expect((JSON.parse(byPrefix.stdout) as RequestTrace).requestId).toBe(requestId);
  });

  it('no trace, an unknown id, and --last with an id are reported with their exit codes', async () => {
    const box = await fallbackSandbox();
    const none = await safetynet(box, ['trace', '--config', box.config]);
    expect(none.exitCode).toBe(1);
    expect(none.stderr).toContain('no request traces are stored yet');
    await safetynet(box, ['agent', '--message', 'hi', '--config', box.config]);
    const unknown = await safetynet(box, ['trace', 'no-such-request', '--config', box.config]);
    expect(unknown.exitCode).toBe(1);
    expect(unknown.stderr).toContain('no trace of request "no-such-request"');
    const both = await safetynet(box, ['trace', 'abc', '--last', '--config', box.config]);
    expect(both.exitCode).toBe(2);
  });

  it('a failed request leaves a trace too; safetynet.traces bounds are validated with key paths', async () => {
    const box = await fallbackSandbox({ maxCount: 1 });
    setModes(path.join(box.root, 'fake-b'), ['auth']);
    const failed = await safetynet(box, ['agent', '--message', 'hi', '--config', box.config]);
    expect(failed.exitCode).toBe(1);
    const shown = await safetynet(box, ['trace', '--last', '--json', '--config', box.config]);
    expect(JSON.parse(shown.stdout)).toMatchObject({ status: 'failed', error: { code: 'SAFETYNET_ALL_CANDIDATES_FAILED' } });

    const bad = writeConfig(path.join(box.root, 'bad.json5'), { safetynet: { traces: { maxCount: -1, maxAgeDay: 3 } } });
    const invalid = await safetynet(box, ['trace', '--config', bad]);
    expect(invalid.exitCode).toBe(2);
    expect(invalid.stderr).toContain('safetynet.traces.maxCount');
    expect(invalid.stderr).toContain('safetynet.traces.maxAgeDay');
    expect(invalid.stderr).toContain('did you mean "maxAgeDays"?');
  });
});

describe('safetynet agent --verbose', () => {
  it('prints each state and attempt to stderr as it happens; stdout stays the reply', async () => {
    const box = await fallbackSandbox();
    const run = await safetynet(box, ['agent', '--message', 'hi', '--verbose', '--config', box.config]);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^echo: hi turns=1/);
    const lines = run.stderr.split('\n');
    const states = lines
      .filter((line) => /^safetynet: \+\d+\.\d{3}s [a-z-]+ /.test(line) && !line.includes(' attempt '))
      .map((line) => line.split(/\s+/)[2]);
    expect(states).toEqual([
      'selecting-model',
      'spawning-cli',
      'parsing',
      'falling-back',
      'selecting-model',
      'spawning-cli',
      'falling-back',
      'selecting-model',
      'spawning-cli',
      'parsing',
      'answered',
    ]);
    expect(
      lines.filter((line) => line.includes(' attempt ')).map((line) => line.replace(/^safetynet: \+\d+\.\d{3}s /, '').split(' (')[0]),
    ).toEqual(['attempt 1 a/default failed', 'attempt 2 missing/x failed', 'attempt 3 b/default answered']);
    // without --verbose: only the usual summary
    const quiet = await safetynet(box, ['agent', '--message', 'hi', '--config', box.config]);
    expect(quiet.stderr).not.toMatch(/\+\d+\.\d{3}s/);
  });
});
