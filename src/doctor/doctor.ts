/**
 * `safetynet doctor`: for each configured candidate, can it run? CLI backends (command, version,
 * root refusal, login), API providers (a key), the state folder (writable, not locked) and active
 * cooldowns. Checks are data ({@link DoctorCheck}); `src/cli/doctor.ts` prints them.
 */
import { resolveCandidates, apiKeySource, isBuiltinApiProvider, splitModelRef } from '../config/index.js';
import type { ResolvedConfig } from '../config/types.js';
import { checkCliBackend, type CliCheckOptions } from './cli-checks.js';
import type { DoctorCandidate, DoctorCheck, DoctorReport } from './types.js';
import { checkState } from './state-checks.js';

export type { DoctorCheck, DoctorCheckName, DoctorReport } from './types.js';
export { formatDuration } from './format.js';

/** Options of {@link runDoctor}. */
export interface DoctorOptions extends CliCheckOptions {
  /** The resolved config (its primary and fallbacks are the candidates). */
  config: ResolvedConfig;
  /** The LevelDB state folder (`safetynet.store.kind: 'level'`; Redis is named by `config.store.url`). */
  storeLocation: string;
  /** "Now" for cooldowns, epoch ms. @default Date.now() */
  now?: number;
}

/**
 * The candidates `doctor` checks: the configured primary and fallbacks (allowlist-skipped ones
 * included, as warnings), or, with no model configured, every CLI backend (built-in and configured)
 * as `<id>/*`.
 */
export function doctorCandidates(config: ResolvedConfig): DoctorCandidate[] {
  if (config.primary === undefined) {
    const refs = config.fallbacks.length > 0 ? config.fallbacks : Object.keys(config.backends).map((id) => `${id}/*`);
    return refs.map((ref) => ({ ref, provider: splitModelRef(ref)?.provider ?? '' }));
  }
  const list = resolveCandidates(config);
  const tried: DoctorCandidate[] = list.candidates.map((ref) => ({ ref: ref.ref, provider: ref.provider }));
  for (const skipped of list.skipped) {
    tried.push({ ref: skipped.ref, provider: splitModelRef(skipped.ref)?.provider ?? '', skipped: skipped.why });
  }
  return tried;
}

/**
 * Run every check.
 *
 * @returns the report; `ok` is true only when no check is an `error` (a cooling candidate, an
 *   unknown `--version` or a provider sending no key are warnings). Never throws for a failed check.
 * @throws {UsageError} when a configured primary cannot be parsed (the config loader normally rejects it first).
 */
export async function runDoctor(options: DoctorOptions): Promise<DoctorReport> {
  const { config } = options;
  const candidates = doctorCandidates(config);
  const checks: DoctorCheck[] = [];
  const perCandidate = await Promise.all(candidates.map((candidate) => checkCandidate(candidate, options)));
  for (const list of perCandidate) checks.push(...list);
  checks.push(...(await checkState(candidates, options)));
  return {
    ok: checks.every((check) => check.ok || check.level !== 'error'),
    config: config.source,
    storeLocation: options.storeLocation,
    candidates: candidates.map((candidate) => candidate.ref),
    checks,
  };
}

async function checkCandidate(candidate: DoctorCandidate, options: DoctorOptions): Promise<DoctorCheck[]> {
  const { config } = options;
  const at = (check: Omit<DoctorCheck, 'candidate'>): DoctorCheck => ({ candidate: candidate.ref, ...check });
  if (candidate.skipped !== undefined) {
    return [
      at({
        check: 'provider',
        ok: false,
        level: 'warning',
        problem: `never tried: ${candidate.skipped}`,
        fix: `add "${candidate.ref}": {} to agents.defaults.models, or remove it from the fallbacks`,
      }),
    ];
  }
  const backend = config.backends[candidate.provider];
  if (backend !== undefined) return (await checkCliBackend(backend, options)).map(at);
  const api = config.providers[candidate.provider];
  if (api !== undefined) {
    if (api.apiKeyMissing !== undefined)
      return [
        at({ check: 'api-key', ok: false, level: 'error', problem: api.apiKeyMissing, fix: 'set the variable, or remove the apiKey' }),
      ];
    if (typeof api.apiKey === 'string' && api.apiKey !== '')
      return [
        at({ check: 'api-key', ok: true, detail: `${api.api} at ${api.baseUrl ?? 'the default endpoint'}: an API key is configured` }),
      ];
    if (isBuiltinApiProvider(api.id))
      return [at({ check: 'api-key', ok: false, level: 'error', problem: `no API key for ${api.id}`, fix: `set ${apiKeySource(api.id)}` })];
    return [
      at({
        check: 'api-key',
        ok: false,
        level: 'warning',
        detail: `${api.api} at ${api.baseUrl ?? '?'}`,
        problem: `no API key configured: requests are sent without one`,
        fix: `fine for a local server; otherwise set ${apiKeySource(api.id)}`,
      }),
    ];
  }
  const unsupported = config.unsupportedProviders[candidate.provider];
  if (unsupported !== undefined) {
    return [
      at({
        check: 'provider',
        ok: false,
        level: 'error',
        problem: `provider "${candidate.provider}" speaks api "${unsupported}", which safetynet does not`,
        fix: 'use one of "anthropic-messages" | "openai-responses" | "openai-completions", or remove it from the candidates',
      }),
    ];
  }
  const known = [...Object.keys(config.backends), ...Object.keys(config.providers)].sort().join(', ');
  return [
    at({
      check: 'provider',
      ok: false,
      level: 'error',
      problem: `unknown provider "${candidate.provider}"`,
      fix: `add it under agents.defaults.cliBackends (a CLI) or models.providers (an API), or use one of: ${known}`,
    }),
  ];
}
