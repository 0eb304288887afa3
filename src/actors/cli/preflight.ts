/**
 * Checks run before a CLI is spawned, for failures that are certain and better explained by us,
 * in the order a user fixes them: a command that is not installed first (as root with no `claude`,
 * "not found", not "refuses root"), then the root refusal.
 *
 * Rationale: `docs/cli-contracts.md#root-refusal`: Claude Code refuses `--dangerously-skip-permissions`
 * as root (`--dangerously-skip-permissions cannot be used with root/sudo privileges…`, exit 1) unless
 * `IS_SANDBOX` is set in its environment. We never set it silently: the user decides.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { AttemptError } from '../../errors.js';
import { effectiveUid, refusedAsRoot, rootRefusalFix, SKIP_PERMISSIONS_FLAG, sandboxState } from '../../failover/root-refusal.js';
import type { CliTurnPlan } from '../types.js';

/** Options of {@link checkCliPreflight}. */
export interface CliPreflightOptions {
  /** The effective user id (undefined on Windows: check skipped). @default process.getuid?.() */
  uid?: number;
  /** Backend id used in the message's config path. @default '<id>' */
  backendId?: string;
}

/**
 * The `config` failure of a command that is not installed (spawn's ENOENT, or the preflight's
 * PATH lookup): names the command and the key to set.
 */
export function commandNotFound(command: string, backendId: string | undefined, cause?: unknown): AttemptError {
  const key = `agents.defaults.cliBackends.${backendId ?? '<id>'}`;
  return new AttemptError('config', `command "${command}" not found: install it or set ${key}.command to its full path`, { cause });
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * True when `command` names an executable: a path (with `/`) relative to `cwd`, else a file in one
 * of the folders of the child's `PATH` (the plan's env, else this process's), as spawn looks it up.
 */
export function commandExists(command: string, env: NodeJS.ProcessEnv, cwd: string = process.cwd()): boolean {
  if (command.includes('/')) return isExecutable(isAbsolute(command) ? command : resolve(cwd, command));
  const folders = (env['PATH'] ?? process.env['PATH'] ?? '').split(delimiter).filter((folder) => folder !== '');
  return folders.some((folder) => isExecutable(join(resolve(cwd, folder), command)));
}

/**
 * Throw when the planned run is certain to fail before it starts. The command lookup runs only
 * when the root refusal would apply (POSIX, uid 0, the flag in argv): elsewhere spawn reports a
 * missing command itself, with no lookup cost on every turn.
 *
 * @throws {AttemptError} reason `config`, {@link commandNotFound}, when the root refusal would
 *   apply but the command is not installed (the missing command is the first thing to fix).
 * @throws {AttemptError} reason `config` when running as root (uid 0), the argv contains
 *   `--dangerously-skip-permissions` and `plan.env.IS_SANDBOX` is not `"1"`; the message names both
 *   fixes (`agents.defaults.cliBackends.<id>.env.IS_SANDBOX = "1"` inside a trusted sandbox, or a
 *   non-root user).
 */
export function checkCliPreflight(
  plan: Pick<CliTurnPlan, 'argv' | 'env' | 'command'> & { cwd?: string },
  options: CliPreflightOptions = {},
): void {
  if (!refusedAsRoot(plan.argv, plan.env, effectiveUid(options))) return;
  if (!commandExists(plan.command, plan.env, plan.cwd)) throw commandNotFound(plan.command, options.backendId);
  throw new AttemptError(
    'config',
    `"${plan.command}" refuses ${SKIP_PERMISSIONS_FLAG} when run as root with ${sandboxState(plan.env)}: ` +
      rootRefusalFix(options.backendId ?? '<id>'),
  );
}
