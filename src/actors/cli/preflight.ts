/**
 * Checks run before a CLI is spawned, for failures that are certain and better explained by us.
 *
 * Rationale: `docs/cli-contracts.md#root-refusal`: Claude Code refuses `--dangerously-skip-permissions`
 * as root (`--dangerously-skip-permissions cannot be used with root/sudo privileges…`, exit 1) unless
 * `IS_SANDBOX` is set in its environment. We never set it silently: the user decides.
 */
import { AttemptError } from '../../errors.js';
import type { CliTurnPlan } from '../types.js';

/** The flag Claude Code refuses as root. */
const SKIP_PERMISSIONS = '--dangerously-skip-permissions';

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
/**
 * True when `env` lifts Claude's root refusal: `IS_SANDBOX` is exactly `"1"` (measured with claude
 * 2.1.197: `"true"` and `"yes"` are still refused).
 */
export function sandboxLifted(env: Readonly<Record<string, string | undefined>>): boolean {
  return env['IS_SANDBOX'] === '1';
}

export function checkCliPreflight(plan: Pick<CliTurnPlan, 'argv' | 'env' | 'command'>, options: CliPreflightOptions = {}): void {
  const uid = 'uid' in options ? options.uid : process.getuid?.();
  if (uid !== 0) return;
  if (!plan.argv.includes(SKIP_PERMISSIONS)) return;
  if (sandboxLifted(plan.env)) return;
  const id = options.backendId ?? '<id>';
  throw new AttemptError(
    'config',
    `"${plan.command}" refuses ${SKIP_PERMISSIONS} when run as root${plan.env.IS_SANDBOX === undefined ? '' : ` (IS_SANDBOX is "${plan.env.IS_SANDBOX}"; only "1" lifts the refusal)`}: ` +
      `set agents.defaults.cliBackends.${id}.env.IS_SANDBOX = "1" (only inside a sandbox you trust) ` +
      'or run safetynet as a non-root user',
  );
}
