import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkCliPreflight, commandExists } from '../../../src/actors/cli/preflight.js';
import { AttemptError } from '../../../src/errors.js';

// An installed command (this Node binary): the root refusal applies only to a command that exists.
const claudePlan = (env: Record<string, string> = {}) => ({
  command: process.execPath,
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

  it('command not found comes first: as root with the command not installed, it says the command is missing, not that it refuses root', () => {
    const plan = { ...claudePlan(), command: 'safetynet-no-such-claude', env: { PATH: path.dirname(process.execPath) } };
    const error = caught(() => checkCliPreflight(plan, { uid: 0, backendId: 'claude-cli' }));
    expect(error).toBeInstanceOf(AttemptError);
    expect((error as AttemptError).reason).toBe('config');
    expect((error as AttemptError).message).toBe(
      'command "safetynet-no-such-claude" not found: install it or set agents.defaults.cliBackends.claude-cli.command to its full path',
    );
    const relative = caught(() => checkCliPreflight({ ...claudePlan(), command: './no-such-cli', cwd: os.tmpdir() }, { uid: 0 }));
    expect((relative as AttemptError).message).toContain('command "./no-such-cli" not found');
  });

  it('the command lookup follows the child PATH, as spawn does', () => {
    const folder = path.dirname(process.execPath);
    const name = path.basename(process.execPath);
    expect(commandExists(name, { PATH: `/nonexistent${path.delimiter}${folder}` })).toBe(true);
    expect(commandExists(name, { PATH: '/nonexistent' })).toBe(false);
    expect(commandExists(process.execPath, {})).toBe(true);
  });

  it('uses the process uid by default', () => {
    const error = caught(() => checkCliPreflight(claudePlan()));
    expect(error === undefined).toBe(process.getuid?.() !== 0);
  });
});
