/**
 * The environment of a CLI child process.
 *
 * Rationale: the spec's keys `env` and `clearEnv`, and `docs/cli-contracts.md#environment`: the
 * inherited environment minus the `clearEnv`
 * keys, plus `backend.env`; an explicit `env` value for a key wins over `clearEnv` (the reference's
 * later behaviour, where S deleted after merging).
 */
import type { ResolvedCliBackend } from '../../config/types.js';

/**
 * Build the complete child environment of one backend.
 *
 * @param backend - uses `clearEnv` (keys removed from `base`) and `env` (keys added, winning over
 *   `clearEnv`).
 * @param base - the inherited environment; default `process.env`. Not modified.
 * @returns a fresh object with string values only (keys whose value is `undefined` are dropped), to
 *   be passed with `extendEnv: false`.
 */
export function buildCliEnv(
  backend: Pick<ResolvedCliBackend, 'clearEnv' | 'env'>,
  base: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const cleared = new Set(backend.clearEnv);
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(base)) {
    if (value === undefined || cleared.has(key)) continue;
    env[key] = value;
  }
  for (const [key, value] of Object.entries(backend.env)) {
    if (value === undefined) continue;
    env[key] = value;
  }
  return env;
}
