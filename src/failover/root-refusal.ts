/**
 * Claude Code's root refusal, in one place: as root (uid 0) it refuses
 * `--dangerously-skip-permissions` (`--dangerously-skip-permissions cannot be used with root/sudo
 * privileges for security reasons`, exit 1) unless `IS_SANDBOX` is exactly `"1"` in its environment
 * (measured with claude 2.1.197: `"true"` and `"yes"` are still refused). safetynet never sets it
 * silently: the user decides. Read by the CLI preflight, the CLI failure classifier and `doctor`.
 */

/** The flag Claude Code refuses as root unless `IS_SANDBOX=1` is set. */
export const SKIP_PERMISSIONS_FLAG = '--dangerously-skip-permissions';

/** Claude's refusal line, as printed by 2.1.x. */
export const ROOT_REFUSAL_TEXT = /cannot be used with root\/sudo privileges/i;

/** An environment as a child process gets it (a subset of `process.env`). */
type Env = Readonly<Record<string, string | undefined>>;

/** True when `env` lifts Claude's root refusal: `IS_SANDBOX` is exactly `"1"`. */
export function sandboxLifted(env: Env): boolean {
  return env['IS_SANDBOX'] === '1';
}

/**
 * True when Claude will refuse to run `argv`: running as root (`uid` 0), the argv holds
 * {@link SKIP_PERMISSIONS_FLAG} and `env` does not lift the refusal. `uid` undefined (Windows) never refuses.
 */
export function refusedAsRoot(argv: readonly string[], env: Env, uid: number | undefined): boolean {
  return uid === 0 && argv.includes(SKIP_PERMISSIONS_FLAG) && !sandboxLifted(env);
}

/** The effective uid: the given one when the caller set the key (even to `undefined`), else `process.getuid?.()`. */
export function effectiveUid(options: { uid?: number | undefined }): number | undefined {
  return 'uid' in options ? options.uid : process.getuid?.();
}

/** What `env` says about `IS_SANDBOX`, for messages: `no IS_SANDBOX`, or `IS_SANDBOX="x" (only "1" lifts the refusal)`. */
export function sandboxState(env: Env): string {
  const value = env['IS_SANDBOX'];
  return value === undefined ? 'no IS_SANDBOX' : `IS_SANDBOX="${value}" (only "1" lifts the refusal)`;
}

/**
 * The fix of a root refusal for the CLI backend `backendId` (e.g. `claude-cli`): set
 * `agents.defaults.cliBackends.<id>.env.IS_SANDBOX = "1"` inside a trusted sandbox, or run as a non-root user.
 */
export function rootRefusalFix(backendId: string): string {
  return `set agents.defaults.cliBackends.${backendId}.env.IS_SANDBOX = "1" (only inside a sandbox you trust) or run safetynet as a non-root user`;
}
