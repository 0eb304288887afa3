/**
 * Small rules of the command a person lives in (issue 14): the timeout advice names the setting
 * that set the deadline, `sessions reset --backend` refuses an unknown backend, and a usage error
 * leaves no trace. Real processes, the fixture CLI as backend.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { adviceFor } from '../../src/failover/advice.js';
import { cleanup, fakeSandbox, safetynet, setModes } from './support.js';

afterEach(cleanup);

describe('small rules', () => {
  it('the timeout advice names --timeout when the flag set the deadline, and the config key otherwise', async () => {
    const box = await fakeSandbox();
    setModes(box.fakeState, ['hang']);
    const run = await safetynet(box, ['agent', '--message', 'hi', '--model', 'fake/default', '--timeout', '1', '--config', box.config]);
    expect(run.exitCode, run.stderr).toBe(1);
    expect(run.stderr).toContain('timeout');
    expect(run.stderr).toContain('raise --timeout');
    expect(run.stderr).not.toContain('raise agents.defaults.timeoutSeconds');
    expect(adviceFor('timeout')).toBe('no answer in time: retry, or raise agents.defaults.timeoutSeconds');
    expect(adviceFor('timeout', undefined, 'timeoutMs')).toBe('no answer in time: retry, or raise timeoutMs');
  });

  it('sessions reset --backend with an unknown backend is a usage error (exit 2) naming the known ones', async () => {
    const box = await fakeSandbox();
    const run = await safetynet(box, ['sessions', 'reset', 'k', '--backend', 'bogus', '--config', box.config]);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain('unknown backend "bogus": expected one of claude-cli, codex-cli, fake');
    expect(run.stdout).toBe('');
    const known = await safetynet(box, ['sessions', 'reset', 'k', '--backend', 'fake', '--config', box.config]);
    expect(known.exitCode, known.stderr).toBe(0);
  });

  it('a usage error leaves no trace, so it never becomes trace --last', async () => {
    const box = await fakeSandbox();
    const answered = await safetynet(box, ['agent', '--message', 'hi', '--model', 'fake/default', '--json', '--config', box.config]);
    const { requestId } = JSON.parse(answered.stdout) as { requestId: string };
    const bad = await safetynet(box, ['agent', '--message', 'hi', '--model', 'no-such-alias', '--config', box.config]);
    expect(bad.exitCode).toBe(2);
    const last = await safetynet(box, ['trace', '--last', '--json', '--config', box.config]);
    expect(last.exitCode, last.stderr).toBe(0);
    expect(JSON.parse(last.stdout)).toMatchObject({ requestId, status: 'answered' });
  });

  it('--verbose calls the argv of a process that ran (here: killed at its deadline) "argv", not "planned argv"', async () => {
    const box = await fakeSandbox();
    setModes(box.fakeState, ['hang']);
    const args = ['agent', '--message', 'hi', '--model', 'fake/default', '--timeout', '1', '--verbose', '--config', box.config];
    const run = await safetynet(box, args);
    expect(run.exitCode, run.stderr).toBe(1);
    expect(run.stderr).toMatch(/ argv: /);
    expect(run.stderr).not.toContain('planned argv');
  });
});
