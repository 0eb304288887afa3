/**
 * Claude's root refusal (src/failover/root-refusal.ts): when it refuses, what lifts it, and what the
 * messages say. Pure rules, checked without running as root.
 */
import { describe, expect, it } from 'vitest';
import {
  effectiveUid,
  refusedAsRoot,
  ROOT_REFUSAL_TEXT,
  rootRefusalFix,
  SKIP_PERMISSIONS_FLAG,
  sandboxLifted,
  sandboxState,
} from '../../src/failover/root-refusal.js';

const argv = ['claude', '-p', SKIP_PERMISSIONS_FLAG, 'hi'];

describe('the root refusal', () => {
  it('the refused flag is the one Claude Code names in its refusal', () => {
    expect(SKIP_PERMISSIONS_FLAG).toBe('--dangerously-skip-permissions');
    expect(ROOT_REFUSAL_TEXT.test(`${SKIP_PERMISSIONS_FLAG} cannot be used with root/sudo privileges for security reasons`)).toBe(true);
    expect(ROOT_REFUSAL_TEXT.test('CANNOT BE USED WITH ROOT/SUDO PRIVILEGES')).toBe(true);
    expect(ROOT_REFUSAL_TEXT.test('cannot be used with root privileges')).toBe(false);
  });

  it('only IS_SANDBOX exactly "1" lifts the refusal', () => {
    expect(sandboxLifted({ IS_SANDBOX: '1' })).toBe(true);
    for (const value of ['true', 'yes', ' 1', '0', '', undefined]) expect(sandboxLifted({ IS_SANDBOX: value })).toBe(false);
    expect(sandboxLifted({})).toBe(false);
  });

  it('root with the flag and no sandbox is refused; any one condition missing is not', () => {
    expect(refusedAsRoot(argv, {}, 0)).toBe(true);
    expect(refusedAsRoot(argv, { IS_SANDBOX: 'true' }, 0)).toBe(true);
    expect(refusedAsRoot(argv, { IS_SANDBOX: '1' }, 0)).toBe(false);
    expect(refusedAsRoot(argv, {}, 1000)).toBe(false);
    expect(refusedAsRoot(argv, {}, undefined)).toBe(false);
    expect(refusedAsRoot(['claude', '-p', 'hi'], {}, 0)).toBe(false);
  });

  it('the uid given by the caller wins, even undefined; without the key it is the process uid', () => {
    expect(effectiveUid({ uid: 0 })).toBe(0);
    expect(effectiveUid({ uid: 1234 })).toBe(1234);
    expect(effectiveUid({ uid: undefined })).toBeUndefined();
    expect(effectiveUid({})).toBe(process.getuid?.());
  });

  it('the sandbox state names the value and that only "1" lifts it', () => {
    expect(sandboxState({})).toBe('no IS_SANDBOX');
    expect(sandboxState({ IS_SANDBOX: 'true' })).toBe('IS_SANDBOX="true" (only "1" lifts the refusal)');
  });

  it('the fix names the backend setting and the non-root alternative', () => {
    expect(rootRefusalFix('claude-cli')).toBe(
      'set agents.defaults.cliBackends.claude-cli.env.IS_SANDBOX = "1" (only inside a sandbox you trust) or run safetynet as a non-root user',
    );
  });
});
