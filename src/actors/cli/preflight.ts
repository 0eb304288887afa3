/**
 * Checks run before a CLI is spawned, for failures that are certain and better explained by us.
 *
 * Rationale: `docs/cli-contracts.md#root-refusal`: Claude Code refuses `--dangerously-skip-permissions`
 * as root (`--dangerously-skip-permissions cannot be used with root/sudo privileges…`, exit 1) unless
 * `IS_SANDBOX` is set in its environment. We never set it silently: the user decides.
 */
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
 * Throw when the planned run is certain to be refused.
 *
 * @throws {AttemptError} reason `config` when running as root (uid 0), the argv contains
 *   `--dangerously-skip-permissions` and `plan.env.IS_SANDBOX` is not `"1"`; the message names both
 *   fixes (`agents.defaults.cliBackends.<id>.env.IS_SANDBOX = "1"` inside a trusted sandbox, or a
 *   non-root user).
 */
export function checkCliPreflight(plan: Pick<CliTurnPlan, 'argv' | 'env' | 'command'>, options: CliPreflightOptions = {}): void {
  if (!refusedAsRoot(plan.argv, plan.env, effectiveUid(options))) return;
  throw new AttemptError(
    'config',
    `"${plan.command}" refuses ${SKIP_PERMISSIONS_FLAG} when run as root with ${sandboxState(plan.env)}: ` +
      rootRefusalFix(options.backendId ?? '<id>'),
  );
}
