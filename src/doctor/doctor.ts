/**
 * `safetynet doctor`: for each configured candidate, can it run? CLI backends (command, version,
 * root refusal, login), API providers (a key), the state folder (writable, not locked) and active
 * cooldowns. Checks are data ({@link DoctorCheck}); `src/cli/doctor.ts` prints them.
 */
import { resolveCandidates, apiKeySource, isBuiltinApiProvider, splitModelRef } from '../config/index.js';
import type { ResolvedConfig } from '../config/types.js';
import { SafetynetError } from '../errors.js';
import type { CooldownEntry } from '../store/index.js';
import { checkCliBackend, type CliCheckOptions } from './cli-checks.js';
import type { DoctorCheck, DoctorReport } from './types.js';
import { adviceFor } from '../failover/advice.js';

export type { DoctorCheck, DoctorCheckName, DoctorReport } from './types.js';

/** Options of {@link runDoctor}. */
export interface DoctorOptions extends CliCheckOptions {
  /** The resolved config (its primary and fallbacks are the candidates). */
  config: ResolvedConfig;
  /** The LevelDB state folder. */
  storeLocation: string;
  /** "Now" for cooldowns, epoch ms. @default Date.now() */
  now?: number;
}

/** A candidate to check: its ref and provider id. */
interface DoctorCandidate {
  ref: string;
  provider: string;
  /** Set when the allowlist (or an unparseable ref) keeps it from ever being tried. */
  skipped?: string;
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

/** The state folder: writable and not locked (a single open attempt), then its active cooldowns. */
async function checkState(candidates: DoctorCandidate[], options: DoctorOptions): Promise<DoctorCheck[]> {
  const location = options.storeLocation;
  const { CooldownStore, LevelHandle } = await import('../store/index.js'); // LevelDB is loaded only when used
  const handle = new LevelHandle(location, { budgetMs: 0 });
  try {
    await handle.useSublevel<number, void>('doctor', async (probe) => {
      await probe.put('probe', Date.now());
      await probe.del('probe');
    });
  } catch (error) {
    return [storeProblem(location, error)];
  }
  const checks: DoctorCheck[] = [{ candidate: 'state', check: 'store', ok: true, detail: `${location} is writable and not locked` }];
  const now = options.now ?? Date.now();
  let entries: CooldownEntry[];
  try {
    entries = await new CooldownStore({ handle }).list(now);
  } catch (error) {
    return [...checks, storeProblem(location, error)];
  } finally {
    await handle.close();
  }
  for (const entry of entries.filter((e) => e.until > now)) {
    const affected = candidates.filter((candidate) =>
      entry.scope === 'model' ? candidate.ref === entry.key : candidate.provider === entry.key,
    );
    const problem =
      `${entry.key} cools down after ${entry.reason} (${entry.failures} failure${entry.failures === 1 ? '' : 's'}) ` +
      `until ${new Date(entry.until).toISOString()} (in ${formatDuration(entry.until - now)}); it is skipped until then`;
    const check = { check: 'cooldown' as const, ok: false, level: 'warning' as const, problem, fix: adviceFor(entry.reason) };
    if (affected.length === 0) checks.push({ candidate: 'state', ...check });
    for (const candidate of affected) checks.push({ candidate: candidate.ref, ...check });
  }
  return checks;
}

function storeProblem(location: string, error: unknown): DoctorCheck {
  const message = error instanceof Error ? error.message : String(error);
  if (SafetynetError.is(error) && error.code === 'SAFETYNET_STORE_LOCKED') {
    return {
      candidate: 'state',
      check: 'store',
      ok: false,
      level: 'error',
      problem: `${location} is locked by another process`,
      fix: 'wait for the other safetynet process to finish (or stop it), or point SAFETYNET_HOME elsewhere',
    };
  }
  return {
    candidate: 'state',
    check: 'store',
    ok: false,
    level: 'error',
    problem: message,
    fix: `check the permissions and free space of ${location}, or point SAFETYNET_HOME elsewhere`,
  };
}

/** `4m 12s`, `2h 5m`, `35s`. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.ceil(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${seconds % 60}s`;
  return `${Math.floor(minutes / 60)}h ${minutes % 60}m`;
}
