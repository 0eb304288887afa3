import { describe, expect, it } from 'vitest';
import { checkCliPreflight } from '../../../src/actors/cli/preflight.js';
import { AttemptError } from '../../../src/errors.js';

const claudePlan = (env: Record<string, string> = {}) => ({
  command: 'claude',
  argv: ['-p', '--output-format', 'json', '--dangerously-skip-permissions', '--', 'hi'],
  env,
});

function caught(fn: () => void): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('root refusal preflight (real-clis.md §1.1)', () => {
  it('as root with --dangerously-skip-permissions and no IS_SANDBOX: a config failure naming the fix', () => {
    const error = caught(() => checkCliPreflight(claudePlan(), { uid: 0, backendId: 'claude-cli' }));
    expect(error).toBeInstanceOf(AttemptError);
    expect((error as AttemptError).reason).toBe('config');
    expect((error as AttemptError).message).toContain(
      'set agents.defaults.cliBackends.claude-cli.env.IS_SANDBOX = "1" (only inside a sandbox you trust) or run safetynet as a non-root user',
    );
  });

  it('passes when IS_SANDBOX is set in the plan env (never set silently by us)', () => {
    const plan = claudePlan({ IS_SANDBOX: '1' });
    expect(() => checkCliPreflight(plan, { uid: 0 })).not.toThrow();
    const unset = claudePlan();
    expect(caught(() => checkCliPreflight(unset, { uid: 0 }))).toBeInstanceOf(AttemptError);
    expect(unset.env).toEqual({});
  });

  it('only IS_SANDBOX="1" lifts the refusal, as in claude 2.1.197 ("true" and "yes" are still refused)', () => {
    for (const value of ['yes', 'true', '']) {
      const error = caught(() => checkCliPreflight(claudePlan({ IS_SANDBOX: value }), { uid: 0, backendId: 'claude-cli' }));
      expect(error).toBeInstanceOf(AttemptError);
      expect((error as AttemptError).message).toContain(`IS_SANDBOX="${value}" (only "1" lifts the refusal)`);
    }
  });

  it('passes for a non-root user', () => {
    expect(() => checkCliPreflight(claudePlan(), { uid: 1000 })).not.toThrow();
  });

  it('passes as root when the argv has no --dangerously-skip-permissions', () => {
    expect(() => checkCliPreflight({ command: 'codex', argv: ['exec', '--', 'hi'], env: {} }, { uid: 0 })).not.toThrow();
  });

  it('uses the process uid by default', () => {
    const error = caught(() => checkCliPreflight(claudePlan()));
    expect(error === undefined).toBe(process.getuid?.() !== 0);
  });
});
